/** Newsletters: the list catalogue, members' subscriptions and their consent. */
import type { HearthModule } from '../../platform/module.js';

export const newsletters: HearthModule = {
  name: 'newsletters',
  dataMap: {},
};
