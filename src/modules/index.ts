/**
 * The one typed list of feature modules (DESIGN.md §4). Order matters only for the /admin
 * navigation; every module is an encapsulated plugin.
 */
import type { HearthModule } from '../platform/module.js';
import { accounts } from './accounts/index.js';
import { analytics } from './analytics/index.js';
import { cookies } from './cookies/index.js';
import { admin } from './admin/index.js';
import { forum } from './forum/index.js';
import { home } from './home/index.js';
import { messages } from './messages/index.js';
import { newsletters } from './newsletters/index.js';
import { rights } from './rights/index.js';

export const MODULES: readonly HearthModule[] = [
  accounts,
  newsletters,
  rights,
  forum,
  messages,
  admin,
  home,
  analytics,
  cookies,
];
