/**
 * Private messages and the Parent Supporter service (issue 7, points 5 and 6): conversations,
 * replies, unread counts, deleting for oneself, blocking; the supporters' queue, escalation to
 * safeguarding and k-anonymous statistics; the staff-access log the DPO reviews. Other modules
 * use only what this file exports.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { HearthModule } from '../../platform/module.js';
import { registerReportTarget } from '../forum/index.js';
import { messagesAdminPages, MESSAGES_ADMIN_NAV } from './messages.admin.js';
import { eraseMessagesFor, exportMessagesFor } from './messages.erasure.js';
import { messagesPages } from './messages.pages.js';
import { messagesDataMap } from './messages.privacy.js';
import { messagesRoutes } from './messages.routes.js';
import { seedDemoMessages } from './messages.seed.js';
import { messageReportTarget } from './messages.staff-access.js';

export { countUnread } from './messages.service.js';
export { seedMessagesForBench } from './messages.seed.js';
export type { MessagesTables } from './messages.tables.js';

// Reports of private messages join the forum's one moderation queue.
registerReportTarget('message', messageReportTarget);

const plugin: FastifyPluginAsync = async (app) => {
  await app.register(messagesRoutes);
  await app.register(messagesPages);
  await app.register(messagesAdminPages);
};

export const messages: HearthModule = {
  name: 'messages',
  dataMap: messagesDataMap,
  plugin,
  adminNav: MESSAGES_ADMIN_NAV,
  privacy: { exportFor: exportMessagesFor, eraseFor: eraseMessagesFor },
  seedDemo: seedDemoMessages,
};
