/**
 * The HTTP platform, registered first by buildApp: graceful shutdown, security headers, rate
 * limits, the error and not-found handlers, cookies and form bodies, sessions, CSRF, the
 * OpenAPI document and the health probe. Each piece is a named fastify-plugin whose
 * `dependencies` make Fastify check the order at boot.
 */
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import fp from 'fastify-plugin';
import './request-context.js';
import { csrfPlugin } from './csrf.js';
import { errorHandlerPlugin } from './error-handler.js';
import { healthPlugin } from './health.js';
import { openApiPlugin } from './openapi.js';
import { rateLimitPlugin } from './rate-limit.js';
import { requestReplyPlugin } from './request-reply.js';
import { securityHeadersPlugin } from './security-headers.js';
import { sessionsPlugin } from './sessions.plugin.js';
import { gracefulShutdownPlugin } from './shutdown.js';

/** The HTTP platform: errors, security headers, sessions, CSRF, rate limits, OpenAPI, health. */
export const platformPlugin = fp(
  async (app) => {
    await app.register(requestReplyPlugin);
    await app.register(gracefulShutdownPlugin);
    // Early, so every later route and every error answer carries the nonce and the headers.
    await app.register(securityHeadersPlugin);
    await app.register(rateLimitPlugin);
    await app.register(errorHandlerPlugin);
    await app.register(cookie);
    await app.register(formbody);
    await app.register(sessionsPlugin);
    await app.register(csrfPlugin);
    // Before any route, so that it sees every route registered from here on.
    await app.register(openApiPlugin);
    await app.register(healthPlugin);
  },
  { name: 'hearth-platform', fastify: '5.x' },
);
