/**
 * Social log-in end to end, over real HTTP: Hearth listening on loopback, a real OpenID
 * Connect provider (oidc-provider) on another port, and a cookie-keeping client following
 * every redirect between them, as a browser would.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildTestApp } from '../../../test/helpers/app.js';
import { describeEachDialect } from '../../../test/helpers/dialects.js';
import {
  TEST_LOCATION_ID,
  loginAs,
  makeMember,
  type TestMember,
} from '../../../test/helpers/members.js';
import {
  TestBrowser,
  csrfTokenIn,
  startOidcProvider,
  type TestOidcProvider,
} from '../../../test/helpers/oidc-provider.js';
import { findFreePort } from '../../../test/helpers/server.js';
import { tablesOf } from '../../platform/db/database.js';
import { newId } from '../../platform/db/ids.js';
import { nowTime } from '../../platform/db/portable.js';
import type { HearthModule } from '../../platform/module.js';
import { currentConsents } from '../../privacy/consent/index.js';
import type { NewslettersTables } from '../newsletters/index.js';
import type { SessionTables } from '../../platform/http/sessions.tables.js';
import { hashSessionToken } from '../../platform/http/sessions.js';
import { getCurrentMember } from './accounts.guards.js';
import { oidcRoutes } from './accounts.oidc.routes.js';
import { accountsDataMap } from './accounts.privacy.js';
import type { AccountsTables } from './accounts.tables.js';
import { requireRecentAuthentication } from './reauthentication.js';
import { generateTotpSecret } from './totp.js';

/** Pages the flow lands on: who is logged in, and an act that needs re-authentication. */
const fixtureRoutes: FastifyPluginAsync = (app) => {
  app.get('/test/whoami', async (request) => {
    const member = await getCurrentMember(request);
    return { userId: member?.id ?? null };
  });
  app.get<{ Querystring: { password?: string } }>('/test/sensitive', async (request) => {
    await requireRecentAuthentication(request, {
      ...(request.query.password !== undefined ? { password: request.query.password } : {}),
      next: '/test/sensitive',
    });
    return { ok: true };
  });
  return Promise.resolve();
};

/** The accounts module with only its social log-in routes, beside the fixture pages. */
const socialAccounts: HearthModule = {
  name: 'accounts',
  dataMap: accountsDataMap,
  plugin: async (app) => {
    await app.register(oidcRoutes);
    await app.register(fixtureRoutes);
  },
};

describeEachDialect('social log-in over OpenID Connect', (current) => {
  let app: FastifyInstance;
  let provider: TestOidcProvider;
  let hearth: string;

  beforeAll(async () => {
    const port = await findFreePort();
    hearth = `http://127.0.0.1:${port}`;
    provider = await startOidcProvider({ redirectUri: `${hearth}/auth/oidc/idp/callback` });
    app = await buildTestApp(current(), {
      modules: [socialAccounts],
      env: { PUBLIC_URL: hearth, ...provider.env('idp', 'Test ID') },
    });
    await app.listen({ port, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await app?.close();
    await provider?.close();
  });

  const accounts = () => tablesOf<AccountsTables>(current().db);
  const identitiesOf = (userId: string) =>
    accounts()
      .selectFrom('accounts_identities')
      .selectAll()
      .where('user_id', '=', userId)
      .execute();
  const userIdOfSession = async (browser: TestBrowser) => {
    const token = browser.cookie(hearth, 'hearth_session');
    if (token === undefined) return null;
    const row = await tablesOf<SessionTables>(current().db)
      .selectFrom('sessions')
      .select(['user_id', 'data'])
      .where('id', '=', hashSessionToken(token))
      .executeTakeFirst();
    return row?.user_id ?? null;
  };
  const providerSubject = (claims: Parameters<TestOidcProvider['addAccount']>[1]) => {
    const subject = `sub-${newId()}`;
    provider.addAccount(subject, claims);
    provider.logInAs(subject);
    return subject;
  };
  const uniqueEmail = () => `social-${newId().toLowerCase()}@example.test`;
  const linkIdentityRow = async (member: TestMember, subject: string) => {
    await accounts()
      .insertInto('accounts_identities')
      .values({
        id: newId(),
        user_id: member.id,
        provider: 'idp',
        provider_subject: subject,
        email: member.email,
        created_at: nowTime(),
        last_used_at: null,
      })
      .execute();
  };

  it('sends the browser to the provider with PKCE (S256), state and nonce, keeping them sealed', async () => {
    const browser = new TestBrowser();
    const response = await browser.request(`${hearth}/auth/oidc/idp?next=/test/whoami`);
    expect(response.status).toBe(303);
    const location = new URL(response.headers.get('location') ?? '');
    expect(location.origin).toBe(provider.issuer);
    expect(location.searchParams.get('code_challenge_method')).toBe('S256');
    expect(location.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(location.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(location.searchParams.get('nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(location.searchParams.get('redirect_uri')).toBe(`${hearth}/auth/oidc/idp/callback`);
    const cookie = response.headers.getSetCookie().find((c) => c.startsWith('hearth_oidc_flow='));
    expect(cookie).toMatch(/Path=\/auth\/oidc/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    // Sealed: neither the state nor the nonce can be read from the cookie.
    const sealed = browser.cookie(hearth, 'hearth_oidc_flow') ?? '';
    const decoded = Buffer.from(sealed, 'base64url').toString('latin1');
    expect(decoded).not.toContain(location.searchParams.get('state'));
    expect(decoded).not.toContain(location.searchParams.get('nonce'));
  });

  it('P02 P03 a new member completes their account with only what the provider did not give', async () => {
    const email = uniqueEmail();
    providerSubject({ email, email_verified: true, given_name: 'Zoë' });
    const browser = new TestBrowser();
    const page = await browser.navigate(`${hearth}/auth/oidc/idp?next=/test/whoami`);
    expect(page.url).toBe(`${hearth}/auth/oidc/complete`);
    expect(page.response.status).toBe(200);
    expect(page.body).toContain('Finish joining Hearth');
    expect(page.body).toContain(email);
    expect(page.body).toContain('name="surname"');
    expect(page.body).not.toContain('name="firstName"');
    expect(page.body).toContain('name="location"');
    expect(page.body).toContain('name="newsletters"');
    expect(page.body).not.toContain('name="password"');

    // A missing answer shows the form again, with the person's answers and a message.
    const invalid = await browser.navigate(`${hearth}/auth/oidc/complete`, {
      form: { _csrf: csrfTokenIn(page.body), surname: 'Smith' },
    });
    expect(invalid.response.status).toBe(422);
    expect(invalid.body).toContain('Choose where you live from the list');
    expect(invalid.body).toContain('value="Smith"');
    expect(
      await accounts()
        .selectFrom('accounts_users')
        .select('id')
        .where('email', '=', email)
        .execute(),
    ).toEqual([]);

    const done = await browser.navigate(`${hearth}/auth/oidc/complete`, {
      form: {
        _csrf: csrfTokenIn(invalid.body),
        surname: 'Smith',
        location: TEST_LOCATION_ID,
        newsletters: 'general',
      },
    });
    expect(done.url).toBe(`${hearth}/test/whoami`);
    const user = await accounts()
      .selectFrom('accounts_users')
      .selectAll()
      .where('email', '=', email)
      .executeTakeFirstOrThrow();
    expect(JSON.parse(done.body)).toEqual({ userId: user.id });
    expect(user).toMatchObject({
      first_name: 'Zoë',
      surname: 'Smith',
      location_id: TEST_LOCATION_ID,
      password_hash: null,
      status: 'active',
    });
    expect(user.email_verified_at).not.toBeNull();
    expect(user.username).toMatch(/^ZoeS\d+$/);
    expect(await identitiesOf(user.id)).toMatchObject([{ provider: 'idp', email }]);
    const subscriptions = await tablesOf<NewslettersTables>(current().db)
      .selectFrom('newsletters_subscriptions')
      .select('list_key')
      .where('user_id', '=', user.id)
      .execute();
    expect(subscriptions).toEqual([{ list_key: 'general' }]);
    const consents = await currentConsents(current().db, user.id);
    expect(consents).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ scope: 'newsletter:general', granted: true }),
      ]),
    );
    // The pending identity is spent: the completion cannot be posted a second time.
    expect(browser.cookie(hearth, 'hearth_oidc_pending')).toBeUndefined();
  });

  it('links an existing account only after its password is confirmed (a wrong one links nothing)', async () => {
    const member = await makeMember(current().db);
    providerSubject({
      email: member.email.toUpperCase(),
      email_verified: true,
      given_name: 'A',
      family_name: 'B',
    });
    const browser = new TestBrowser();
    const page = await browser.navigate(`${hearth}/auth/oidc/idp?next=/test/whoami`);
    expect(page.url).toBe(`${hearth}/auth/oidc/link`);
    expect(page.body).toContain('Link your Test ID account');
    expect(page.body).toContain('autocomplete="current-password"');
    // Not logged in yet, and nothing linked on the strength of the email alone.
    expect(await userIdOfSession(browser)).toBeNull();
    expect(await identitiesOf(member.id)).toEqual([]);

    const wrong = await browser.navigate(`${hearth}/auth/oidc/link`, {
      form: { _csrf: csrfTokenIn(page.body), password: 'not the password' },
    });
    expect(wrong.response.status).toBe(422);
    expect(wrong.body).toContain('The password is not right');
    expect(wrong.body).not.toContain('not the password');
    expect(await identitiesOf(member.id)).toEqual([]);
    expect(await userIdOfSession(browser)).toBeNull();

    const right = await browser.navigate(`${hearth}/auth/oidc/link`, {
      form: { _csrf: csrfTokenIn(wrong.body), password: member.password },
    });
    expect(right.url).toBe(`${hearth}/test/whoami`);
    expect(JSON.parse(right.body)).toEqual({ userId: member.id });
    expect(await identitiesOf(member.id)).toHaveLength(1);
  });

  it('logs a linked identity straight in and records the log-in', async () => {
    const member = await makeMember(current().db);
    const subject = providerSubject({ email: member.email, email_verified: true });
    await linkIdentityRow(member, subject);
    const browser = new TestBrowser();
    const page = await browser.navigate(`${hearth}/auth/oidc/idp?next=/test/whoami`);
    expect(page.url).toBe(`${hearth}/test/whoami`);
    expect(JSON.parse(page.body)).toEqual({ userId: member.id });
    const user = await accounts()
      .selectFrom('accounts_users')
      .select('last_login_at')
      .where('id', '=', member.id)
      .executeTakeFirstOrThrow();
    expect(user.last_login_at).not.toBeNull();
    const [identity] = await identitiesOf(member.id);
    expect(identity?.last_used_at).not.toBeNull();
  });

  it('P46 sends staff on to the second factor after a social log-in', async () => {
    const member = await makeMember(current().db, {
      roles: ['moderator'],
      totpSecret: generateTotpSecret(),
      secretKey: app.secretKey,
    });
    const subject = providerSubject({ email: member.email, email_verified: true });
    await linkIdentityRow(member, subject);
    const browser = new TestBrowser();
    const stop = await browser.navigateUntil(`${hearth}/auth/oidc/idp?next=/test/whoami`, (next) =>
      next.pathname.startsWith('/login/totp'),
    );
    expect(new URL(stop.url).pathname).toBe('/login/totp');
    expect(new URL(stop.url).searchParams.get('next')).toBe('/test/whoami');
  });

  it('refuses an answer whose state does not match the one this browser started with', async () => {
    providerSubject({ email: uniqueEmail(), email_verified: true });
    const browser = new TestBrowser();
    const atCallback = await browser.navigateUntil(`${hearth}/auth/oidc/idp`, (next) =>
      next.href.startsWith(`${hearth}/auth/oidc/idp/callback`),
    );
    const tampered = new URL(atCallback.url);
    tampered.searchParams.set('state', 'x'.repeat(43));
    const page = await browser.navigate(tampered.href);
    expect(page.response.status).toBe(400);
    expect(page.body).toContain('This log-in has expired');
    expect(browser.cookie(hearth, 'hearth_session')).toBeUndefined();

    // The genuine answer is no use afterwards either: the sealed state was single-use.
    const replay = await browser.navigate(atCallback.url);
    expect(replay.response.status).toBe(400);
    // Nor in another browser, which never held the state.
    const other = await new TestBrowser().navigate(atCallback.url);
    expect(other.response.status).toBe(400);
    expect(other.body).toContain('This log-in has expired');
  });

  it('refuses an ID token whose nonce is not the one sent', async () => {
    const email = uniqueEmail();
    providerSubject({ email, email_verified: true });
    const browser = new TestBrowser();
    const start = await browser.request(`${hearth}/auth/oidc/idp`);
    const authorization = new URL(start.headers.get('location') ?? '');
    // An attacker's authorization request, with its own nonce, answered into this browser.
    authorization.searchParams.set('nonce', 'attacker-chosen-nonce');
    const page = await browser.navigate(authorization.href);
    expect(page.url.startsWith(`${hearth}/auth/oidc/idp/callback`)).toBe(true);
    expect(page.response.status).toBe(400);
    expect(page.body).toContain('We could not log you in');
    expect(browser.cookie(hearth, 'hearth_oidc_pending')).toBeUndefined();
    expect(browser.cookie(hearth, 'hearth_session')).toBeUndefined();
  });

  it('refuses a code issued for another PKCE challenge (the verifier stays with this browser)', async () => {
    providerSubject({ email: uniqueEmail(), email_verified: true });
    const browser = new TestBrowser();
    const start = await browser.request(`${hearth}/auth/oidc/idp`);
    const authorization = new URL(start.headers.get('location') ?? '');
    const otherChallenge = createHash('sha256').update('another verifier').digest('base64url');
    authorization.searchParams.set('code_challenge', otherChallenge);
    const page = await browser.navigate(authorization.href);
    expect(page.response.status).toBe(400);
    expect(page.body).toContain('We could not log you in');
    expect(browser.cookie(hearth, 'hearth_session')).toBeUndefined();
  });

  it('shows a clear page, not an error, when the person declines at the provider', async () => {
    providerSubject({ email: uniqueEmail(), email_verified: true });
    provider.denyNext();
    const page = await new TestBrowser().navigate(`${hearth}/auth/oidc/idp`);
    expect(page.response.status).toBe(403);
    expect(page.body).toContain('Log-in was cancelled');
    expect(page.body).toContain('href="/auth/oidc/idp"');
  });

  it('uses no unverified provider email to find or make an account, and says so the same way', async () => {
    const member = await makeMember(current().db);
    for (const email of [member.email, uniqueEmail()]) {
      providerSubject({ email, email_verified: false, given_name: 'A', family_name: 'B' });
      const page = await new TestBrowser().navigate(`${hearth}/auth/oidc/idp`);
      expect(page.response.status).toBe(403);
      expect(page.body).toContain('We need a verified email address');
    }
    expect(await identitiesOf(member.id)).toEqual([]);
  });

  it('never links to an account without a password: its owner logs in as before', async () => {
    const member = await makeMember(current().db, { passwordless: true });
    const subject = `sub-${newId()}`;
    await linkIdentityRow(member, subject);
    providerSubject({ email: member.email, email_verified: true });
    const browser = new TestBrowser();
    const page = await browser.navigate(`${hearth}/auth/oidc/idp`);
    expect(page.url).toBe(`${hearth}/auth/oidc/link`);
    expect(page.response.status).toBe(409);
    expect(page.body).toContain('You already have a Hearth account');
    expect(page.body).toContain('Log in with Test ID');
    expect(page.body).not.toContain('name="password"');
    expect(await identitiesOf(member.id)).toHaveLength(1);
    expect(await userIdOfSession(browser)).toBeNull();
  });

  it('answers 404 for a provider that is not configured', async () => {
    const response = await new TestBrowser().request(`${hearth}/auth/oidc/nobody`);
    expect(response.status).toBe(404);
  });

  it('re-authenticates a social-only member with a fresh log-in at their provider', async () => {
    const member = await makeMember(current().db, { passwordless: true });
    const subject = providerSubject({ email: member.email, email_verified: true });
    await linkIdentityRow(member, subject);
    const browser = new TestBrowser();
    await browser.navigate(`${hearth}/auth/oidc/idp?next=/test/whoami`);
    expect(await userIdOfSession(browser)).toBe(member.id);

    // Logged in, but that is not enough for a sensitive act: the answer says where to go.
    const refused = await browser.navigate(`${hearth}/test/sensitive`);
    expect(refused.response.status).toBe(403);
    const error = JSON.parse(refused.body) as { error: { code: string; message: string } };
    expect(error.error.code).toBe('reauthentication_required');
    expect(error.error.message).toContain('/auth/oidc/idp?reauth=1&next=%2Ftest%2Fsensitive');

    // The round-trip makes the provider ask again (prompt=login), then the act goes through.
    const promptsBefore = provider.loginPrompts();
    const start = await browser.request(
      `${hearth}/auth/oidc/idp?reauth=1&next=%2Ftest%2Fsensitive`,
    );
    const authorization = new URL(start.headers.get('location') ?? '');
    expect(authorization.searchParams.get('prompt')).toBe('login');
    expect(authorization.searchParams.get('max_age')).toBe('300');
    const done = await browser.navigate(authorization.href);
    expect(provider.loginPrompts()).toBe(promptsBefore + 1);
    expect(done.url).toBe(`${hearth}/test/sensitive`);
    expect(JSON.parse(done.body)).toEqual({ ok: true });
  });

  it('refuses a re-authentication with a provider identity linked to someone else', async () => {
    const member = await makeMember(current().db, { passwordless: true });
    const own = providerSubject({ email: member.email, email_verified: true });
    await linkIdentityRow(member, own);
    const browser = new TestBrowser();
    await browser.navigate(`${hearth}/auth/oidc/idp`);
    expect(await userIdOfSession(browser)).toBe(member.id);

    // Someone else logs in at the provider in this browser (its session for the member ends).
    browser.clearCookies(provider.issuer, (name) => name.startsWith('_session'));
    providerSubject({ email: uniqueEmail(), email_verified: true });
    const page = await browser.navigate(`${hearth}/auth/oidc/idp?reauth=1&next=/test/sensitive`);
    expect(page.response.status).toBe(403);
    expect(page.body).toContain('That is not your linked account');
    const still = await browser.navigate(`${hearth}/test/sensitive`);
    expect(still.response.status).toBe(403);
  });

  it('asks a member with a password for it, and counts wrong ones', async () => {
    const member = await makeMember(current().db);
    const session = await loginAs(app, member);
    const ask = (password?: string) =>
      app.inject({
        url: `/test/sensitive${password === undefined ? '' : `?password=${encodeURIComponent(password)}`}`,
        headers: session.headers,
      });
    expect((await ask()).json()).toMatchObject({
      error: { code: 'reauthentication_required', fields: { password: 'Enter your password' } },
    });
    const wrong = await ask('wrong password');
    expect(wrong.statusCode).toBe(403);
    expect(wrong.json()).toMatchObject({
      error: { fields: { password: 'The password is not right' } },
    });
    const failures = await accounts()
      .selectFrom('accounts_login_failures')
      .select('id')
      .where('user_id', '=', member.id)
      .execute();
    expect(failures).toHaveLength(1);
    expect((await ask(member.password)).json()).toEqual({ ok: true });
  });
});
