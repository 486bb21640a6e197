import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildTestApp } from '../../helpers/app.js';
import type { ErrorResponseBody } from '../../../src/platform/http/errors.js';
import { describeEachDialect } from '../../helpers/dialects.js';
import { fixtureModule } from './fixture-module.js';

const HTML_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

describeEachDialect('HTTP errors', (current) => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestApp(current(), { modules: [fixtureModule] });
  });
  afterAll(async () => {
    await app.close();
  });

  it('answers an unknown API path with a JSON not_found, whatever Accept says', async () => {
    const response = await app.inject({
      url: '/api/v1/nothing-here',
      headers: { accept: HTML_ACCEPT },
    });
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.json()).toEqual({
      error: { code: 'not_found', message: 'There is nothing at this address.' },
    });
  });

  it('answers an unknown page with an HTML page for a browser and JSON for a script', async () => {
    const page = await app.inject({ url: '/nothing-here?x=1', headers: { accept: HTML_ACCEPT } });
    expect(page.statusCode).toBe(404);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('<!doctype html>');
    expect(page.body).toContain('Page not found');

    const script = await app.inject({ url: '/nothing-here', headers: { accept: '*/*' } });
    expect(script.statusCode).toBe(404);
    expect(script.json()).toMatchObject({ error: { code: 'not_found' } });
  });

  it('turns an AppError into its status, code, message and fields', async () => {
    const response = await app.inject({ url: '/api/v1/fixture/conflict' });
    expect(response.statusCode).toBe(409);
    expect(response.json()).toEqual({
      error: { code: 'conflict', message: 'That name is taken.', fields: { name: 'is taken' } },
    });
  });

  it('reports schema violations as validation_failed with a message per field', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/fixture/echo',
      payload: { email: 'not-an-email', age: -3, babies: [{ birthDate: '2026-13-45' }] },
    });
    expect(response.statusCode).toBe(400);
    const body = response.json<{ error: { code: string; fields: Record<string, string> } }>();
    expect(body.error.code).toBe('validation_failed');
    // Fastify's validator stops at the first error by default; whichever it is, it names a field.
    const names = Object.keys(body.error.fields);
    expect(names.length).toBeGreaterThan(0);
    for (const name of names)
      expect(['name', 'email', 'age', 'babies.0.birthDate']).toContain(name);
  });

  it('names a missing property and a wrong query parameter', async () => {
    const missing = await app.inject({
      method: 'POST',
      url: '/api/v1/fixture/echo',
      payload: { email: 'parent@example.com' },
    });
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toEqual({
      error: {
        code: 'validation_failed',
        message: 'Some fields are not valid.',
        fields: { name: 'is required' },
      },
    });

    const query = await app.inject({
      method: 'POST',
      url: '/api/v1/fixture/echo?limit=1000',
      payload: { name: 'Sam', email: 'parent@example.com' },
    });
    expect(query.statusCode).toBe(400);
    const queryError = query.json<ErrorResponseBody>().error;
    expect(queryError.code).toBe('validation_failed');
    expect(queryError.fields?.limit).toMatch(/must be <= 100/);

    const nested = await app.inject({
      method: 'POST',
      url: '/api/v1/fixture/echo',
      payload: { name: 'Sam', email: 'parent@example.com', babies: [{ birthDate: 'yesterday' }] },
    });
    expect(nested.json<ErrorResponseBody>().error.fields?.['babies.0.birthDate']).toMatch(
      /must match format "date"/,
    );
  });

  it('accepts a valid body', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/fixture/echo',
      payload: { name: 'Sam', email: 'parent@example.com' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ name: 'Sam', email: 'parent@example.com' });
  });

  it('refuses malformed JSON with a 400 that does not quote the body', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/fixture/echo',
      headers: { 'content-type': 'application/json' },
      payload: '{"name": "Sam", "email": secret@example.com',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      error: { code: 'bad_request', message: 'The request body is not valid JSON.' },
    });
    expect(response.body).not.toContain('secret@example.com');
  });

  it('refuses an unknown content type with 415 and an oversized body with 413', async () => {
    const xml = await app.inject({
      method: 'POST',
      url: '/api/v1/fixture/echo',
      headers: { 'content-type': 'application/xml' },
      payload: '<name>Sam</name>',
    });
    expect(xml.statusCode).toBe(415);
    expect(xml.json()).toMatchObject({ error: { code: 'unsupported_media_type' } });

    const large = await app.inject({
      method: 'POST',
      url: '/api/v1/fixture/echo',
      payload: { name: 'x'.repeat(5000), email: 'parent@example.com' },
    });
    expect(large.statusCode).toBe(413);
    expect(large.json()).toMatchObject({ error: { code: 'payload_too_large' } });
  });

  it('answers a 500 with a generic message and the request id, never the cause or a stack', async () => {
    const response = await app.inject({ url: '/api/v1/fixture/boom' });
    expect(response.statusCode).toBe(500);
    const body = response.json<{ error: { code: string; message: string; requestId: string } }>();
    expect(body.error.code).toBe('internal_error');
    expect(body.error.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.error.message).toBe(
      `Something went wrong on our side. Reference: ${body.error.requestId}.`,
    );
    expect(response.body).not.toContain('exploded');
    expect(response.body).not.toContain('parent@example.com');
    expect(response.body).not.toMatch(/at .*\.ts:\d+/);
  });

  it('answers a failing page with an HTML 500 page that carries only the reference', async () => {
    const response = await app.inject({ url: '/fixture/boom', headers: { accept: HTML_ACCEPT } });
    expect(response.statusCode).toBe(500);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.body).toContain('Something went wrong');
    expect(response.body).toMatch(/Reference: [0-9a-f-]{36}/);
    expect(response.body).not.toContain('page exploded');
  });
});
