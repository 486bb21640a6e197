import type { FastifyPluginAsync } from 'fastify';

/** The published notice: `/privacy`, `/privacy/changes`, `GET /api/v1/privacy/notice`. */
export const noticeRoutes: FastifyPluginAsync = async () => {};
