import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { listVerificationKeys } from './signing-keys.js';

const JwkSet = Type.Object({
  keys: Type.Array(
    Type.Object({
      kty: Type.Literal('OKP'),
      crv: Type.Literal('Ed25519'),
      x: Type.String(),
      kid: Type.String(),
      alg: Type.Literal('EdDSA'),
      use: Type.Literal('sig'),
    }),
  ),
});

/**
 * Verifiers refetch on an unknown `kid`, so a short cache is enough: a key rotated in is
 * visible within five minutes, and retired keys never leave the set while receipts they signed
 * are kept.
 */
const JWKS_MAX_AGE_SECONDS = 300;

/** Consent-ledger routes: `/.well-known/jwks.json`, the keys that verify consent receipts. */
export const consentRoutes: FastifyPluginAsync = (app) => {
  app.get(
    '/.well-known/jwks.json',
    { schema: { response: { 200: JwkSet } } },
    async (_request, reply) => {
      const keys = await listVerificationKeys(app.db);
      void reply
        .header('cache-control', `public, max-age=${JWKS_MAX_AGE_SECONDS}`)
        .type('application/jwk-set+json');
      return { keys };
    },
  );
  return Promise.resolve();
};
