import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { newId } from '../../../src/platform/db/ids.js';
import { buildTestApp } from '../../helpers/app.js';
import { describeEachDialect } from '../../helpers/dialects.js';
import { PUBLIC_URL, cookieHeader, fixtureModule, logIn } from './fixture-module.js';

const FORM = 'application/x-www-form-urlencoded';
const HTML_ACCEPT = 'text/html,application/xhtml+xml,*/*;q=0.8';

describeEachDialect('CSRF', (current) => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestApp(current(), { modules: [fixtureModule] });
  });
  afterAll(async () => {
    await app.close();
  });

  /** Renders the fixture form as `cookie` would see it; returns its token and the csrf cookie. */
  async function openForm(cookie = ''): Promise<{ token: string; cookie: string }> {
    const page = await app.inject({ url: '/fixture/form', headers: cookie ? { cookie } : {} });
    const token = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1];
    if (!token) throw new Error('no token in the form');
    const issued = cookieHeader(page, 'hearth_csrf');
    return { token, cookie: [cookie, issued].filter(Boolean).join('; ') };
  }

  const postForm = (body: string, cookie: string, headers: Record<string, string> = {}) =>
    app.inject({
      method: 'POST',
      url: '/fixture/form',
      headers: { 'content-type': FORM, accept: HTML_ACCEPT, cookie, ...headers },
      payload: body,
    });

  it('P40 sets the essential hearth_csrf cookie as a browser-session cookie', async () => {
    const page = await app.inject({ url: '/fixture/form' });
    const cookie = page.cookies.find((c) => c.name === 'hearth_csrf');
    expect(cookie).toMatchObject({ path: '/', httpOnly: true, sameSite: 'Lax' });
    expect(cookie?.expires).toBeUndefined();
    expect(cookie?.maxAge).toBeUndefined();
    // A second page with the cookie reuses it, so tabs opened earlier keep working.
    const again = await app.inject({
      url: '/fixture/form',
      headers: { cookie: cookieHeader(page, 'hearth_csrf') },
    });
    expect(again.cookies).toEqual([]);
    expect(again.body).toBe(page.body);
  });

  it('accepts an anonymous form with its token and hides the token from the handler', async () => {
    const form = await openForm();
    const response = await postForm(
      `_csrf=${encodeURIComponent(form.token)}&name=Sam`,
      form.cookie,
    );
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ received: { name: 'Sam' }, userId: null });
  });

  it('refuses a form without a token, with a wrong one, or without the cookie, as an HTML 403', async () => {
    const form = await openForm();
    const refusals = [
      await postForm('name=Sam', form.cookie),
      await postForm(`_csrf=${encodeURIComponent(form.token)}x&name=Sam`, form.cookie),
      await postForm(`_csrf=${encodeURIComponent(form.token)}&name=Sam`, ''),
      await postForm(
        `_csrf=${encodeURIComponent(form.token)}&name=Sam`,
        `hearth_csrf=${'A'.repeat(43)}`,
      ),
    ];
    for (const response of refusals) {
      expect(response.statusCode).toBe(403);
      expect(response.headers['content-type']).toMatch(/^text\/html/);
      expect(response.body).toContain('This form has expired');
    }
    const json = await app.inject({
      method: 'POST',
      url: '/fixture/form',
      headers: { 'content-type': FORM, cookie: form.cookie },
      payload: 'name=Sam',
    });
    expect(json.json()).toMatchObject({ error: { code: 'csrf_failed' } });
  });

  it('refuses a cross-site text/plain form, the enctype that skips CORS', async () => {
    const form = await openForm();
    const response = await app.inject({
      method: 'POST',
      url: '/fixture/form',
      headers: { 'content-type': 'text/plain', cookie: form.cookie },
      payload: `_csrf=${form.token}`,
    });
    expect(response.statusCode).toBe(403);
  });

  it('binds a member’s token to them: a token from before log-in or of another member fails', async () => {
    const anonymous = await openForm();
    const member = await logIn(app, newId());
    const cookie = `${member.cookie}; ${anonymous.cookie}`;
    const stale = await postForm(`_csrf=${encodeURIComponent(anonymous.token)}&name=Sam`, cookie);
    expect(stale.statusCode).toBe(403);

    const other = await logIn(app, newId());
    const othersForm = await openForm(`${other.cookie}; ${anonymous.cookie}`);
    const crossed = await postForm(
      `_csrf=${encodeURIComponent(othersForm.token)}&name=Sam`,
      cookie,
    );
    expect(crossed.statusCode).toBe(403);

    const ownForm = await openForm(cookie);
    const accepted = await postForm(`_csrf=${encodeURIComponent(ownForm.token)}&name=Sam`, cookie);
    expect(accepted.statusCode).toBe(200);
    expect(accepted.json()).toMatchObject({ received: { name: 'Sam' } });
  });

  it('accepts the token in the X-CSRF-Token header', async () => {
    const form = await openForm();
    const response = await postForm('name=Sam', form.cookie, { 'x-csrf-token': form.token });
    expect(response.statusCode).toBe(200);
  });

  it('accepts a cookie-authenticated API call only from our own origin', async () => {
    const { cookie } = await logIn(app, newId());
    const call = (headers: Record<string, string>) =>
      app.inject({
        method: 'POST',
        url: '/api/v1/fixture/change',
        headers: { cookie, ...headers },
        payload: {},
      });

    expect((await call({ origin: PUBLIC_URL })).statusCode).toBe(200);
    expect((await call({ 'sec-fetch-site': 'same-origin' })).statusCode).toBe(200);

    const refused: Record<string, string>[] = [
      { origin: 'https://evil.example' },
      { origin: 'null' },
      { origin: 'http://127.0.0.1:3001' },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
      {},
    ];
    for (const headers of refused) {
      const response = await call(headers);
      expect(response.statusCode, JSON.stringify(headers)).toBe(403);
      expect(response.json()).toMatchObject({ error: { code: 'csrf_failed' } });
    }
  });

  it('requires JSON for API calls that change something', async () => {
    const { cookie } = await logIn(app, newId());
    const form = await openForm(cookie);
    for (const contentType of [FORM, 'text/plain']) {
      const response = await app.inject({
        method: 'POST',
        url: '/api/v1/fixture/change',
        headers: { cookie: form.cookie, origin: PUBLIC_URL, 'content-type': contentType },
        payload: `_csrf=${form.token}`,
      });
      expect(response.statusCode).toBe(415);
      expect(response.json()).toMatchObject({ error: { code: 'unsupported_media_type' } });
    }
  });

  it('exempts Bearer requests, even with a foreign Origin', async () => {
    const userId = newId();
    const { token } = (
      await app.inject({ method: 'POST', url: '/api/v1/fixture/bearer', payload: { userId } })
    ).json<{ token: string }>();
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/fixture/change',
      headers: { authorization: `Bearer ${token}`, origin: 'https://app.example' },
      payload: {},
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ userId });
  });

  it('lets an app without a session call the API, but not a foreign web page', async () => {
    const app_ = await app.inject({ method: 'POST', url: '/api/v1/fixture/change', payload: {} });
    expect(app_.statusCode).toBe(200);
    const foreign = await app.inject({
      method: 'POST',
      url: '/api/v1/fixture/login',
      headers: { origin: 'https://evil.example' },
      payload: { userId: newId() },
    });
    expect(foreign.statusCode).toBe(403);
    expect(foreign.cookies.find((c) => c.name === 'hearth_session')).toBeUndefined();
  });

  it('checks JSON posts to pages by origin too', async () => {
    const { cookie } = await logIn(app, newId());
    const post = (headers: Record<string, string>) =>
      app.inject({
        method: 'POST',
        url: '/fixture/json',
        headers: { cookie, ...headers },
        payload: { a: 1 },
      });
    expect((await post({ origin: PUBLIC_URL })).statusCode).toBe(200);
    expect((await post({ origin: 'https://evil.example' })).statusCode).toBe(403);
    expect((await post({})).statusCode).toBe(403);
  });
});
