import type { FastifyPluginAsync } from 'fastify';

/** Consent-ledger routes: `/.well-known/jwks.json`. */
export const consentRoutes: FastifyPluginAsync = async () => {};
