import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildTestApp } from '../../helpers/app.js';
import { describeEachDialect } from '../../helpers/dialects.js';
import { fixtureModule } from './fixture-module.js';

interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<
    string,
    Record<string, { responses?: Record<string, unknown>; requestBody?: unknown }>
  >;
  components: { securitySchemes: Record<string, { type: string; scheme?: string }> };
}

describeEachDialect('health and OpenAPI', (current) => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestApp(current(), { modules: [fixtureModule] });
  });
  afterAll(async () => {
    await app.close();
  });

  it('answers /healthz with 200 ok while the database answers', async () => {
    const response = await app.inject({ url: '/healthz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
    expect(response.headers['cache-control']).toBe('no-store');
  });

  it('answers /healthz with 503 unavailable when the database does not', async () => {
    const lost = current().openAnother();
    const orphan = await buildTestApp(
      { ...current(), handle: lost, db: lost.db },
      { modules: [fixtureModule] },
    );
    try {
      expect((await orphan.inject({ url: '/healthz' })).statusCode).toBe(200);
      await lost.destroy();
      const response = await orphan.inject({ url: '/healthz' });
      expect(response.statusCode).toBe(503);
      expect(response.json()).toEqual({ status: 'unavailable' });
    } finally {
      await orphan.close();
    }
  });

  it('publishes an OpenAPI 3.1 document of the API routes, modules’ included, and no pages', async () => {
    const response = await app.inject({ url: '/api/v1/openapi.json' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    const document = response.json<OpenApiDocument>();
    expect(document.openapi).toBe('3.1.0');
    expect(document.info.title).toBe('Hearth API');
    expect(document.info.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(document.components.securitySchemes.bearer).toEqual(
      expect.objectContaining({ type: 'http', scheme: 'bearer' }),
    );

    const paths = Object.keys(document.paths);
    expect(paths).toContain('/healthz');
    expect(paths).toContain('/api/v1/fixture/echo');
    expect(paths).toContain('/api/v1/fixture/login');
    expect(paths.every((path) => path === '/healthz' || path.startsWith('/api/'))).toBe(true);
    expect(paths).not.toContain('/fixture/page');
    expect(paths).not.toContain('/api/v1/openapi.json');

    const echo = document.paths['/api/v1/fixture/echo']?.post;
    expect(echo?.requestBody).toBeDefined();
    expect(Object.keys(echo?.responses ?? {})).toEqual(expect.arrayContaining(['200', '400']));
    expect(JSON.stringify(echo?.responses?.['400'])).toContain('rate_limited');
    expect(Object.keys(document.paths['/healthz']?.get?.responses ?? {})).toEqual(['200', '503']);
  });
});
