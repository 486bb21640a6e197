import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tablesOf } from '../../platform/db/database.js';
import { toDbTime } from '../../platform/db/portable.js';
import type { MailTables } from '../../platform/mail/mail.tables.js';
import type { SessionTables } from '../../platform/http/sessions.tables.js';
import { currentConsents } from '../../privacy/consent/index.js';
import { buildTestApp } from '../../../test/helpers/app.js';
import { describeEachDialect } from '../../../test/helpers/dialects.js';
import { loginAs, makeMember, TEST_LOCATION_ID } from '../../../test/helpers/members.js';
import { authorNameForNewContent } from './accounts.service.js';
import type { AccountsTables } from './accounts.tables.js';
import { MAX_LOGIN_FAILURES } from './accounts.throttle.js';
import { generateTotpSecret, totpCode } from './totp.js';

describeEachDialect('accounts API', (current) => {
  let app: FastifyInstance;
  let origin: Record<string, string>;
  beforeAll(async () => {
    app = await buildTestApp(current());
    origin = { origin: app.config.publicUrl };
  });
  afterAll(async () => {
    await app.close();
  });

  const accounts = () => tablesOf<AccountsTables>(current().db);
  const userByEmail = (email: string) =>
    accounts()
      .selectFrom('accounts_users')
      .selectAll()
      .where('email', '=', email)
      .executeTakeFirst();
  const mailsTo = (address: string) =>
    tablesOf<MailTables>(current().db)
      .selectFrom('outbox')
      .selectAll()
      .where('to_address', '=', address)
      .orderBy('id')
      .execute();
  /** The token of the last link mailed to `address` for `path`. */
  const linkToken = async (address: string, path: string) => {
    const mails = await mailsTo(address);
    const pattern = new RegExp(`${path.replace('/', '\\/')}\\?token=([A-Za-z0-9_-]+)`);
    for (const mail of mails.reverse()) {
      const match = pattern.exec(mail.text_body);
      if (match?.[1]) return match[1];
    }
    throw new Error(`no ${path} link mailed to ${address}`);
  };
  const post = (url: string, payload: unknown, headers: Record<string, string> = origin) =>
    app.inject({ method: 'POST', url, payload: payload as Record<string, unknown>, headers });
  let counter = 0;
  const freshEmail = () => `person-${Date.now()}-${(counter += 1)}@example.test`;
  const registration = (email: string) => ({
    firstName: 'Sarah',
    surname: 'Khan',
    email,
    password: 'lantern orchard pebble',
    location: TEST_LOCATION_ID,
    newsletters: [],
  });
  const sessionCookie = (response: LightMyRequestResponse) =>
    response.cookies.find((cookie) => cookie.name === 'hearth_session')?.value;

  describe('registration', () => {
    it('P02 P03 registers with exactly the notice fields, makes a username and mails a link', async () => {
      const email = freshEmail();
      const response = await post('/api/v1/auth/register', {
        ...registration(email),
        newsletters: [{ list: 'pregnancy-weekly', dueDate: nextMonths(4) }],
      });
      expect(response.statusCode).toBe(201);
      expect(response.json()).toEqual({ status: 'verification-sent' });
      const user = await userByEmail(email);
      expect(user).toMatchObject({ first_name: 'Sarah', surname: 'Khan', email_verified_at: null });
      expect(user?.username).toMatch(/^SarahK\d{2,}$/);
      expect(user?.password_hash).toMatch(/^\$argon2id\$/);
      expect(user?.last_active_at).not.toBeNull();
      const mails = await mailsTo(email);
      expect(mails.map((mail) => mail.category)).toEqual(['account.verify-email']);
      const consents = await currentConsents(current().db, user?.id ?? '');
      expect(consents).toContainEqual(
        expect.objectContaining({ scope: 'newsletter:pregnancy-weekly', granted: true }),
      );
    });

    it('P02 needs nothing beyond the notice fields and names every missing one', async () => {
      const response = await post('/api/v1/auth/register', {});
      expect(response.statusCode).toBe(400);
      const fields = Object.keys(response.json<{ error: { fields: object } }>().error.fields);
      expect(fields.sort()).toEqual(['email', 'firstName', 'location', 'password', 'surname']);
    });

    it('makes unique usernames for members with the same name (P03)', async () => {
      const first = freshEmail();
      const second = freshEmail();
      await post('/api/v1/auth/register', registration(first));
      await post('/api/v1/auth/register', registration(second));
      const names = [(await userByEmail(first))?.username, (await userByEmail(second))?.username];
      expect(new Set(names).size).toBe(2);
    });

    it('answers the same for a registered address and mails its owner instead', async () => {
      const member = await makeMember(current().db);
      const response = await post('/api/v1/auth/register', registration(member.email));
      expect(response.statusCode).toBe(201);
      expect(response.json()).toEqual({ status: 'verification-sent' });
      const mails = await mailsTo(member.email);
      expect(mails.map((mail) => mail.category)).toEqual(['account.already-registered']);
      expect((await userByEmail(member.email))?.first_name).toBe(member.firstName);
    });

    it('refuses a common password, an unknown place and a bad address, with reasons', async () => {
      const response = await post('/api/v1/auth/register', {
        ...registration('not-an-address'),
        password: 'password123',
        location: 'atlantis',
      });
      expect(response.statusCode).toBe(400);
      const body = response.json<{ error: { code: string; fields: Record<string, string> } }>();
      expect(body.error.code).toBe('validation_failed');
      expect(Object.keys(body.error.fields).sort()).toEqual(['email', 'location', 'password']);
    });

    it('refuses a due date without Pregnancy Weekly (P06)', async () => {
      const response = await post('/api/v1/auth/register', {
        ...registration(freshEmail()),
        newsletters: [{ list: 'general', dueDate: nextMonths(3) }],
      });
      expect(response.statusCode).toBe(400);
    });
  });

  describe('email verification', () => {
    it('verifies once with the mailed link, and the link cannot be used again', async () => {
      const email = freshEmail();
      await post('/api/v1/auth/register', registration(email));
      const token = await linkToken(email, '/verify-email');
      const first = await post('/api/v1/auth/verify-email', { token });
      expect(first.statusCode).toBe(200);
      expect(first.json()).toEqual({ status: 'verified' });
      expect((await userByEmail(email))?.email_verified_at).not.toBeNull();
      const again = await post('/api/v1/auth/verify-email', { token });
      expect(again.statusCode).toBe(400);
      expect(again.json<{ error: { message: string } }>().error.message).toMatch(
        /already been used/,
      );
    });

    it('refuses an expired link', async () => {
      const email = freshEmail();
      await post('/api/v1/auth/register', registration(email));
      const token = await linkToken(email, '/verify-email');
      const user = await userByEmail(email);
      await accounts()
        .updateTable('accounts_tokens')
        .set({ expires_at: toDbTime(new Date(Date.now() - 1000)) })
        .where('user_id', '=', user?.id ?? '')
        .execute();
      const response = await post('/api/v1/auth/verify-email', { token });
      expect(response.statusCode).toBe(400);
      expect(response.json<{ error: { message: string } }>().error.message).toMatch(/expired/);
    });

    it('resends a link only to an unverified member, answering the same to anyone', async () => {
      const email = freshEmail();
      await post('/api/v1/auth/register', registration(email));
      const verified = await makeMember(current().db);
      for (const address of [email, verified.email, freshEmail()]) {
        const response = await post('/api/v1/auth/verify-email/resend', { email: address });
        expect(response.statusCode).toBe(202);
        expect(response.json()).toEqual({ status: 'verification-sent' });
      }
      expect((await mailsTo(email)).length).toBe(2);
      expect((await mailsTo(verified.email)).length).toBe(0);
    });

    it('lets an unverified member log in (newsletters wait for verification)', async () => {
      const member = await makeMember(current().db, { emailVerified: false });
      const response = await post('/api/v1/auth/login', {
        email: member.email,
        password: member.password,
      });
      expect(response.statusCode).toBe(200);
    });
  });

  describe('log-in and log-out', () => {
    it('answers a token and a session cookie, both usable, and records the log-in', async () => {
      const member = await makeMember(current().db, { lastActiveAt: new Date('2025-01-01') });
      const response = await post('/api/v1/auth/login', {
        email: member.email.toUpperCase(),
        password: member.password,
      });
      expect(response.statusCode).toBe(200);
      const { token } = response.json<{ token: string }>();
      const me = await app.inject({
        url: '/api/v1/me',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(me.json()).toMatchObject({ id: member.id, username: member.username });
      const viaCookie = await app.inject({
        url: '/api/v1/me',
        cookies: { hearth_session: sessionCookie(response) ?? '' },
      });
      expect(viaCookie.statusCode).toBe(200);
      const user = await userByEmail(member.email);
      expect(user?.last_login_at).not.toBeNull();
      expect(user?.last_active_at?.startsWith('2025')).toBe(false);
    });

    it('gives one answer for an unknown address and a wrong password', async () => {
      const member = await makeMember(current().db);
      const wrong = await post('/api/v1/auth/login', {
        email: member.email,
        password: 'nope nope',
      });
      const unknown = await post('/api/v1/auth/login', {
        email: freshEmail(),
        password: 'nope nope',
      });
      expect(wrong.statusCode).toBe(401);
      expect(unknown.statusCode).toBe(401);
      expect(wrong.json()).toEqual(unknown.json());
    });

    it('locks an address after repeated failures, registered or not, even for the right password', async () => {
      const member = await makeMember(current().db);
      const stranger = freshEmail();
      for (let attempt = 0; attempt < MAX_LOGIN_FAILURES; attempt += 1) {
        await post('/api/v1/auth/login', { email: member.email, password: 'wrong guess' });
        await post('/api/v1/auth/login', { email: stranger, password: 'wrong guess' });
      }
      const locked = await post('/api/v1/auth/login', {
        email: member.email,
        password: member.password,
      });
      const strangerLocked = await post('/api/v1/auth/login', {
        email: stranger,
        password: 'wrong guess',
      });
      expect(locked.statusCode).toBe(429);
      expect(strangerLocked.statusCode).toBe(429);
      expect(locked.json<{ error: { code: string } }>().error.code).toBe('rate_limited');
      // Another member is not affected.
      const other = await makeMember(current().db);
      const fine = await post('/api/v1/auth/login', {
        email: other.email,
        password: other.password,
      });
      expect(fine.statusCode).toBe(200);
    });

    it('says an account is disabled only after the right password', async () => {
      const member = await makeMember(current().db, { status: 'erasing' });
      const wrong = await post('/api/v1/auth/login', {
        email: member.email,
        password: 'wrong one!',
      });
      expect(wrong.statusCode).toBe(401);
      const right = await post('/api/v1/auth/login', {
        email: member.email,
        password: member.password,
      });
      expect(right.statusCode).toBe(403);
      expect(right.json<{ error: { code: string } }>().error.code).toBe('account_disabled');
    });

    it('asks staff for a TOTP code, accepts it once and marks the session', async () => {
      const secret = generateTotpSecret();
      const staff = await makeMember(current().db, {
        roles: ['moderator'],
        totpSecret: secret,
        secretKey: app.secretKey,
      });
      const first = await post('/api/v1/auth/login', {
        email: staff.email,
        password: staff.password,
      });
      expect(first.statusCode).toBe(200);
      const { totpRequired, challenge } = first.json<{
        totpRequired: boolean;
        challenge: string;
      }>();
      expect(totpRequired).toBe(true);
      expect(sessionCookie(first)).toBeUndefined();

      const wrong = await post('/api/v1/auth/login/totp', { challenge, code: '000000' });
      expect(wrong.statusCode).toBe(401);
      const code = totpCode(secret);
      const right = await post('/api/v1/auth/login/totp', { challenge, code });
      expect(right.statusCode).toBe(200);
      const { token } = right.json<{ token: string }>();
      const sessions = await tablesOf<SessionTables>(current().db)
        .selectFrom('sessions')
        .select(['data', 'kind'])
        .where('user_id', '=', staff.id)
        .execute();
      expect(sessions).toHaveLength(2);
      for (const session of sessions) expect(session.data).toContain('secondFactorAt');
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);

      // The same code again, even with a new challenge, is a replay.
      const again = await post('/api/v1/auth/login', {
        email: staff.email,
        password: staff.password,
      });
      const replay = await post('/api/v1/auth/login/totp', {
        challenge: again.json<{ challenge: string }>().challenge,
        code,
      });
      expect(replay.statusCode).toBe(401);
      // A used challenge does not work again.
      const reused = await post('/api/v1/auth/login/totp', { challenge, code: totpCode(secret) });
      expect(reused.statusCode).toBe(401);
    });

    it('logs out the credential presented, and only that one', async () => {
      const member = await makeMember(current().db);
      const app1 = await loginAs(app, member, { kind: 'bearer' });
      const app2 = await loginAs(app, member, { kind: 'bearer' });
      const out = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/logout',
        headers: app1.headers,
      });
      expect(out.statusCode).toBe(204);
      expect((await app.inject({ url: '/api/v1/me', headers: app1.headers })).statusCode).toBe(401);
      expect((await app.inject({ url: '/api/v1/me', headers: app2.headers })).statusCode).toBe(200);
    });
  });

  describe('sessions', () => {
    it('lists the member sessions, marks the current one, and revokes another', async () => {
      const member = await makeMember(current().db);
      const browser = await loginAs(app, member);
      const phone = await loginAs(app, member, { kind: 'bearer' });
      const list = await app.inject({ url: '/api/v1/me/sessions', headers: browser.headers });
      expect(list.statusCode).toBe(200);
      const items = list.json<{ items: { id: string; kind: string; current: boolean }[] }>().items;
      expect(items.map((item) => [item.id, item.current]).sort()).toEqual(
        [
          [browser.sessionId, true],
          [phone.sessionId, false],
        ].sort(),
      );
      const revoke = await app.inject({
        method: 'DELETE',
        url: `/api/v1/me/sessions/${phone.sessionId}`,
        headers: browser.headers,
      });
      expect(revoke.statusCode).toBe(204);
      expect((await app.inject({ url: '/api/v1/me', headers: phone.headers })).statusCode).toBe(
        401,
      );
    });

    it("cannot revoke another member's session", async () => {
      const member = await makeMember(current().db);
      const other = await makeMember(current().db);
      const mine = await loginAs(app, member);
      const theirs = await loginAs(app, other);
      const response = await app.inject({
        method: 'DELETE',
        url: `/api/v1/me/sessions/${theirs.sessionId}`,
        headers: mine.headers,
      });
      expect(response.statusCode).toBe(404);
      expect((await app.inject({ url: '/api/v1/me', headers: theirs.headers })).statusCode).toBe(
        200,
      );
    });
  });

  describe('password reset', () => {
    it('answers 202 to anyone, mails only members, and resets once, logging out everywhere', async () => {
      const member = await makeMember(current().db);
      const session = await loginAs(app, member);
      const stranger = freshEmail();
      for (const email of [member.email, stranger]) {
        const response = await post('/api/v1/auth/password-reset', { email });
        expect(response.statusCode).toBe(202);
        expect(response.json()).toEqual({ status: 'reset-sent' });
      }
      expect(await mailsTo(stranger)).toHaveLength(0);
      const token = await linkToken(member.email, '/reset-password');
      const weak = await post('/api/v1/auth/password-reset/confirm', { token, password: 'short' });
      expect(weak.statusCode).toBe(400);
      const done = await post('/api/v1/auth/password-reset/confirm', {
        token,
        password: 'a brand new passphrase',
      });
      expect(done.statusCode).toBe(200);
      expect((await app.inject({ url: '/api/v1/me', headers: session.headers })).statusCode).toBe(
        401,
      );
      const again = await post('/api/v1/auth/password-reset/confirm', {
        token,
        password: 'another new passphrase',
      });
      expect(again.statusCode).toBe(400);
      const oldLogin = await post('/api/v1/auth/login', {
        email: member.email,
        password: member.password,
      });
      expect(oldLogin.statusCode).toBe(401);
      const newLogin = await post('/api/v1/auth/login', {
        email: member.email,
        password: 'a brand new passphrase',
      });
      expect(newLogin.statusCode).toBe(200);
    });

    it('refuses a reset link after an hour', async () => {
      const member = await makeMember(current().db);
      await post('/api/v1/auth/password-reset', { email: member.email });
      const token = await linkToken(member.email, '/reset-password');
      await accounts()
        .updateTable('accounts_tokens')
        .set({ expires_at: toDbTime(new Date(Date.now() - 1)) })
        .where('user_id', '=', member.id)
        .execute();
      const response = await post('/api/v1/auth/password-reset/confirm', {
        token,
        password: 'a brand new passphrase',
      });
      expect(response.statusCode).toBe(400);
    });
  });

  describe('profile', () => {
    it('P04 shows the profile and applies name and location changes at once', async () => {
      const member = await makeMember(current().db);
      const session = await loginAs(app, member);
      const before = await app.inject({ url: '/api/v1/me', headers: session.headers });
      expect(before.json()).toEqual({
        id: member.id,
        firstName: member.firstName,
        surname: member.surname,
        email: member.email,
        pendingEmail: null,
        username: member.username,
        anonymousName: null,
        anonymous: false,
        location: { id: TEST_LOCATION_ID, name: expect.any(String) as string },
        roles: ['member'],
        emailVerified: true,
        createdAt: expect.any(String) as string,
      });
      const patch = await app.inject({
        method: 'PATCH',
        url: '/api/v1/me',
        headers: session.headers,
        payload: { firstName: 'Samira', surname: 'Okafor', location: 'leeds' },
      });
      expect(patch.statusCode).toBe(200);
      expect(patch.json()).toMatchObject({
        firstName: 'Samira',
        surname: 'Okafor',
        location: { id: 'leeds', name: 'Leeds' },
      });
      const after = await app.inject({ url: '/api/v1/me', headers: session.headers });
      expect(after.json()).toMatchObject({ firstName: 'Samira', location: { id: 'leeds' } });
    });

    it('P04 keeps a new email pending until its link is followed', async () => {
      const member = await makeMember(current().db);
      const session = await loginAs(app, member);
      const newEmail = freshEmail();
      const patch = await app.inject({
        method: 'PATCH',
        url: '/api/v1/me',
        headers: session.headers,
        payload: { email: newEmail },
      });
      expect(patch.json()).toMatchObject({ email: member.email, pendingEmail: newEmail });
      const token = await linkToken(newEmail, '/verify-email');
      const verify = await post('/api/v1/auth/verify-email', { token });
      expect(verify.json()).toEqual({ status: 'email-changed' });
      const after = await app.inject({ url: '/api/v1/me', headers: session.headers });
      expect(after.json()).toMatchObject({ email: newEmail, pendingEmail: null });
      expect((await mailsTo(member.email)).map((mail) => mail.category)).toContain(
        'account.email-changed',
      );
    });

    it('P04 changes the password with the current one, logging out the other sessions', async () => {
      const member = await makeMember(current().db);
      const here = await loginAs(app, member);
      const elsewhere = await loginAs(app, member, { kind: 'bearer' });
      const refused = await app.inject({
        method: 'PATCH',
        url: '/api/v1/me',
        headers: here.headers,
        payload: { password: 'river lantern meadow', currentPassword: 'not it at all' },
      });
      expect(refused.statusCode).toBe(403);
      expect(refused.json<{ error: { fields: object } }>().error.fields).toHaveProperty(
        'currentPassword',
      );
      const changed = await app.inject({
        method: 'PATCH',
        url: '/api/v1/me',
        headers: here.headers,
        payload: { password: 'river lantern meadow', currentPassword: member.password },
      });
      expect(changed.statusCode).toBe(200);
      expect((await app.inject({ url: '/api/v1/me', headers: here.headers })).statusCode).toBe(200);
      expect((await app.inject({ url: '/api/v1/me', headers: elsewhere.headers })).statusCode).toBe(
        401,
      );
    });

    it('P37 switches to a generated anonymous name, kept when switching back and forth', async () => {
      const member = await makeMember(current().db, { firstName: 'Joanna', surname: 'Bright' });
      const session = await loginAs(app, member);
      const patch = (anonymous: boolean) =>
        app.inject({
          method: 'PATCH',
          url: '/api/v1/me',
          headers: session.headers,
          payload: { anonymous },
        });
      const on = (await patch(true)).json<{ anonymousName: string; anonymous: boolean }>();
      expect(on.anonymous).toBe(true);
      expect(on.anonymousName).toMatch(/^[A-Z][a-z]+[A-Z][a-z]+\d{3,}$/);
      expect(on.anonymousName.toLowerCase()).not.toContain('joanna');
      expect(await authorNameForNewContent(current().db, member.id)).toBe(on.anonymousName);
      const off = (await patch(false)).json<{ anonymousName: string; anonymous: boolean }>();
      expect(off).toMatchObject({ anonymous: false, anonymousName: on.anonymousName });
      expect(await authorNameForNewContent(current().db, member.id)).toBe(member.username);
      const again = (await patch(true)).json<{ anonymousName: string }>();
      expect(again.anonymousName).toBe(on.anonymousName);
    });

    it('refuses unknown fields and an empty change', async () => {
      const member = await makeMember(current().db);
      const session = await loginAs(app, member);
      const empty = await app.inject({
        method: 'PATCH',
        url: '/api/v1/me',
        headers: session.headers,
        payload: {},
      });
      expect(empty.statusCode).toBe(400);
      const badPlace = await app.inject({
        method: 'PATCH',
        url: '/api/v1/me',
        headers: session.headers,
        payload: { location: 'atlantis' },
      });
      expect(badPlace.statusCode).toBe(400);
    });

    it('asks for a log-in without a session', async () => {
      expect((await app.inject({ url: '/api/v1/me' })).statusCode).toBe(401);
    });
  });

  describe('activity (P35)', () => {
    it('P35 marks an authenticated request as activity at most once a day', async () => {
      const stale = await makeMember(current().db, { lastActiveAt: daysAgo(2) });
      const threeHoursAgo = hoursAgo(3);
      const fresh = await makeMember(current().db, { lastActiveAt: threeHoursAgo });
      const elsewhere = await makeMember(current().db, { lastActiveAt: daysAgo(2) });
      for (const member of [stale, fresh]) {
        const session = await loginAs(app, member, { kind: 'bearer' });
        await app.inject({ url: '/api/v1/me', headers: session.headers });
      }
      // A page of another module counts as well: the hook is app-wide, not the accounts
      // module's own (the privacy notice is served by the privacy core).
      const other = await loginAs(app, elsewhere, { kind: 'bearer' });
      expect((await app.inject({ url: '/privacy', headers: other.headers })).statusCode).toBe(200);
      const activeAt = async (id: string) =>
        (
          await accounts()
            .selectFrom('accounts_users')
            .select('last_active_at')
            .where('id', '=', id)
            .executeTakeFirstOrThrow()
        ).last_active_at ?? '';
      expect(Date.now() - Date.parse(await activeAt(stale.id))).toBeLessThan(60_000);
      expect(await activeAt(fresh.id)).toBe(toDbTime(threeHoursAgo));
      // The hook writes after the response has gone: wait for it briefly.
      await expect
        .poll(async () => Date.now() - Date.parse(await activeAt(elsewhere.id)), {
          timeout: 5_000,
        })
        .toBeLessThan(60_000);
    });
  });

  it('documents the accounts routes in the OpenAPI document', async () => {
    const document = (await app.inject({ url: '/api/v1/openapi.json' })).json<{
      paths: Record<string, unknown>;
    }>();
    for (const path of [
      '/api/v1/auth/register',
      '/api/v1/auth/verify-email',
      '/api/v1/auth/login',
      '/api/v1/auth/login/totp',
      '/api/v1/auth/logout',
      '/api/v1/auth/password-reset',
      '/api/v1/auth/password-reset/confirm',
      '/api/v1/me',
      '/api/v1/me/sessions',
      '/api/v1/me/sessions/{id}',
    ]) {
      expect(document.paths).toHaveProperty([path]);
    }
  });
});

function nextMonths(months: number): string {
  const date = new Date();
  date.setUTCMonth(date.getUTCMonth() + months);
  return date.toISOString().slice(0, 10);
}

function daysAgo(days: number): Date {
  return new Date(Date.now() - days * 86_400_000);
}

function hoursAgo(hours: number): Date {
  return new Date(Date.now() - hours * 3_600_000);
}
