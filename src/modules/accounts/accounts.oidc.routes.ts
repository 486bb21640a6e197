import type { FastifyPluginAsync } from 'fastify';

/** Social log-in over OpenID Connect. */
export const oidcRoutes: FastifyPluginAsync = async () => {};
