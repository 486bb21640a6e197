/**
 * Re-authentication inside a valid session, before acts a stolen session must not be enough
 * for: exporting or erasing one's data, changing the password or the email address (DESIGN.md
 * §5.5).
 *
 * A member with a password types it again. A member who only logs in through a provider has no
 * password to type: they go to the provider once more (`/auth/oidc/<name>?reauth=1&next=…`),
 * which is asked to authenticate them afresh (`prompt=login`, `max_age`), and the session
 * records the time; that counts for REAUTHENTICATION_WINDOW_MS.
 */
import type { FastifyRequest } from 'fastify';
import { tablesOf } from '../../platform/db/database.js';
import { AppError } from '../../platform/http/errors.js';
import { configuredProviders, listLinkedProviders, safeNextPath } from './accounts.oidc.js';
import type { AccountsTables } from './accounts.tables.js';
import { emailKey, lockedUntil, recordLoginFailure } from './accounts.throttle.js';
import { verifyPassword } from './passwords.js';

/** Session data key: when this session last passed a social re-authentication (ISO 8601 UTC). */
export const REAUTHENTICATED_AT_KEY = 'reauthenticatedAt';

/** How long a social re-authentication counts: long enough to finish the act it was for. */
export const REAUTHENTICATION_WINDOW_MS = 10 * 60 * 1000;

/** A little clock skew between processes is tolerated; a time far in the future is not. */
const CLOCK_SKEW_MS = 60 * 1000;

/** How a member proves themselves again: their password, or one of their providers. */
export type ReauthenticationMethod =
  | { method: 'password' }
  | { method: 'provider'; providers: { name: string; label: string; href: string }[] };

/** The start of a social re-authentication that comes back to `next`. */
export function reauthenticationHref(provider: string, next: string): string {
  return `/auth/oidc/${provider}?reauth=1&next=${encodeURIComponent(safeNextPath(next))}`;
}

/** True when the session passed a social re-authentication within the window. */
export function hasRecentSocialReauthentication(
  sessionData: Readonly<Record<string, unknown>>,
  now: Date = new Date(),
): boolean {
  const at = sessionData[REAUTHENTICATED_AT_KEY];
  if (typeof at !== 'string') return false;
  const time = Date.parse(at);
  if (Number.isNaN(time)) return false;
  return (
    time <= now.getTime() + CLOCK_SKEW_MS && now.getTime() - time <= REAUTHENTICATION_WINDOW_MS
  );
}

async function loadAccount(request: FastifyRequest) {
  const session = request.session;
  if (!session) throw new AppError('unauthenticated', 'Please log in first.');
  const user = await tablesOf<AccountsTables>(request.server.db)
    .selectFrom('accounts_users')
    .select(['id', 'email', 'password_hash', 'status'])
    .where('id', '=', session.userId)
    .executeTakeFirst();
  if (!user || user.status !== 'active') {
    throw new AppError('unauthenticated', 'Please log in first.');
  }
  return { session, user };
}

/**
 * How the current member re-authenticates, for a page to offer the right prompt. `next` is
 * where a provider round-trip comes back to.
 */
export async function reauthenticationMethod(
  request: FastifyRequest,
  next: string,
): Promise<ReauthenticationMethod> {
  const { user } = await loadAccount(request);
  if (user.password_hash !== null) return { method: 'password' };
  const linked = new Set(await listLinkedProviders(request.server.db, user.id));
  return {
    method: 'provider',
    providers: configuredProviders(request.server.config)
      .filter((provider) => linked.has(provider.name))
      .map((provider) => ({ ...provider, href: reauthenticationHref(provider.name, next) })),
  };
}

/**
 * Resolves when the member proved themselves again; otherwise throws `reauthentication_required`
 * (403) saying what to do: type the password, or, for a social-only member, go to the provider
 * first (the message names the address; `reauthenticationMethod` gives it to pages). Wrong
 * passwords count towards the account's log-in lock-out, so a stolen session cannot be used
 * to guess the password either.
 */
export async function requireRecentAuthentication(
  request: FastifyRequest,
  input: { password?: string; next?: string } = {},
): Promise<void> {
  const { session, user } = await loadAccount(request);
  const db = request.server.db;

  if (user.password_hash !== null) {
    if (input.password === undefined || input.password === '') {
      throw new AppError('reauthentication_required', 'Enter your password to continue.', {
        fields: { password: 'Enter your password' },
      });
    }
    const key = emailKey(request.server.secretKey, user.email);
    const until = await lockedUntil(db, key);
    if (until !== null) {
      const minutes = Math.max(1, Math.ceil((until.getTime() - Date.now()) / 60_000));
      throw new AppError(
        'rate_limited',
        `Too many wrong passwords. Please try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`,
      );
    }
    if (!(await verifyPassword(user.password_hash, input.password))) {
      await recordLoginFailure(db, key, user.id);
      throw new AppError('reauthentication_required', 'The password is not right.', {
        fields: { password: 'The password is not right' },
      });
    }
    return;
  }

  if (hasRecentSocialReauthentication(session.data)) return;
  const method = await reauthenticationMethod(request, input.next ?? '/account');
  const first = method.method === 'provider' ? method.providers[0] : undefined;
  if (!first) {
    // The provider the member used is no longer configured: a password reset sets one.
    throw new AppError(
      'reauthentication_required',
      'Set a password with "Forgotten your password?" on the log-in page to continue.',
    );
  }
  throw new AppError(
    'reauthentication_required',
    `Log in again with ${first.label} to continue: ${first.href}`,
  );
}
