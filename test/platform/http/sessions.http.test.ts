import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { tablesOf } from '../../../src/platform/db/database.js';
import { newId } from '../../../src/platform/db/ids.js';
import { createSession, hashSessionToken } from '../../../src/platform/http/sessions.js';
import type { SessionTables } from '../../../src/platform/http/sessions.tables.js';
import { buildTestApp } from '../../helpers/app.js';
import { describeEachDialect } from '../../helpers/dialects.js';
import { PUBLIC_URL, cookieHeader, fixtureModule, logIn } from './fixture-module.js';

const SAME_ORIGIN = { origin: PUBLIC_URL };

describeEachDialect('sessions over HTTP', (current) => {
  let app: FastifyInstance;
  let httpsApp: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestApp(current(), {
      modules: [fixtureModule],
      env: { SESSION_TTL_DAYS: '14' },
    });
    httpsApp = await buildTestApp(current(), {
      modules: [fixtureModule],
      env: { PUBLIC_URL: 'https://hearth.example' },
    });
  });
  afterAll(async () => {
    await app.close();
    await httpsApp.close();
  });

  const me = async (headers: Record<string, string>) =>
    (await app.inject({ url: '/api/v1/fixture/me', headers })).json<{
      session: { id: string; userId: string } | null;
    }>().session;
  const rowExists = async (id: string) =>
    (await tablesOf<SessionTables>(current().db)
      .selectFrom('sessions')
      .select('id')
      .where('id', '=', id)
      .executeTakeFirst()) !== undefined;

  it('P40 starts a session with an HttpOnly, SameSite=Lax cookie that lasts as long as the session', async () => {
    const userId = newId();
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/fixture/login',
      payload: { userId },
    });
    expect(response.statusCode).toBe(200);
    const cookie = response.cookies.find((c) => c.name === 'hearth_session');
    expect(cookie).toMatchObject({ path: '/', httpOnly: true, sameSite: 'Lax' });
    expect(cookie?.secure).toBeUndefined();
    const { sessionId, expiresAt } = response.json<{ sessionId: string; expiresAt: string }>();
    expect(cookie?.expires?.toISOString()).toBe(
      new Date(Math.floor(Date.parse(expiresAt) / 1000) * 1000).toISOString(),
    );
    expect(Date.parse(expiresAt) - Date.now()).toBeGreaterThan(14 * 86_400_000 - 60_000);
    expect(Date.parse(expiresAt) - Date.now()).toBeLessThanOrEqual(14 * 86_400_000);
    expect(hashSessionToken(cookie?.value ?? '')).toBe(sessionId);
    expect(response.headers['cache-control']).toBe('private, no-store');
    expect(await me({ cookie: `hearth_session=${cookie?.value}` })).toMatchObject({
      id: sessionId,
      userId,
      kind: 'cookie',
    });
  });

  it('marks the cookie Secure when PUBLIC_URL is https', async () => {
    const response = await httpsApp.inject({
      method: 'POST',
      url: '/api/v1/fixture/login',
      payload: { userId: newId() },
    });
    expect(response.cookies.find((c) => c.name === 'hearth_session')?.secure).toBe(true);
  });

  it('rotates the id at log-in: a session presented before log-in is revoked, not upgraded', async () => {
    const before = await logIn(app, newId());
    const userId = newId();
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/fixture/login',
      headers: { cookie: before.cookie, ...SAME_ORIGIN },
      payload: { userId },
    });
    const after = response.json<{ sessionId: string }>().sessionId;
    expect(after).not.toBe(before.sessionId);
    expect(await rowExists(before.sessionId)).toBe(false);
    expect(await me({ cookie: before.cookie })).toBeNull();
    expect(await me({ cookie: cookieHeader(response, 'hearth_session') })).toMatchObject({
      id: after,
      userId,
    });
  });

  it('rotates the id on a privilege change, keeping user and data', async () => {
    const userId = newId();
    const login = await app.inject({
      method: 'POST',
      url: '/api/v1/fixture/login',
      payload: { userId, role: 'moderator' },
    });
    const cookie = cookieHeader(login, 'hearth_session');
    const oldId = login.json<{ sessionId: string }>().sessionId;
    const rotated = await app.inject({
      method: 'POST',
      url: '/api/v1/fixture/rotate',
      headers: { cookie, ...SAME_ORIGIN },
    });
    expect(rotated.statusCode).toBe(200);
    const { sessionId, data } = rotated.json<{ sessionId: string; data: unknown }>();
    expect(sessionId).not.toBe(oldId);
    expect(data).toEqual({ role: 'moderator' });
    expect(await me({ cookie })).toBeNull();
    expect(await me({ cookie: cookieHeader(rotated, 'hearth_session') })).toMatchObject({
      id: sessionId,
      userId,
    });
  });

  it('refuses to rotate without a session', async () => {
    const response = await app.inject({ method: 'POST', url: '/api/v1/fixture/rotate' });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ error: { code: 'unauthenticated' } });
  });

  it('logs out: revokes the session and clears the cookie', async () => {
    const { cookie, sessionId } = await logIn(app, newId());
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/fixture/logout',
      headers: { cookie, ...SAME_ORIGIN },
    });
    expect(response.statusCode).toBe(204);
    const cleared = response.cookies.find((c) => c.name === 'hearth_session');
    expect(cleared?.value).toBe('');
    expect(cleared?.expires?.getTime()).toBeLessThanOrEqual(Date.now());
    expect(await rowExists(sessionId)).toBe(false);
    expect(await me({ cookie })).toBeNull();
  });

  it('authenticates a Bearer token as a session of kind bearer, and logs it out', async () => {
    const userId = newId();
    const issued = await app.inject({
      method: 'POST',
      url: '/api/v1/fixture/bearer',
      payload: { userId },
    });
    const { token, sessionId } = issued.json<{ token: string; sessionId: string }>();
    const authorization = `Bearer ${token}`;
    expect(await me({ authorization })).toMatchObject({ id: sessionId, userId, kind: 'bearer' });
    const rotated = await app.inject({
      method: 'POST',
      url: '/api/v1/fixture/rotate',
      headers: { authorization },
    });
    expect(rotated.json()).toMatchObject({ sessionId });
    const logout = await app.inject({
      method: 'POST',
      url: '/api/v1/fixture/logout',
      headers: { authorization },
    });
    expect(logout.statusCode).toBe(204);
    expect(logout.cookies).toEqual([]);
    expect(await me({ authorization })).toBeNull();
  });

  it('lets a Bearer token win over a cookie, and refuses a cookie token sent as Bearer', async () => {
    const cookieUser = await logIn(app, newId());
    const bearerUser = newId();
    const { token } = (
      await app.inject({
        method: 'POST',
        url: '/api/v1/fixture/bearer',
        payload: { userId: bearerUser },
      })
    ).json<{ token: string }>();
    expect(await me({ cookie: cookieUser.cookie, authorization: `Bearer ${token}` })).toMatchObject(
      { userId: bearerUser },
    );
    const cookieToken = cookieUser.cookie.split('=')[1];
    expect(await me({ authorization: `Bearer ${cookieToken}` })).toBeNull();
    expect(await me({ authorization: 'Bearer' })).toBeNull();
    expect(await me({ authorization: 'Basic dXNlcjpwYXNz' })).toBeNull();
  });

  it('P40 refuses an expired session and drops its cookie', async () => {
    const { token } = await createSession(current().db, newId(), {
      kind: 'cookie',
      ttlDays: 1,
      now: new Date(Date.now() - 2 * 86_400_000),
    });
    const response = await app.inject({
      url: '/api/v1/fixture/me',
      headers: { cookie: `hearth_session=${token}` },
    });
    expect(response.json()).toEqual({ session: null });
    expect(response.cookies.find((c) => c.name === 'hearth_session')?.value).toBe('');
    expect(response.headers['cache-control']).toBeUndefined();
  });

  it('ignores a malformed or unknown cookie without an error', async () => {
    for (const value of ['garbage', '%E0%A4%A', 'x'.repeat(5000)]) {
      const response = await app.inject({
        url: '/api/v1/fixture/me',
        headers: { cookie: `hearth_session=${value}` },
      });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ session: null });
    }
  });
});
