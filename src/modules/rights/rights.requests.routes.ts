import type { FastifyPluginAsync } from 'fastify';

/** Requests: GET|POST /api/v1/me/requests, the public request form, DELETE /api/v1/me. */
export const requestsRoutes: FastifyPluginAsync = async () => {};
