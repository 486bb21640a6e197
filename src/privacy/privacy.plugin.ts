/**
 * The privacy core's HTTP surface, registered after the platform and before the modules.
 */
import type { FastifyPluginAsync } from 'fastify';
import { consentRoutes } from './consent/consent.routes.js';
import { noticeRoutes } from './notice/notice.routes.js';

export const privacyPlugin: FastifyPluginAsync = async (app) => {
  await app.register(consentRoutes);
  await app.register(noticeRoutes);
};
