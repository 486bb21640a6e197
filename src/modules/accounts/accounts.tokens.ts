/**
 * Single-use links (email verification, email change, password reset) and log-in challenges.
 * The token is 32 random bytes sent to the member; the database keeps only its SHA-256, so a
 * leaked backup holds no usable link. A token is consumed by marking it used in the same
 * transaction as the change it authorises, with a condition on `used_at`, so two clicks (or two
 * processes) can never both succeed.
 */
import { createHash } from 'node:crypto';
import { tablesOf, type DbExecutor } from '../../platform/db/database.js';
import { newToken } from '../../platform/db/ids.js';
import { toDbTime } from '../../platform/db/portable.js';
import type { AccountsTables, TokenPurpose, TokensTable } from './accounts.tables.js';

/** How long each kind of link works. */
export const TOKEN_LIFETIME_MS: Readonly<Record<TokenPurpose, number>> = {
  'verify-email': 48 * 60 * 60 * 1000,
  'change-email': 48 * 60 * 60 * 1000,
  'reset-password': 60 * 60 * 1000,
  'admin-setup': 24 * 60 * 60 * 1000,
  // The second log-in step must follow the first promptly.
  'login-challenge': 5 * 60 * 1000,
};

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Link tokens are 32 random bytes in base64url: anything else is not worth a query. */
function isWellFormed(token: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(token);
}

/** Issues a token for `userId`; returns the raw token, which only the recipient ever sees. */
export async function issueToken(
  db: DbExecutor,
  input: { userId: string; purpose: TokenPurpose; email?: string | null; now?: Date },
): Promise<string> {
  const now = input.now ?? new Date();
  const token = newToken(32);
  await tablesOf<AccountsTables>(db)
    .insertInto('accounts_tokens')
    .values({
      id: hashToken(token),
      user_id: input.userId,
      purpose: input.purpose,
      email: input.email ?? null,
      created_at: toDbTime(now),
      expires_at: toDbTime(new Date(now.getTime() + TOKEN_LIFETIME_MS[input.purpose])),
      used_at: null,
    })
    .execute();
  return token;
}

/** The token's row if it is of one of `purposes`, unused and unexpired; nothing is changed. */
export async function findUsableToken(
  db: DbExecutor,
  rawToken: string,
  purposes: readonly TokenPurpose[],
  now: Date = new Date(),
): Promise<TokenCheck> {
  if (!isWellFormed(rawToken)) return { ok: false, reason: 'unknown' };
  const row = await tablesOf<AccountsTables>(db)
    .selectFrom('accounts_tokens')
    .selectAll()
    .where('id', '=', hashToken(rawToken))
    .executeTakeFirst();
  if (!row || !purposes.includes(row.purpose)) return { ok: false, reason: 'unknown' };
  if (row.used_at !== null) return { ok: false, reason: 'used' };
  if (row.expires_at <= toDbTime(now)) return { ok: false, reason: 'expired' };
  return { ok: true, token: row };
}

export type TokenCheck =
  { ok: true; token: TokensTable } | { ok: false; reason: 'unknown' | 'expired' | 'used' };

/**
 * Consumes a token of one of `purposes`: marks it used and returns its row, or says why not. Run it in
 * the transaction of the change it authorises, so a failed change leaves the link usable.
 */
export async function consumeToken(
  db: DbExecutor,
  rawToken: string,
  purposes: readonly TokenPurpose[],
  now: Date = new Date(),
): Promise<TokenCheck> {
  const check = await findUsableToken(db, rawToken, purposes, now);
  if (!check.ok) return check;
  const row = check.token;
  const tokens = tablesOf<AccountsTables>(db);
  const result = await tokens
    .updateTable('accounts_tokens')
    .set({ used_at: toDbTime(now) })
    .where('id', '=', row.id)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  // Another request consumed it between our read and our write.
  if (result.numUpdatedRows === 0n) return { ok: false, reason: 'used' };
  return { ok: true, token: { ...row, used_at: toDbTime(now) } };
}

/** Voids a member's unused tokens of a purpose (a new reset link replaces the old ones). */
export async function voidTokens(
  db: DbExecutor,
  userId: string,
  purpose: TokenPurpose,
  now: Date = new Date(),
): Promise<void> {
  await tablesOf<AccountsTables>(db)
    .updateTable('accounts_tokens')
    .set({ used_at: toDbTime(now) })
    .where('user_id', '=', userId)
    .where('purpose', '=', purpose)
    .where('used_at', 'is', null)
    .execute();
}
