import fp from 'fastify-plugin';

/** The HTTP platform: errors, security headers, sessions, CSRF, rate limits, assets, OpenAPI. */
export const platformPlugin = fp(async () => {}, { name: 'hearth-platform' });
