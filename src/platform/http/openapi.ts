/**
 * The OpenAPI 3.1 document of the JSON API, served at `GET /api/v1/openapi.json` (DESIGN.md §2).
 * @fastify/swagger collects every route registered after it, so modules' routes appear by being
 * registered; only `/api/` routes and `/healthz` are listed, never pages.
 */
import fs from 'node:fs';
import swagger from '@fastify/swagger';
import fp from 'fastify-plugin';
import { isApiPath } from './paths.js';
import { SESSION_COOKIE } from './sessions.plugin.js';

export const OPENAPI_PATH = '/api/v1/openapi.json';

/** For a route's schema: `security: bearerOrCookie` says it needs a signed-in member. */
export const bearerOrCookie = [{ bearer: [] }, { cookie: [] }];

/** The application's version, from package.json (two folders up from both src/ and dist/). */
function readVersion(): string {
  try {
    const text = fs.readFileSync(new URL('../../../package.json', import.meta.url), 'utf8');
    const version = (JSON.parse(text) as { version?: unknown }).version;
    return typeof version === 'string' ? version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export function isDocumentedPath(url: string): boolean {
  return isApiPath(url) || url === '/healthz';
}

export const openApiPlugin = fp(
  async (app) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'Hearth API',
          version: readVersion(),
          description:
            'The JSON API of Hearth. Errors are `{ "error": { "code", "message", "fields"? } }`; ' +
            'lists take `?limit=&cursor=` and answer `{ "items": [], "nextCursor" }`. ' +
            'Cookie-authenticated requests that change something must be application/json ' +
            'from the same origin; Bearer requests are exempt.',
        },
        servers: [{ url: app.config.publicUrl }],
        components: {
          securitySchemes: {
            bearer: {
              type: 'http',
              scheme: 'bearer',
              description: 'A session token from log-in, as `Authorization: Bearer <token>`.',
            },
            cookie: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE },
          },
        },
      },
      transform: ({ schema, url }) => ({
        schema: { ...schema, hide: schema?.hide === true || !isDocumentedPath(url) },
        url,
      }),
    });

    app.get(OPENAPI_PATH, { schema: { hide: true } }, async (_request, reply) => {
      return reply.type('application/json; charset=utf-8').send(app.swagger());
    });
  },
  { name: 'hearth-openapi', fastify: '5.x', dependencies: ['hearth-errors'] },
);
