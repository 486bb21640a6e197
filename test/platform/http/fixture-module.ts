/**
 * A test-only module whose routes exercise the HTTP platform: errors, validation, pages with
 * the CSP nonce, forms with CSRF tokens, sessions and rate-limit budgets.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { Type } from 'typebox';
import { AppError, ErrorResponse } from '../../../src/platform/http/errors.js';
import { sensitiveRateLimit } from '../../../src/platform/http/rate-limit.js';
import { createBearerSession } from '../../../src/platform/http/sessions.js';
import type { HearthModule } from '../../../src/platform/module.js';

export const PUBLIC_URL = 'http://127.0.0.1:3000';

export const fixtureModule: HearthModule = {
  name: 'http-fixture',
  dataMap: {},
  plugin: (instance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>();
    app.get('/api/v1/fixture/conflict', () => {
      throw new AppError('conflict', 'That name is taken.', { fields: { name: 'is taken' } });
    });

    app.get('/api/v1/fixture/boom', () => {
      throw new Error('database exploded for parent@example.com');
    });

    app.get('/fixture/boom', () => {
      throw new Error('page exploded');
    });

    app.post(
      '/api/v1/fixture/echo',
      {
        bodyLimit: 2048,
        schema: {
          summary: 'Echoes a validated body',
          body: Type.Object({
            name: Type.String({ minLength: 1 }),
            email: Type.String({ format: 'email' }),
            age: Type.Optional(Type.Integer({ minimum: 0 })),
            babies: Type.Optional(
              Type.Array(Type.Object({ birthDate: Type.String({ format: 'date' }) })),
            ),
          }),
          querystring: Type.Object({
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
          }),
          response: {
            200: Type.Object({ name: Type.String(), email: Type.String() }),
            400: ErrorResponse,
          },
        },
      },
      (request) => request.body,
    );

    app.get('/fixture/page', (request, reply) => {
      const nonce = request.cspNonce;
      return reply
        .type('text/html; charset=utf-8')
        .send(
          `<!doctype html><title>t</title><script nonce="${nonce}" src="/assets/js/app.js"></script>`,
        );
    });

    app.get('/fixture/form', (request, reply) => {
      return reply
        .type('text/html; charset=utf-8')
        .send(
          `<form method="post"><input type="hidden" name="_csrf" value="${request.csrfToken()}"></form>`,
        );
    });

    app.post('/fixture/form', (request) => ({
      received: request.body,
      userId: request.session?.userId ?? null,
    }));

    app.post('/fixture/json', (request) => ({ received: request.body }));

    app.post(
      '/api/v1/fixture/login',
      {
        schema: {
          body: Type.Object({ userId: Type.String(), role: Type.Optional(Type.String()) }),
        },
      },
      async (request) => {
        const session = await request.startSession(request.body.userId, {
          role: request.body.role ?? 'member',
        });
        return { sessionId: session.id, expiresAt: session.expiresAt };
      },
    );

    app.post(
      '/api/v1/fixture/bearer',
      { schema: { body: Type.Object({ userId: Type.String() }) } },
      async (request) =>
        createBearerSession(app.db, request.body.userId, { ttlDays: app.config.sessionTtlDays }),
    );

    app.post('/api/v1/fixture/rotate', async (request) => {
      const session = await request.rotateSession();
      return { sessionId: session.id, data: session.data };
    });

    app.post('/api/v1/fixture/logout', async (request, reply) => {
      await request.endSession();
      return reply.code(204).send();
    });

    app.get('/api/v1/fixture/me', (request) => ({ session: request.session }));

    app.post('/api/v1/fixture/change', (request) => ({
      userId: request.session?.userId ?? null,
    }));

    app.post(
      '/api/v1/fixture/login-attempt',
      { config: { rateLimit: sensitiveRateLimit(app.config) } },
      () => ({
        ok: true,
      }),
    );
    app.post(
      '/fixture/reset-attempt',
      { config: { rateLimit: sensitiveRateLimit(app.config) } },
      () => ({
        ok: true,
      }),
    );
    app.post(
      '/api/v1/fixture/export-attempt',
      { config: { rateLimit: sensitiveRateLimit(app.config, 'export') } },
      () => ({ ok: true }),
    );
    return Promise.resolve();
  },
};

/** `name=value` for a Cookie header, from the cookies a response set. */
export function cookieHeader(response: LightMyRequestResponse, ...names: string[]): string {
  return response.cookies
    .filter((cookie) => names.length === 0 || names.includes(cookie.name))
    .map((cookie) => `${cookie.name}=${cookie.value}`)
    .join('; ');
}

/** Logs in as `userId` through the fixture route; returns the session cookie header. */
export async function logIn(
  app: FastifyInstance,
  userId: string,
): Promise<{ cookie: string; sessionId: string }> {
  const response = await app.inject({
    method: 'POST',
    url: '/api/v1/fixture/login',
    payload: { userId },
  });
  if (response.statusCode !== 200)
    throw new Error(`log-in failed: ${response.statusCode} ${response.body}`);
  return {
    cookie: cookieHeader(response, 'hearth_session'),
    sessionId: response.json<{ sessionId: string }>().sessionId,
  };
}
