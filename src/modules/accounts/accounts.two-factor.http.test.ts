import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildTestApp } from '../../../test/helpers/app.js';
import { describeEachDialect } from '../../../test/helpers/dialects.js';
import { loginAs, makeMember, type LoggedIn } from '../../../test/helpers/members.js';
import { tablesOf } from '../../platform/db/database.js';
import { admin } from '../admin/index.js';
import type { AccountsTables } from './accounts.tables.js';
import { totpCode } from './totp.js';
import { decryptTotpSecret } from './totp-secret.js';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const JSON_TYPE = { 'content-type': 'application/json' };

/** The key shown on the page, read back as the authenticator app would take it. */
function shownSecret(html: string): string {
  const match = /Key: <code>([A-Z2-7 ]+)<\/code>/.exec(html);
  if (!match?.[1]) throw new Error('no key on the page');
  return match[1].replace(/ /g, '');
}

function sessionCookie(response: { cookies: { name: string; value: string }[] }) {
  return response.cookies.find((cookie) => cookie.name === 'hearth_session')?.value;
}

/** The login headers with the session cookie replaced by a rotated one. */
function withSession(login: LoggedIn, token: string): Record<string, string> {
  return {
    ...login.headers,
    cookie: (login.headers.cookie ?? '').replace(/hearth_session=[^;]+/, `hearth_session=${token}`),
  };
}

describeEachDialect('two-factor set-up', (current) => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestApp(current(), { modules: [admin] });
  });
  afterAll(async () => {
    await app?.close();
  });

  const userRow = (id: string) =>
    tablesOf<AccountsTables>(current().db)
      .selectFrom('accounts_users')
      .select(['totp_secret', 'totp_enabled_at'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();

  it('sends a visitor who is not logged in to log in first', async () => {
    const response = await app.inject({ url: '/account/two-factor' });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/login?next=%2Faccount%2Ftwo-factor');
  });

  it('staff set up TOTP with a code computed from the shown secret, then /admin opens', async () => {
    const moderator = await makeMember(current().db, { roles: ['moderator'] });
    const login = await loginAs(app, moderator);

    const before = await app.inject({ url: '/admin', headers: login.headers });
    expect(before.statusCode).toBe(303);
    expect(before.headers.location).toBe('/account/two-factor');

    const page = await app.inject({ url: '/account/two-factor', headers: login.headers });
    expect(page.statusCode).toBe(200);
    const secret = shownSecret(page.body);
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(page.body).toContain('href="otpauth://totp/Hearth%3A');
    expect(page.body).toContain('autocomplete="one-time-code"');
    // A reload shows the same key, so a key already added to the app stays right.
    const again = await app.inject({ url: '/account/two-factor', headers: login.headers });
    expect(shownSecret(again.body)).toBe(secret);

    const wrongCode = String((Number(totpCode(secret)) + 500_000) % 1_000_000).padStart(6, '0');
    const wrong = await app.inject({
      method: 'POST',
      url: '/account/two-factor',
      headers: { ...login.headers, ...FORM },
      payload: new URLSearchParams({ _csrf: login.csrfToken, code: wrongCode }).toString(),
    });
    expect(wrong.statusCode).toBe(422);
    expect(wrong.body).toContain('That code is not right');
    expect(wrong.body).toContain(`value="${wrongCode}"`);
    expect(shownSecret(wrong.body)).toBe(secret);
    expect((await userRow(moderator.id)).totp_enabled_at).toBeNull();

    const code = totpCode(secret);
    const right = await app.inject({
      method: 'POST',
      url: '/account/two-factor',
      headers: { ...login.headers, ...FORM },
      payload: new URLSearchParams({
        _csrf: login.csrfToken,
        code: `${code.slice(0, 3)} ${code.slice(3)}`,
      }).toString(),
    });
    expect(right.statusCode).toBe(303);
    expect(right.headers.location).toBe('/admin');
    const row = await userRow(moderator.id);
    expect(row.totp_enabled_at).not.toBeNull();
    expect(row.totp_secret).not.toContain(secret);
    expect(decryptTotpSecret(app.secretKey, row.totp_secret ?? '')).toBe(secret);

    // The session passed the second factor under a new id; the old cookie is gone.
    const rotated = sessionCookie(right);
    expect(rotated).toBeDefined();
    expect(rotated).not.toBe(login.token);
    const adminPage = await app.inject({
      url: '/admin',
      headers: withSession(login, rotated ?? ''),
    });
    expect(adminPage.statusCode).toBe(200);
    expect(adminPage.body).toContain('<h1>Staff area</h1>');
    const oldCookie = await app.inject({ url: '/admin', headers: login.headers });
    expect(oldCookie.statusCode).toBe(303);
    expect(oldCookie.headers.location).toMatch(/^\/login/);

    // Set up once: the page now says so, and a late second confirmation changes nothing.
    const done = await app.inject({
      url: '/account/two-factor',
      headers: withSession(login, rotated ?? ''),
    });
    expect(done.body).toContain('Two-factor log-in is on');
    expect(done.body).not.toContain('Key: <code>');
  });

  it('a staff member whose TOTP is set up but not passed this session is sent to /login/totp', async () => {
    const editor = await makeMember(current().db, {
      roles: ['editor'],
      totpSecret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP',
      secretKey: app.secretKey,
    });
    const login = await loginAs(app, editor, { secondFactor: false });
    const response = await app.inject({ url: '/admin', headers: login.headers });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/login/totp');
  });

  it('a member without a staff role may turn it on too, and lands on their account', async () => {
    const member = await makeMember(current().db);
    const login = await loginAs(app, member);
    const page = await app.inject({ url: '/account/two-factor', headers: login.headers });
    const secret = shownSecret(page.body);
    const response = await app.inject({
      method: 'POST',
      url: '/account/two-factor',
      headers: { ...login.headers, ...FORM },
      payload: new URLSearchParams({ _csrf: login.csrfToken, code: totpCode(secret) }).toString(),
    });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/account');
  });

  it('asks again for an empty code, without a 500', async () => {
    const member = await makeMember(current().db);
    const login = await loginAs(app, member);
    const response = await app.inject({
      method: 'POST',
      url: '/account/two-factor',
      headers: { ...login.headers, ...FORM },
      payload: new URLSearchParams({ _csrf: login.csrfToken, code: '' }).toString(),
    });
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain('Enter the 6-digit code from your authenticator app');
  });

  it('sets up through the API with a Bearer session', async () => {
    const helpdesk = await makeMember(current().db, { roles: ['helpdesk_agent'] });
    const login = await loginAs(app, helpdesk, { kind: 'bearer' });
    const status = await app.inject({ url: '/api/v1/me/two-factor', headers: login.headers });
    expect(status.json()).toEqual({ enabled: false, enabledAt: null });

    const start = await app.inject({
      method: 'POST',
      url: '/api/v1/me/two-factor',
      headers: login.headers,
    });
    expect(start.statusCode).toBe(200);
    const { secret, uri } = start.json<{ secret: string; uri: string }>();
    expect(uri).toContain(`secret=${secret}`);

    const wrong = await app.inject({
      method: 'POST',
      url: '/api/v1/me/two-factor/confirm',
      headers: { ...login.headers, ...JSON_TYPE },
      payload: { code: '12345x' },
    });
    expect(wrong.statusCode).toBe(400);
    const refusal = wrong.json<{ error: { code: string; fields?: Record<string, string> } }>();
    expect(refusal.error.code).toBe('validation_failed');
    expect(refusal.error.fields?.code).toMatch(/not right/);

    const right = await app.inject({
      method: 'POST',
      url: '/api/v1/me/two-factor/confirm',
      headers: { ...login.headers, ...JSON_TYPE },
      payload: { code: totpCode(secret) },
    });
    expect(right.statusCode).toBe(200);
    expect(right.json<{ enabledAt: string }>().enabledAt).toMatch(/^\d{4}-\d\d-\d\dT/);

    // The Bearer session passed the second factor: the staff API is open to it.
    const again = await app.inject({
      method: 'POST',
      url: '/api/v1/me/two-factor',
      headers: login.headers,
    });
    expect(again.statusCode).toBe(409);
    expect(decryptTotpSecret(app.secretKey, (await userRow(helpdesk.id)).totp_secret ?? '')).toBe(
      secret,
    );
  });

  it('documents the API in OpenAPI, and not the pages', async () => {
    const document = (await app.inject({ url: '/api/v1/openapi.json' })).json<{
      paths: Record<string, Record<string, unknown>>;
    }>();
    expect(Object.keys(document.paths['/api/v1/me/two-factor'] ?? {}).sort()).toEqual([
      'get',
      'post',
    ]);
    expect(document.paths['/api/v1/me/two-factor/confirm']?.post).toBeDefined();
    expect(Object.keys(document.paths).filter((path) => /^\/(admin|account)/.test(path))).toEqual(
      [],
    );
  });

  it('refuses the API without a session', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/me/two-factor/confirm',
      headers: JSON_TYPE,
      payload: { code: '123456' },
    });
    expect(response.statusCode).toBe(401);
  });
});
