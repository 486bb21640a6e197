import Fastify from 'fastify';
import { expect, it, describe } from 'vitest';
import { handleFrameworkError } from '../../../src/platform/http/error-handler.js';
import { testConfig } from '../../helpers/config.js';

describe('errors Fastify raises before routing', () => {
  it('answer an undecodable URL in the error shape, with security headers, without quoting it', async () => {
    const app = Fastify({ frameworkErrors: handleFrameworkError });
    app.decorate('config', testConfig());
    app.get('/api/v1/things/:id', () => ({ ok: true }));
    try {
      const json = await app.inject({ url: '/api/v1/things/%E0%A4%A' });
      expect(json.statusCode).toBe(400);
      expect(json.json()).toEqual({
        error: { code: 'bad_request', message: 'The address is not a valid URL.' },
      });
      expect(json.headers['content-security-policy']).toContain("default-src 'self'");
      expect(json.headers['x-frame-options']).toBe('DENY');

      const page = await app.inject({ url: '/things/%E0%A4%A', headers: { accept: 'text/html' } });
      expect(page.statusCode).toBe(400);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      const nonce = /'nonce-([^']+)'/.exec(page.headers['content-security-policy'] as string)?.[1];
      expect(page.body).toContain(`nonce="${nonce}"`);
      expect(page.body).not.toContain('%E0%A4%A');
    } finally {
      await app.close();
    }
  });
});
