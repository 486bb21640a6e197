import type { FastifyPluginAsync } from 'fastify';

/** GET /api/v1/locations?q= */
export const locationsRoutes: FastifyPluginAsync = async () => {};
