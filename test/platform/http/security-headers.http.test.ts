import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildTestApp } from '../../helpers/app.js';
import { describeEachDialect } from '../../helpers/dialects.js';
import { fixtureModule } from './fixture-module.js';

function nonceOf(csp: string | undefined): string {
  const match = /script-src 'nonce-([A-Za-z0-9+/=]+)' 'strict-dynamic'/.exec(csp ?? '');
  if (!match?.[1]) throw new Error(`no script nonce in ${csp}`);
  return match[1];
}

describeEachDialect('security headers', (current) => {
  let app: FastifyInstance;
  let httpsApp: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestApp(current(), { modules: [fixtureModule] });
    httpsApp = await buildTestApp(current(), {
      modules: [fixtureModule],
      env: { PUBLIC_URL: 'https://hearth.example' },
    });
  });
  afterAll(async () => {
    await app.close();
    await httpsApp.close();
  });

  it('sends the strict CSP and the other headers on a page', async () => {
    const response = await app.inject({ url: '/fixture/page' });
    const nonce = nonceOf(response.headers['content-security-policy']);
    expect(response.headers['content-security-policy']).toBe(
      `default-src 'self'; script-src 'nonce-${nonce}' 'strict-dynamic'; ` +
        `style-src 'self' 'nonce-${nonce}'; img-src 'self' data:; object-src 'none'; ` +
        `base-uri 'none'; frame-ancestors 'none'; form-action 'self'`,
    );
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['referrer-policy']).toBe('strict-origin-when-cross-origin');
    expect(response.headers['permissions-policy']).toContain('camera=()');
    expect(response.headers['cross-origin-opener-policy']).toBe('same-origin');
    expect(response.headers['x-frame-options']).toBe('DENY');
    expect(response.headers['strict-transport-security']).toBeUndefined();
  });

  it('uses a fresh nonce per request, the one that appears in the page', async () => {
    const first = await app.inject({ url: '/fixture/page' });
    const second = await app.inject({ url: '/fixture/page' });
    const firstNonce = nonceOf(first.headers['content-security-policy']);
    const secondNonce = nonceOf(second.headers['content-security-policy']);
    expect(firstNonce).not.toBe(secondNonce);
    expect(Buffer.from(firstNonce, 'base64')).toHaveLength(16);
    expect(first.body).toContain(`nonce="${firstNonce}"`);
    expect(second.body).toContain(`nonce="${secondNonce}"`);
    expect(first.body).not.toContain(secondNonce);
  });

  it('gives the HTML error page the same nonce as its header', async () => {
    const response = await app.inject({ url: '/missing-page', headers: { accept: 'text/html' } });
    expect(response.statusCode).toBe(404);
    const nonce = nonceOf(response.headers['content-security-policy']);
    expect(response.body).toContain(`nonce="${nonce}"`);
  });

  it('sends the headers on JSON, errors and not-found answers too', async () => {
    for (const url of [
      '/healthz',
      '/api/v1/fixture/boom',
      '/api/v1/missing',
      '/api/v1/fixture/conflict',
    ]) {
      const response = await app.inject({ url });
      expect(response.headers['content-security-policy'], url).toContain("object-src 'none'");
      expect(response.headers['x-frame-options'], url).toBe('DENY');
    }
  });

  it('adds HSTS only when PUBLIC_URL is https', async () => {
    const response = await httpsApp.inject({ url: '/fixture/page' });
    expect(response.headers['strict-transport-security']).toBe(
      'max-age=31536000; includeSubDomains',
    );
  });
});
