/** The staff area under /admin: role-guarded, two-factor, navigation from every module. */
import type { HearthModule } from '../../platform/module.js';

export const admin: HearthModule = {
  name: 'admin',
  dataMap: {},
};
