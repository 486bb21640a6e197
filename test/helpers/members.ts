/**
 * Member factories for tests (STYLE.md point 15): each test makes its own members.
 *
 * `makeMember(db, overrides?)` inserts a verified, active member with a known password (and,
 * for staff, roles and an optional TOTP secret). `loginAs(app, member)` opens a session for them
 * directly in the sessions table, so a test of one feature does not depend on the log-in route
 * (which has its own tests) and costs no argon2 verification.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { tablesOf, type DbExecutor } from '../../src/platform/db/database.js';
import { newId } from '../../src/platform/db/ids.js';
import { toDbTime } from '../../src/platform/db/portable.js';
import { CSRF_COOKIE, csrfTokenFor, deriveCsrfKey } from '../../src/platform/http/csrf.js';
import { SESSION_COOKIE } from '../../src/platform/http/sessions.plugin.js';
import { createSession } from '../../src/platform/http/sessions.js';
import { SECOND_FACTOR_KEY } from '../../src/modules/accounts/accounts.guards.js';
import type {
  AccountsTables,
  Role,
  UserStatus,
} from '../../src/modules/accounts/accounts.tables.js';
import { hashPassword } from '../../src/modules/accounts/passwords.js';
import { encryptTotpSecret } from '../../src/modules/accounts/totp-secret.js';

/** A place id from the shipped list, valid for registration and profile tests. */
export const TEST_LOCATION_ID = 'manchester';

export interface MemberOverrides {
  email?: string;
  password?: string;
  /** No password at all: a member who only logs in through a social identity. */
  passwordless?: boolean;
  firstName?: string;
  surname?: string;
  username?: string;
  locationId?: string;
  /** Staff roles besides `member` (which every account has implicitly). */
  roles?: readonly Role[];
  /**
   * A base32 TOTP secret (e.g. from `generateTotpSecret()`): two-factor log-in is then set up.
   * Stored sealed under `secretKey`, as the two-factor set-up stores it.
   */
  totpSecret?: string;
  /** The instance secret to seal `totpSecret` with: `app.secretKey`. Required with totpSecret. */
  secretKey?: string;
  status?: UserStatus;
  /** Default true. */
  emailVerified?: boolean;
  anonymousName?: string | null;
  useAnonymousName?: boolean;
  createdAt?: Date;
  lastActiveAt?: Date | null;
  lastLoginAt?: Date | null;
}

export interface TestMember {
  id: string;
  email: string;
  /** The plain password (empty for a passwordless member). */
  password: string;
  username: string;
  firstName: string;
  surname: string;
  roles: readonly Role[];
  /** The base32 TOTP secret when two-factor log-in is set up. */
  totpSecret: string | null;
}

const DEFAULT_PASSWORD = 'correct horse battery staple';

// Hashing costs ~50 ms; most tests use the default password, so its hash is made once.
const hashes = new Map<string, Promise<string>>();
function hashOnce(password: string): Promise<string> {
  let hash = hashes.get(password);
  if (!hash) {
    hash = hashPassword(password);
    hashes.set(password, hash);
  }
  return hash;
}

/** Inserts a member; unique email and username unless given. */
export async function makeMember(
  db: DbExecutor,
  overrides: MemberOverrides = {},
): Promise<TestMember> {
  const id = newId();
  const suffix = randomBytes(4).toString('hex');
  const email = overrides.email ?? `member-${suffix}@example.test`;
  const password = overrides.passwordless ? '' : (overrides.password ?? DEFAULT_PASSWORD);
  const firstName = overrides.firstName ?? 'Alex';
  const surname = overrides.surname ?? 'Tester';
  const username = overrides.username ?? `${firstName}${surname.charAt(0)}${suffix}`;
  const created = overrides.createdAt ?? new Date();
  const roles = overrides.roles ?? [];
  const totpSecret = overrides.totpSecret ?? null;
  if (totpSecret !== null && overrides.secretKey === undefined) {
    throw new Error('makeMember: totpSecret needs secretKey (app.secretKey) to seal it');
  }
  const accounts = tablesOf<AccountsTables>(db);
  await accounts
    .insertInto('accounts_users')
    .values({
      id,
      email: email.trim().toLowerCase(),
      email_verified_at: overrides.emailVerified === false ? null : toDbTime(created),
      pending_email: null,
      first_name: firstName,
      surname,
      username,
      anonymous_name: overrides.anonymousName ?? null,
      use_anonymous_name: overrides.useAnonymousName ? 1 : 0,
      location_id: overrides.locationId ?? TEST_LOCATION_ID,
      password_hash: overrides.passwordless ? null : await hashOnce(password),
      status: overrides.status ?? 'active',
      totp_secret:
        totpSecret !== null && overrides.secretKey !== undefined
          ? encryptTotpSecret(overrides.secretKey, totpSecret)
          : null,
      totp_enabled_at: totpSecret !== null ? toDbTime(created) : null,
      created_at: toDbTime(created),
      updated_at: toDbTime(created),
      last_login_at:
        overrides.lastLoginAt === undefined ? null : toDbTime(overrides.lastLoginAt ?? created),
      last_active_at:
        overrides.lastActiveAt === null ? null : toDbTime(overrides.lastActiveAt ?? created),
    })
    .execute();
  for (const role of roles.filter((each) => each !== 'member')) {
    await accounts
      .insertInto('accounts_roles')
      .values({ user_id: id, role, granted_at: toDbTime(created), granted_by: null })
      .execute();
  }
  return { id, email, password, username, firstName, surname, roles, totpSecret };
}

export interface LoggedIn {
  /** The session id (SHA-256 of the token), as listed by /api/v1/me/sessions. */
  sessionId: string;
  /** The raw session token (cookie value or Bearer token). */
  token: string;
  /**
   * Headers to send: for a cookie session `cookie` (session + CSRF cookies) and a same-site
   * `origin`, so JSON writes pass the CSRF origin check; for a Bearer session `authorization`.
   */
  headers: Record<string, string>;
  /** The `_csrf` value for HTML form posts with these headers (cookie sessions). */
  csrfToken: string;
}

export interface LoginOptions {
  kind?: 'cookie' | 'bearer';
  /**
   * Mark the session as having passed the second factor. Default: true for a member with a
   * TOTP secret (a staff member who logged in fully), false otherwise.
   */
  secondFactor?: boolean;
}

/** Opens a session for `member` as if they had logged in. */
export async function loginAs(
  app: FastifyInstance,
  member: Pick<TestMember, 'id'> & { totpSecret?: string | null },
  options: LoginOptions = {},
): Promise<LoggedIn> {
  const kind = options.kind ?? 'cookie';
  const secondFactor = options.secondFactor ?? Boolean(member.totpSecret);
  const { token, session } = await createSession(app.db, member.id, {
    kind,
    ttlDays: app.config.sessionTtlDays,
    data: secondFactor ? { [SECOND_FACTOR_KEY]: new Date().toISOString() } : {},
  });
  if (kind === 'bearer') {
    return {
      sessionId: session.id,
      token,
      headers: { authorization: `Bearer ${token}` },
      csrfToken: '',
    };
  }
  const csrfCookie = randomBytes(32).toString('base64url');
  return {
    sessionId: session.id,
    token,
    headers: {
      cookie: `${SESSION_COOKIE}=${token}; ${CSRF_COOKIE}=${csrfCookie}`,
      origin: app.config.publicUrl,
    },
    csrfToken: csrfTokenFor(deriveCsrfKey(app.secretKey), csrfCookie, member.id),
  };
}
