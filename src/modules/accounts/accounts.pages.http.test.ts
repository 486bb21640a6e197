import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { tablesOf } from '../../platform/db/database.js';
import type { MailTables } from '../../platform/mail/mail.tables.js';
import type { SessionTables } from '../../platform/http/sessions.tables.js';
import { buildTestApp } from '../../../test/helpers/app.js';
import { describeEachDialect } from '../../../test/helpers/dialects.js';
import { loginAs, makeMember, TEST_LOCATION_ID } from '../../../test/helpers/members.js';
import type { AccountsTables } from './accounts.tables.js';
import { generateTotpSecret, totpCode } from './totp.js';

/** A browser's cookie jar and the CSRF token of the last page, for form posts. */
class Browser {
  cookies = new Map<string, string>();
  csrf = '';
  constructor(private readonly app: FastifyInstance) {}

  private remember(response: LightMyRequestResponse): void {
    for (const cookie of response.cookies) {
      if (cookie.value === '' || (cookie.expires && cookie.expires.getTime() < Date.now())) {
        this.cookies.delete(cookie.name);
      } else {
        this.cookies.set(cookie.name, cookie.value);
      }
    }
    const token = /name="_csrf" value="([^"]+)"/.exec(response.body)?.[1];
    if (token) this.csrf = token;
  }

  private get cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  async get(url: string): Promise<LightMyRequestResponse> {
    const response = await this.app.inject({ url, headers: { cookie: this.cookieHeader } });
    this.remember(response);
    return response;
  }

  async post(url: string, fields: Record<string, string>): Promise<LightMyRequestResponse> {
    const response = await this.app.inject({
      method: 'POST',
      url,
      headers: {
        cookie: this.cookieHeader,
        'content-type': 'application/x-www-form-urlencoded',
      },
      payload: new URLSearchParams({ ...fields, _csrf: this.csrf }).toString(),
    });
    this.remember(response);
    return response;
  }
}

describeEachDialect('accounts pages', (current) => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestApp(current());
  });
  afterAll(async () => {
    await app.close();
  });

  const userByEmail = (email: string) =>
    tablesOf<AccountsTables>(current().db)
      .selectFrom('accounts_users')
      .selectAll()
      .where('email', '=', email)
      .executeTakeFirst();
  const lastLink = async (address: string, path: string) => {
    const mails = await tablesOf<MailTables>(current().db)
      .selectFrom('outbox')
      .select('text_body')
      .where('to_address', '=', address)
      .orderBy('id', 'desc')
      .execute();
    for (const mail of mails) {
      const match = new RegExp(`${path}\\?token=[A-Za-z0-9_-]+`).exec(mail.text_body);
      if (match) return match[0];
    }
    throw new Error(`no ${path} link for ${address}`);
  };

  it('P02 registers through the form, showing errors again without the password', async () => {
    const browser = new Browser(app);
    const page = await browser.get('/register');
    expect(page.statusCode).toBe(200);
    for (const label of ['First name', 'Surname', 'Email address', 'Password', 'Your location']) {
      expect(page.body).toContain(`>${label}</label>`);
    }
    const invalid = await browser.post('/register', {
      firstName: 'Ada',
      surname: '',
      email: 'ada@example.test',
      password: 'secret-typed-here',
      location: TEST_LOCATION_ID,
    });
    expect(invalid.statusCode).toBe(422);
    expect(invalid.body).toContain('Enter your surname');
    expect(invalid.body).toContain('value="ada@example.test"');
    expect(invalid.body).not.toContain('secret-typed-here');

    const email = `ada-${Date.now()}@example.test`;
    const done = await browser.post('/register', {
      firstName: 'Ada',
      surname: 'Lovelace',
      email,
      password: 'analytical engine notes',
      location: TEST_LOCATION_ID,
    });
    expect(done.statusCode).toBe(303);
    expect(done.headers.location).toBe('/register/check-email');
    expect((await userByEmail(email))?.username).toMatch(/^AdaL\d+$/);

    // The link opens a confirmation button; only the POST confirms (mail scanners fetch links).
    const link = await lastLink(email, '/verify-email');
    const confirm = await browser.get(link);
    expect(confirm.body).toContain('Confirm my email address');
    expect((await userByEmail(email))?.email_verified_at).toBeNull();
    const token = new URL(link, app.config.publicUrl).searchParams.get('token') ?? '';
    const verified = await browser.post('/verify-email', { token });
    expect(verified.statusCode).toBe(303);
    expect((await userByEmail(email))?.email_verified_at).not.toBeNull();
  });

  it('logs in to a same-site next page only, and shows who is logged in', async () => {
    const member = await makeMember(current().db);
    const browser = new Browser(app);
    await browser.get('/login');
    const wrong = await browser.post('/login', {
      email: member.email,
      password: 'wrong password!',
      next: '/account',
    });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.body).toContain('The email address or password is wrong.');
    expect(wrong.body).toContain(`value="${member.email}"`);

    const evil = await browser.post('/login', {
      email: member.email,
      password: member.password,
      next: '//evil.example/steal',
    });
    expect(evil.statusCode).toBe(303);
    expect(evil.headers.location).toBe('/account');
    // The header knows the viewer without the route passing it.
    const home = await browser.get('/');
    const header = /<header[\s\S]*<\/header>/.exec(home.body)?.[0] ?? '';
    expect(header).toContain('href="/account"');
    expect(header).not.toContain('href="/login"');
  });

  it('sends staff to the TOTP step, then to the page they asked for', async () => {
    const secret = generateTotpSecret();
    const staff = await makeMember(current().db, {
      roles: ['admin'],
      totpSecret: secret,
      secretKey: app.secretKey,
    });
    const browser = new Browser(app);
    await browser.get('/login');
    const first = await browser.post('/login', {
      email: staff.email,
      password: staff.password,
      next: '/admin',
    });
    expect(first.headers.location).toBe('/login/totp?next=%2Fadmin');
    await browser.get('/login/totp?next=%2Fadmin');
    const wrong = await browser.post('/login/totp', { code: '123456', next: '/admin' });
    expect(wrong.statusCode).toBe(401);
    const right = await browser.post('/login/totp', { code: totpCode(secret), next: '/admin' });
    expect(right.statusCode).toBe(303);
    expect(right.headers.location).toBe('/admin');
    const sessions = await tablesOf<SessionTables>(current().db)
      .selectFrom('sessions')
      .select('data')
      .where('user_id', '=', staff.id)
      .execute();
    expect(sessions).toHaveLength(1);
    expect(sessions[0]?.data).toContain('secondFactorAt');

    const unset = await makeMember(current().db, { roles: ['moderator'] });
    const other = new Browser(app);
    await other.get('/login');
    const setup = await other.post('/login', { email: unset.email, password: unset.password });
    expect(setup.headers.location).toBe('/account/two-factor');
  });

  it('P04 P37 edits the profile, switches the name, revokes a session and logs out', async () => {
    const member = await makeMember(current().db);
    const phone = await loginAs(app, member, { kind: 'bearer' });
    const browser = new Browser(app);
    await browser.get('/login');
    await browser.post('/login', { email: member.email, password: member.password });
    const account = await browser.get('/account');
    expect(account.statusCode).toBe(200);
    expect(account.body).toContain(member.username);

    const saved = await browser.post('/account/profile', {
      firstName: 'Robin',
      surname: member.surname,
      email: member.email,
      location: 'leeds',
    });
    expect(saved.headers.location).toBe('/account?done=profile');
    expect((await userByEmail(member.email))?.first_name).toBe('Robin');

    const anonymous = await browser.post('/account/anonymous', { anonymous: 'on' });
    expect(anonymous.statusCode).toBe(303);
    const user = await userByEmail(member.email);
    expect(user?.use_anonymous_name).toBe(1);
    expect((await browser.get('/account')).body).toContain(user?.anonymous_name ?? 'missing');

    const badPassword = await browser.post('/account/password', {
      currentPassword: 'not my password',
      password: 'a whole new passphrase',
    });
    expect(badPassword.statusCode).toBe(403);
    expect(badPassword.body).toContain('field-currentPassword-error');

    const revoked = await browser.post('/account/sessions/revoke', { sessionId: phone.sessionId });
    expect(revoked.headers.location).toBe('/account?done=session');
    expect((await app.inject({ url: '/api/v1/me', headers: phone.headers })).statusCode).toBe(401);

    const out = await browser.post('/logout', {});
    expect(out.headers.location).toBe('/');
    expect((await browser.get('/account')).statusCode).toBe(303);
  });

  it('resets a forgotten password through the emailed link', async () => {
    const member = await makeMember(current().db);
    const browser = new Browser(app);
    await browser.get('/forgot-password');
    const asked = await browser.post('/forgot-password', { email: member.email });
    expect(asked.headers.location).toBe('/forgot-password?sent=1');
    const stranger = await browser.post('/forgot-password', { email: 'nobody@example.test' });
    expect(stranger.headers.location).toBe('/forgot-password?sent=1');

    const link = await lastLink(member.email, '/reset-password');
    const form = await browser.get(link);
    expect(form.body).toContain('New password');
    const token = new URL(link, app.config.publicUrl).searchParams.get('token') ?? '';
    const done = await browser.post('/reset-password', {
      token,
      password: 'meadow lantern harbour',
    });
    expect(done.headers.location).toBe('/login?reset=1');
    const spent = await browser.get(link);
    expect(spent.body).toContain('cannot be used any more');
  });
});
