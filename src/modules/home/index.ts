/**
 * The home module: the page at `/`. It keeps no data of its own.
 */
import type { HearthModule } from '../../platform/module.js';
import { homePages } from './home.pages.js';

export const home: HearthModule = {
  name: 'home',
  dataMap: {},
  plugin: homePages,
};
