import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildTestApp } from '../../../test/helpers/app.js';
import { describeEachDialect } from '../../../test/helpers/dialects.js';
import { accounts } from './index.js';

describeEachDialect('GET /api/v1/locations', (current) => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestApp(current(), { modules: [accounts] });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('P02 serves the shipped place list, best match first, cacheable', async () => {
    const response = await app.inject({ url: '/api/v1/locations?q=manch' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('public, max-age=86400');
    const { items } = response.json<{ items: { id: string; name: string; region: string }[] }>();
    expect(items[0]).toEqual({
      id: 'manchester',
      name: 'Manchester',
      region: 'North West England',
    });
  });

  it('finds places whatever the case and accents, and honours the limit', async () => {
    const response = await app.inject({ url: '/api/v1/locations?q=YNYS%20MON&limit=1' });
    expect(response.json()).toEqual({
      items: [{ id: 'ynys-mon', name: 'Ynys Môn', region: 'Wales' }],
    });
    const all = await app.inject({ url: '/api/v1/locations' });
    expect(all.json<{ items: unknown[] }>().items).toHaveLength(10);
    const none = await app.inject({ url: '/api/v1/locations?q=qqqqzz' });
    expect(none.json()).toEqual({ items: [] });
  });

  it('answers a bad limit or an over-long query with 400 and the field', async () => {
    for (const query of ['limit=0', 'limit=51', 'limit=ten', `q=${'a'.repeat(101)}`]) {
      const response = await app.inject({ url: `/api/v1/locations?${query}` });
      expect(response.statusCode, query).toBe(400);
      expect(response.json(), query).toMatchObject({ error: { code: 'validation_failed' } });
    }
  });
});
