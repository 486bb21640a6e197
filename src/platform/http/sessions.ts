/**
 * Database-backed sessions. A session is a random token held by the client (in the
 * `hearth_session` cookie, or as a Bearer token for apps) and a row keyed by the token's
 * SHA-256, so the database never holds a usable credential. Any process can serve any request
 * (DESIGN.md §2: processes are stateless).
 */
import { createHash } from 'node:crypto';
import { fixedPlanValue, precompiledQuery, tablesOf, type DbExecutor } from '../db/database.js';
import { newToken } from '../db/ids.js';
import { toDbTime } from '../db/portable.js';
import { inTransaction } from '../db/transactions.js';
import type { RequestSession, SessionData, SessionKind } from './request-context.js';
import type { SessionTables, SessionsTable } from './sessions.tables.js';

/** Used only when a caller passes no lifetime; the app passes SESSION_TTL_DAYS. */
export const DEFAULT_SESSION_TTL_DAYS = 30;

/** `last_seen_at` is refreshed at most this often, so most requests only read. */
export const LAST_SEEN_RESOLUTION_MS = 60 * 60 * 1000;

const DAY_MS = 24 * 60 * 60 * 1000;

/** The session id for a token: SHA-256, hex. */
export function hashSessionToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Tokens are 32 random bytes in base64url (43 characters); anything else is not worth a query. */
export function isWellFormedToken(token: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(token);
}

function parseData(text: string): SessionData {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as SessionData)
      : {};
  } catch {
    return {};
  }
}

function toRequestSession(
  row: Pick<SessionsTable, 'id' | 'user_id' | 'kind' | 'data' | 'expires_at'>,
): RequestSession {
  return {
    id: row.id,
    userId: row.user_id,
    kind: row.kind,
    data: parseData(row.data),
    expiresAt: row.expires_at,
  };
}

export interface CreateSessionOptions {
  kind: SessionKind;
  ttlDays?: number;
  data?: SessionData;
  now?: Date;
}

/** Inserts a session and returns its token (shown to the client once) and the session. */
export async function createSession(
  db: DbExecutor,
  userId: string,
  options: CreateSessionOptions,
): Promise<{ token: string; session: RequestSession }> {
  const now = options.now ?? new Date();
  const token = newToken(32);
  const row: SessionsTable = {
    id: hashSessionToken(token),
    user_id: userId,
    kind: options.kind,
    data: JSON.stringify(options.data ?? {}),
    created_at: toDbTime(now),
    last_seen_at: toDbTime(now),
    expires_at: toDbTime(
      new Date(now.getTime() + (options.ttlDays ?? DEFAULT_SESSION_TTL_DAYS) * DAY_MS),
    ),
  };
  await tablesOf<SessionTables>(db).insertInto('sessions').values(row).execute();
  return { token, session: toRequestSession(row) };
}

/**
 * Log-in: the session the client presented (if any) is deleted and a new one made, in one
 * transaction, so a session id planted before log-in never becomes a logged-in one.
 */
export async function startSessionReplacing(
  db: DbExecutor,
  userId: string,
  replacedSessionId: string | null,
  options: CreateSessionOptions,
): Promise<{ token: string; session: RequestSession }> {
  return inTransaction(db, async (trx) => {
    if (replacedSessionId !== null) await deleteSession(trx, replacedSessionId);
    return createSession(trx, userId, options);
  });
}

/**
 * A session for an app: the token goes back in the log-in response and travels as
 * `Authorization: Bearer …`. Pass `ttlDays: config.sessionTtlDays`.
 */
export async function createBearerSession(
  db: DbExecutor,
  userId: string,
  options: { ttlDays?: number; data?: SessionData; now?: Date } = {},
): Promise<{ token: string; sessionId: string }> {
  const { token, session } = await createSession(db, userId, { ...options, kind: 'bearer' });
  return { token, sessionId: session.id };
}

const sessionQuery = precompiledQuery(['id'], (db, values) =>
  tablesOf<SessionTables>(db)
    .selectFrom('sessions')
    .select(['id', 'user_id', 'kind', 'data', 'expires_at', 'last_seen_at'])
    .where('id', '=', fixedPlanValue<string>(values.id, 'text')),
);

/**
 * The live session for a token presented as `kind`, or null. A cookie token presented as a
 * Bearer token (or the reverse) is refused: a Bearer request skips the CSRF checks, so a
 * cookie's token must not buy that exemption. Refreshes `last_seen_at` at most hourly.
 */
export async function findActiveSession(
  db: DbExecutor,
  token: string,
  kind: SessionKind,
  now: Date = new Date(),
): Promise<RequestSession | null> {
  if (!isWellFormedToken(token)) return null;
  const sessions = tablesOf<SessionTables>(db);
  const [row] = (await sessionQuery(db, { id: hashSessionToken(token) })).rows;
  if (!row || row.kind !== kind || row.expires_at <= toDbTime(now)) return null;
  const staleBefore = toDbTime(new Date(now.getTime() - LAST_SEEN_RESOLUTION_MS));
  if (row.last_seen_at < staleBefore) {
    // The condition repeats the check, so concurrent requests write at most once.
    await sessions
      .updateTable('sessions')
      .set({ last_seen_at: toDbTime(now) })
      .where('id', '=', row.id)
      .where('last_seen_at', '<', staleBefore)
      .execute();
  }
  return toRequestSession(row);
}

/**
 * Moves a session to a new token (log-in over an existing session, a privilege change): the
 * old row goes, a new one with the same user, kind, data and expiry comes, in one transaction.
 */
export async function replaceSessionToken(
  db: DbExecutor,
  session: RequestSession,
  now: Date = new Date(),
): Promise<{ token: string; session: RequestSession }> {
  const token = newToken(32);
  const row: SessionsTable = {
    id: hashSessionToken(token),
    user_id: session.userId,
    kind: session.kind,
    data: JSON.stringify(session.data),
    created_at: toDbTime(now),
    last_seen_at: toDbTime(now),
    expires_at: session.expiresAt,
  };
  await inTransaction(db, async (trx) => {
    const sessions = tablesOf<SessionTables>(trx);
    await sessions.deleteFrom('sessions').where('id', '=', session.id).execute();
    await sessions.insertInto('sessions').values(row).execute();
  });
  return { token, session: toRequestSession(row) };
}

export async function updateSessionData(
  db: DbExecutor,
  sessionId: string,
  data: SessionData,
): Promise<void> {
  await tablesOf<SessionTables>(db)
    .updateTable('sessions')
    .set({ data: JSON.stringify(data) })
    .where('id', '=', sessionId)
    .execute();
}

/** Removes one session by id, whoever it belongs to (the credential presented at log-out). */
export async function deleteSession(db: DbExecutor, sessionId: string): Promise<void> {
  await tablesOf<SessionTables>(db).deleteFrom('sessions').where('id', '=', sessionId).execute();
}

export interface SessionSummary {
  id: string;
  kind: SessionKind;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
}

/** A member's live sessions, most recently used first ("where you are logged in"). */
export async function listSessionsForUser(
  db: DbExecutor,
  userId: string,
  now: Date = new Date(),
): Promise<SessionSummary[]> {
  const rows = await tablesOf<SessionTables>(db)
    .selectFrom('sessions')
    .select(['id', 'kind', 'created_at', 'last_seen_at', 'expires_at'])
    .where('user_id', '=', userId)
    .where('expires_at', '>', toDbTime(now))
    .orderBy('last_seen_at', 'desc')
    .orderBy('id')
    .execute();
  return rows.map((row) => ({
    id: row.id,
    kind: row.kind,
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
    expiresAt: row.expires_at,
  }));
}

/**
 * Revokes one of the member's sessions. Scoped by `userId`, so nobody revokes another member's
 * session by guessing an id. True when a session was revoked.
 */
export async function revokeSession(
  db: DbExecutor,
  userId: string,
  sessionId: string,
): Promise<boolean> {
  const result = await tablesOf<SessionTables>(db)
    .deleteFrom('sessions')
    .where('user_id', '=', userId)
    .where('id', '=', sessionId)
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** "Log out everywhere else": every session of the member but `keepSessionId`. */
export async function revokeOtherSessions(
  db: DbExecutor,
  userId: string,
  keepSessionId: string,
): Promise<number> {
  const result = await tablesOf<SessionTables>(db)
    .deleteFrom('sessions')
    .where('user_id', '=', userId)
    .where('id', '!=', keepSessionId)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Every session of the member: erasure and a password reset log them out at once. */
export async function revokeAllSessions(db: DbExecutor, userId: string): Promise<number> {
  const result = await tablesOf<SessionTables>(db)
    .deleteFrom('sessions')
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
