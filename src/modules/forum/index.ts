/**
 * The Coffeehouse forum: categories, threads, posts with quotes, likes, search, and the one
 * moderation queue (reports, hiding, warnings, suspensions). Other modules use only what this
 * file exports: the messages module registers its `message` report target, files reports and
 * asks whether a member is suspended.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { HearthModule } from '../../platform/module.js';
import { FORUM_NAV, forumAdminPages } from './forum.admin.js';
import './forum.moderation.js';
import { forumPages } from './forum.pages.js';
import { forumDataMap } from './forum.privacy.js';
import { forumRoutes } from './forum.routes.js';
import { seedDemoForum } from './forum.seed.js';

export {
  registerReportTarget,
  fileReport,
  isSuspended,
  type ReportTarget,
} from './forum.reports.js';
export { FORMER_MEMBER } from './forum.privacy.js';
export type { ForumTables } from './forum.tables.js';

const plugin: FastifyPluginAsync = async (app) => {
  await app.register(forumRoutes);
  await app.register(forumPages);
  await app.register(forumAdminPages);
};

export const forum: HearthModule = {
  name: 'forum',
  dataMap: forumDataMap,
  plugin,
  adminNav: FORUM_NAV,
  seedDemo: seedDemoForum,
};
