import { createHash } from 'node:crypto';
import { expect, it } from 'vitest';
import { tablesOf } from '../../../src/platform/db/database.js';
import { newId } from '../../../src/platform/db/ids.js';
import {
  LAST_SEEN_RESOLUTION_MS,
  createBearerSession,
  createSession,
  findActiveSession,
  listSessionsForUser,
  replaceSessionToken,
  revokeAllSessions,
  revokeOtherSessions,
  revokeSession,
  startSessionReplacing,
} from '../../../src/platform/http/sessions.js';
import type { SessionTables } from '../../../src/platform/http/sessions.tables.js';
import { describeEachDialect } from '../../helpers/dialects.js';

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;

describeEachDialect('sessions (queries)', (current) => {
  const sessions = () => tablesOf<SessionTables>(current().db);
  const rowOf = (id: string) =>
    sessions().selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();

  it('stores only the SHA-256 of a Bearer token, never the token', async () => {
    const userId = newId();
    const { token, sessionId } = await createBearerSession(current().db, userId, { ttlDays: 7 });
    expect(sessionId).toBe(createHash('sha256').update(token).digest('hex'));
    const row = await rowOf(sessionId);
    expect(row).toMatchObject({ user_id: userId, kind: 'bearer', data: '{}' });
    expect(JSON.stringify(row)).not.toContain(token);
    const lifetime = Date.parse(row?.expires_at ?? '') - Date.parse(row?.created_at ?? '');
    expect(lifetime).toBe(7 * DAY);
  });

  it('finds a live session only under the kind it was issued for', async () => {
    const userId = newId();
    const bearer = await createBearerSession(current().db, userId);
    const cookie = await createSession(current().db, userId, { kind: 'cookie', data: { step: 2 } });
    expect(await findActiveSession(current().db, bearer.token, 'bearer')).toMatchObject({
      id: bearer.sessionId,
      userId,
      kind: 'bearer',
    });
    expect(await findActiveSession(current().db, cookie.token, 'cookie')).toMatchObject({
      userId,
      data: { step: 2 },
    });
    // A cookie's token presented as a Bearer token would skip the CSRF checks: refused.
    expect(await findActiveSession(current().db, cookie.token, 'bearer')).toBeNull();
    expect(await findActiveSession(current().db, bearer.token, 'cookie')).toBeNull();
    expect(await findActiveSession(current().db, 'not a token', 'cookie')).toBeNull();
    expect(await findActiveSession(current().db, 'A'.repeat(43), 'cookie')).toBeNull();
  });

  it('P40 refuses a session from its expiry on: fresh, at the edge, expired', async () => {
    const userId = newId();
    const now = new Date('2027-03-01T12:00:00.000Z');
    const created = new Date(now.getTime() - 30 * DAY);
    const make = (ttlMs: number) =>
      createSession(current().db, userId, { kind: 'cookie', ttlDays: ttlMs / DAY, now: created });
    const fresh = await make(30 * DAY + 1000);
    const edge = await make(30 * DAY);
    const expired = await make(30 * DAY - 1000);
    expect(await findActiveSession(current().db, fresh.token, 'cookie', now)).not.toBeNull();
    expect(await findActiveSession(current().db, edge.token, 'cookie', now)).toBeNull();
    expect(await findActiveSession(current().db, expired.token, 'cookie', now)).toBeNull();
    const listed = await listSessionsForUser(current().db, userId, now);
    expect(listed.map((session) => session.id)).toEqual([fresh.session.id]);
  });

  it('refreshes last_seen_at at most once an hour', async () => {
    const userId = newId();
    const created = new Date('2027-03-01T12:00:00.000Z');
    const { token, session } = await createSession(current().db, userId, {
      kind: 'cookie',
      now: created,
    });
    const within = new Date(created.getTime() + LAST_SEEN_RESOLUTION_MS - 1000);
    await findActiveSession(current().db, token, 'cookie', within);
    expect((await rowOf(session.id))?.last_seen_at).toBe(created.toISOString());
    const later = new Date(created.getTime() + LAST_SEEN_RESOLUTION_MS + 1000);
    await findActiveSession(current().db, token, 'cookie', later);
    expect((await rowOf(session.id))?.last_seen_at).toBe(later.toISOString());
  });

  it('lists a member’s live sessions, most recently used first, and nobody else’s', async () => {
    const userId = newId();
    const other = newId();
    const now = new Date('2027-03-01T12:00:00.000Z');
    const older = await createSession(current().db, userId, {
      kind: 'cookie',
      now: new Date(now.getTime() - 3 * HOUR),
    });
    const newer = await createSession(current().db, userId, {
      kind: 'bearer',
      now: new Date(now.getTime() - HOUR),
    });
    await createSession(current().db, other, { kind: 'cookie', now });
    const listed = await listSessionsForUser(current().db, userId, now);
    expect(listed).toEqual([
      {
        id: newer.session.id,
        kind: 'bearer',
        createdAt: new Date(now.getTime() - HOUR).toISOString(),
        lastSeenAt: new Date(now.getTime() - HOUR).toISOString(),
        expiresAt: newer.session.expiresAt,
      },
      expect.objectContaining({ id: older.session.id, kind: 'cookie' }),
    ]);
  });

  it('revokes a session only for its owner', async () => {
    const owner = newId();
    const intruder = newId();
    const { session } = await createSession(current().db, owner, { kind: 'cookie' });
    expect(await revokeSession(current().db, intruder, session.id)).toBe(false);
    expect(await rowOf(session.id)).toBeDefined();
    expect(await revokeSession(current().db, owner, session.id)).toBe(true);
    expect(await rowOf(session.id)).toBeUndefined();
    expect(await revokeSession(current().db, owner, session.id)).toBe(false);
  });

  it('revokes every other session of a member, then all of them', async () => {
    const userId = newId();
    const bystander = newId();
    const kept = await createSession(current().db, userId, { kind: 'cookie' });
    await createSession(current().db, userId, { kind: 'cookie' });
    await createBearerSession(current().db, userId);
    const theirs = await createSession(current().db, bystander, { kind: 'cookie' });
    expect(await revokeOtherSessions(current().db, userId, kept.session.id)).toBe(2);
    expect((await listSessionsForUser(current().db, userId)).map((s) => s.id)).toEqual([
      kept.session.id,
    ]);
    expect(await revokeAllSessions(current().db, userId)).toBe(1);
    expect(await listSessionsForUser(current().db, userId)).toEqual([]);
    expect(await rowOf(theirs.session.id)).toBeDefined();
  });

  it('moves a session to a new token keeping its user, data and expiry', async () => {
    const userId = newId();
    const original = await createSession(current().db, userId, {
      kind: 'cookie',
      data: { role: 'moderator' },
    });
    const moved = await replaceSessionToken(current().db, original.session);
    expect(moved.session.id).not.toBe(original.session.id);
    expect(moved.session).toMatchObject({
      userId,
      kind: 'cookie',
      data: { role: 'moderator' },
      expiresAt: original.session.expiresAt,
    });
    expect(await rowOf(original.session.id)).toBeUndefined();
    expect(await findActiveSession(current().db, original.token, 'cookie')).toBeNull();
    expect(await findActiveSession(current().db, moved.token, 'cookie')).toMatchObject({
      id: moved.session.id,
    });
  });

  it('starts a session inside the caller’s transaction, which can roll it back', async () => {
    const userId = newId();
    const planted = await createSession(current().db, newId(), { kind: 'cookie' });
    await expect(
      current()
        .db.transaction()
        .execute(async (trx) => {
          await startSessionReplacing(trx, userId, planted.session.id, { kind: 'cookie' });
          throw new Error('log-in failed later in the same transaction');
        }),
    ).rejects.toThrow('log-in failed later');
    expect(await rowOf(planted.session.id)).toBeDefined();
    expect(await listSessionsForUser(current().db, userId)).toEqual([]);

    const started = await startSessionReplacing(current().db, userId, planted.session.id, {
      kind: 'cookie',
    });
    expect(await rowOf(planted.session.id)).toBeUndefined();
    expect((await listSessionsForUser(current().db, userId)).map((s) => s.id)).toEqual([
      started.session.id,
    ]);
  });
});
