/**
 * The per-account log-in limit (issue 4 point 3), beside the per-address limit of the HTTP
 * platform: password guessing spread over many addresses still meets this one.
 *
 * Failures are counted per email address tried, registered or not, in the database (so every
 * process counts together). The address is keyed by an HMAC under the instance secret, so the
 * table holds no address, and an unregistered address locks out exactly like a registered one:
 * the lock-out reveals nothing about who is a member.
 */
import { createHmac } from 'node:crypto';
import { tablesOf, type DbExecutor } from '../../platform/db/database.js';
import { newId } from '../../platform/db/ids.js';
import { toDbTime, toNumber } from '../../platform/db/portable.js';
import type { AccountsTables } from './accounts.tables.js';

/** Failed log-ins allowed per address within the window before it is locked. */
export const MAX_LOGIN_FAILURES = 10;
export const LOGIN_FAILURE_WINDOW_MS = 15 * 60 * 1000;

export function emailKey(secretKey: string, normalisedEmail: string): string {
  return createHmac('sha256', secretKey)
    .update(`hearth login failures v1\n${normalisedEmail}`)
    .digest('hex');
}

/**
 * When the address is locked: the time the oldest counted failure leaves the window. Null
 * while fewer than MAX_LOGIN_FAILURES failures fall within the window.
 */
export async function lockedUntil(
  db: DbExecutor,
  key: string,
  now: Date = new Date(),
): Promise<Date | null> {
  const since = toDbTime(new Date(now.getTime() - LOGIN_FAILURE_WINDOW_MS));
  const failures = tablesOf<AccountsTables>(db);
  const counted = await failures
    .selectFrom('accounts_login_failures')
    .select((eb) => eb.fn.countAll().as('count'))
    .where('email_key', '=', key)
    .where('failed_at', '>', since)
    .executeTakeFirstOrThrow();
  if (toNumber(counted.count) < MAX_LOGIN_FAILURES) return null;
  // The failure that must leave the window before one more attempt is allowed.
  const blocking = await failures
    .selectFrom('accounts_login_failures')
    .select('failed_at')
    .where('email_key', '=', key)
    .where('failed_at', '>', since)
    .orderBy('failed_at', 'desc')
    .offset(MAX_LOGIN_FAILURES - 1)
    .limit(1)
    .executeTakeFirst();
  const from = blocking ? new Date(blocking.failed_at) : now;
  return new Date(from.getTime() + LOGIN_FAILURE_WINDOW_MS);
}

export async function recordLoginFailure(
  db: DbExecutor,
  key: string,
  userId: string | null,
  now: Date = new Date(),
): Promise<void> {
  await tablesOf<AccountsTables>(db)
    .insertInto('accounts_login_failures')
    .values({ id: newId(), email_key: key, user_id: userId, failed_at: toDbTime(now) })
    .execute();
}

/** A successful log-in or a password reset clears the count for the address. */
export async function clearLoginFailures(db: DbExecutor, key: string): Promise<void> {
  await tablesOf<AccountsTables>(db)
    .deleteFrom('accounts_login_failures')
    .where('email_key', '=', key)
    .execute();
}
