import type { FastifyPluginAsync } from 'fastify';

/** Self-service: export, anonymise posts, consents, disclosures, restriction and objection. */
export const selfServiceRoutes: FastifyPluginAsync = async () => {};
