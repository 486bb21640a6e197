import type { FastifyPluginAsync } from 'fastify';

/** The accounts JSON API: /api/v1/auth/*, /api/v1/me. */
export const accountsRoutes: FastifyPluginAsync = async () => {};
