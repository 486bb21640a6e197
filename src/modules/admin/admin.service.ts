/**
 * What the staff area does with accounts: create the first and later admins, find members,
 * show one member's account, grant and revoke roles, and the one-time set-up link printed on a
 * first start. Every act on a member is written to the audit log in the same transaction, so a
 * change never exists without its record (DESIGN.md §1: staff access to private data is
 * audited).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { tablesOf, type DbExecutor } from '../../platform/db/database.js';
import { toDbTime } from '../../platform/db/portable.js';
import { AppError } from '../../platform/http/errors.js';
import type { PlatformTables } from '../../platform/platform.tables.js';
import { appendAudit, inTransaction } from '../../privacy/audit/audit.service.js';
import {
  findLocation,
  hashPassword,
  ROLES,
  type AccountsTables,
  type Role,
  insertAccount,
} from '../accounts/index.js';

type AdminTables = AccountsTables & PlatformTables;

function tables(db: DbExecutor): Kysely<AdminTables> {
  return tablesOf<AdminTables>(db);
}

/** The roles staff can grant: `member` is what every account is, never granted. */
export const GRANTABLE_ROLES: readonly Role[] = ROLES.filter((role) => role !== 'member');

export function isGrantableRole(value: string): value is Role {
  return (GRANTABLE_ROLES as readonly string[]).includes(value);
}

/** The place an admin made from the command line lives in unless told otherwise. */
export const DEFAULT_ADMIN_LOCATION = 'manchester';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** NIST SP 800-63B: at least 8 characters, no composition rules. */
export const MIN_PASSWORD_LENGTH = 8;
const MAX_PASSWORD_LENGTH = 256;
const MAX_NAME_LENGTH = 100;

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export interface NewAdminInput {
  email: string;
  password: string;
  firstName: string;
  surname: string;
  location: string;
}

/** Field-by-field problems with a new admin's details, or an empty object. */
export function checkNewAdmin(input: NewAdminInput): Record<string, string> {
  const fields: Record<string, string> = {};
  if (!EMAIL.test(normaliseEmail(input.email))) {
    fields.email = 'Enter an email address like name@example.com';
  }
  if (input.password.length < MIN_PASSWORD_LENGTH) {
    fields.password = `Enter a password of at least ${MIN_PASSWORD_LENGTH} characters`;
  } else if (input.password.length > MAX_PASSWORD_LENGTH) {
    fields.password = `Enter a password of at most ${MAX_PASSWORD_LENGTH} characters`;
  }
  if (input.firstName.trim() === '' || input.firstName.length > MAX_NAME_LENGTH) {
    fields.firstName = 'Enter a first name of at most 100 characters';
  }
  if (input.surname.trim() === '' || input.surname.length > MAX_NAME_LENGTH) {
    fields.surname = 'Enter a surname of at most 100 characters';
  }
  if (findLocation(input.location) === undefined) {
    fields.location = 'Choose a place from the list';
  }
  return fields;
}

/**
 * Creates a verified account holding the admin role. Refuses an email already registered:
 * giving an existing member admin rights is a grant made by an admin, never a side door.
 * Two-factor log-in is not set up: the new admin sets it up at their first log-in.
 */
export async function createAdminAccount(
  db: DbExecutor,
  input: NewAdminInput,
  options: { grantedBy?: string | null; via: 'cli' | 'demo'; now?: Date },
): Promise<{ id: string; email: string; username: string }> {
  const passwordHash = await checkAndHash(input);
  return inTransaction(db, (trx) => insertAdminAccount(trx, input, passwordHash, options));
}

/**
 * Validates a new admin's details and hashes the password, before any transaction opens:
 * argon2 takes tens of milliseconds, and no lock should wait on it.
 */
async function checkAndHash(input: NewAdminInput): Promise<string> {
  const fields = checkNewAdmin(input);
  if (Object.keys(fields).length > 0) {
    throw new AppError('validation_failed', 'Check the new admin’s details.', { fields });
  }
  return hashPassword(input.password);
}

async function insertAdminAccount(
  trx: DbExecutor,
  input: NewAdminInput,
  passwordHash: string,
  options: { grantedBy?: string | null; via: 'cli' | 'setup-link' | 'demo'; now?: Date },
): Promise<{ id: string; email: string; username: string }> {
  const email = normaliseEmail(input.email);
  const now = toDbTime(options.now ?? new Date());
  const existing = await tables(trx)
    .selectFrom('accounts_users')
    .select('id')
    .where('email', '=', email)
    .executeTakeFirst();
  if (existing) {
    throw new AppError('conflict', 'An account with this email address already exists.', {
      fields: { email: 'An account with this email address already exists' },
    });
  }
  const { id, username } = await insertAccount(trx, {
    email,
    firstName: input.firstName.trim(),
    surname: input.surname.trim(),
    locationId: input.location,
    passwordHash,
    emailVerifiedAt: options.now ?? new Date(),
    ...(options.now ? { now: options.now } : {}),
  });
  await tables(trx)
    .insertInto('accounts_roles')
    .values({ user_id: id, role: 'admin', granted_at: now, granted_by: options.grantedBy ?? null })
    .execute();
  await appendAudit(trx, {
    action: 'accounts.admin.created',
    actorId: options.grantedBy ?? null,
    subjectId: id,
    detail: { via: options.via },
  });
  return { id, email, username };
}

export async function countAdmins(db: DbExecutor): Promise<number> {
  const row = await tables(db)
    .selectFrom('accounts_roles')
    .innerJoin('accounts_users', 'accounts_users.id', 'accounts_roles.user_id')
    .select((eb) => eb.fn.countAll<number | string>().as('count'))
    .where('accounts_roles.role', '=', 'admin')
    .where('accounts_users.status', '=', 'active')
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

export interface MemberSummary {
  id: string;
  email: string;
  username: string;
  roles: Role[];
}

const MAX_SEARCH_LENGTH = 200;
export const MEMBER_SEARCH_LIMIT = 50;

/** `%` and `_` typed by staff are matched literally, not as wildcards. */
function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
}

async function rolesOf(db: DbExecutor, userIds: readonly string[]): Promise<Map<string, Role[]>> {
  const byUser = new Map<string, Role[]>();
  if (userIds.length === 0) return byUser;
  const rows = await tables(db)
    .selectFrom('accounts_roles')
    .select(['user_id', 'role'])
    .where('user_id', 'in', [...userIds])
    .orderBy('role')
    .execute();
  for (const row of rows) byUser.set(row.user_id, [...(byUser.get(row.user_id) ?? []), row.role]);
  return byUser;
}

/**
 * Members whose email or username contains `query` (case-insensitive), newest first. The
 * search is audited (without the query, which may itself be an email address).
 */
export async function searchMembers(
  db: DbExecutor,
  actorId: string,
  query: string,
): Promise<MemberSummary[]> {
  const text = query.trim().toLowerCase().slice(0, MAX_SEARCH_LENGTH);
  if (text === '') return [];
  const pattern = likePattern(text);
  return inTransaction(db, async (trx) => {
    const rows = await tables(trx)
      .selectFrom('accounts_users')
      .select(['id', 'email', 'username'])
      .where((eb) =>
        eb.or([
          sql<boolean>`email like ${pattern} escape '\\'`,
          sql<boolean>`lower(username) like ${pattern} escape '\\'`,
        ]),
      )
      .orderBy('id', 'desc')
      .limit(MEMBER_SEARCH_LIMIT)
      .execute();
    const roles = await rolesOf(
      trx,
      rows.map((row) => row.id),
    );
    await appendAudit(trx, {
      action: 'admin.members.searched',
      actorId,
      detail: { results: rows.length },
    });
    return rows.map((row) => ({ ...row, roles: roles.get(row.id) ?? [] }));
  });
}

export interface MemberDetails extends MemberSummary {
  firstName: string;
  surname: string;
  status: string;
  locationId: string;
  emailVerifiedAt: string | null;
  createdAt: string;
  lastLoginAt: string | null;
  lastActiveAt: string | null;
  twoFactorEnabled: boolean;
}

/** One member's account as staff see it (never a secret), the view itself audited. */
export async function viewMemberDetails(
  db: DbExecutor,
  actorId: string,
  memberId: string,
): Promise<MemberDetails | undefined> {
  return inTransaction(db, async (trx) => {
    const row = await tables(trx)
      .selectFrom('accounts_users')
      .select([
        'id',
        'email',
        'username',
        'first_name',
        'surname',
        'status',
        'location_id',
        'email_verified_at',
        'created_at',
        'last_login_at',
        'last_active_at',
        'totp_enabled_at',
      ])
      .where('id', '=', memberId)
      .executeTakeFirst();
    if (!row) return undefined;
    const roles = await rolesOf(trx, [row.id]);
    await appendAudit(trx, { action: 'admin.member.viewed', actorId, subjectId: row.id });
    return {
      id: row.id,
      email: row.email,
      username: row.username,
      roles: roles.get(row.id) ?? [],
      firstName: row.first_name,
      surname: row.surname,
      status: row.status,
      locationId: row.location_id,
      emailVerifiedAt: row.email_verified_at,
      createdAt: row.created_at,
      lastLoginAt: row.last_login_at,
      lastActiveAt: row.last_active_at,
      twoFactorEnabled: row.totp_enabled_at !== null,
    };
  });
}

/**
 * Grants a role. Already holding it is not an error (the form may be sent twice). The member's
 * other sessions are left alone: roles are read on every request, so the next one sees it.
 */
export async function grantRole(
  db: DbExecutor,
  input: { actorId: string; memberId: string; role: Role; now?: Date },
): Promise<{ changed: boolean }> {
  return inTransaction(db, async (trx) => {
    await requireExistingMember(trx, input.memberId);
    const inserted = await tables(trx)
      .insertInto('accounts_roles')
      .values({
        user_id: input.memberId,
        role: input.role,
        granted_at: toDbTime(input.now ?? new Date()),
        granted_by: input.actorId,
      })
      .onConflict((conflict) => conflict.columns(['user_id', 'role']).doNothing())
      .executeTakeFirst();
    const changed = Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0;
    if (changed) {
      await appendAudit(trx, {
        action: 'accounts.role.granted',
        actorId: input.actorId,
        subjectId: input.memberId,
        detail: { role: input.role },
      });
    }
    return { changed };
  });
}

/** Revokes a role; refuses to remove the last active admin, which would lock everyone out. */
export async function revokeRole(
  db: DbExecutor,
  input: { actorId: string; memberId: string; role: Role },
): Promise<{ changed: boolean }> {
  return inTransaction(db, async (trx) => {
    await requireExistingMember(trx, input.memberId);
    if (input.role === 'admin') {
      // Lock the admin rows first (PostgreSQL), so two admins revoking each other at once
      // cannot both pass the count; SQLite's single writer already serialises them.
      await tables(trx)
        .updateTable('accounts_roles')
        .set({ role: 'admin' })
        .where('role', '=', 'admin')
        .execute();
      const admins = await countAdmins(trx);
      const isAdmin = await tables(trx)
        .selectFrom('accounts_roles')
        .select('user_id')
        .where('user_id', '=', input.memberId)
        .where('role', '=', 'admin')
        .executeTakeFirst();
      if (isAdmin && admins <= 1) {
        throw new AppError(
          'conflict',
          'This is the last admin: grant admin to someone else first.',
        );
      }
    }
    const deleted = await tables(trx)
      .deleteFrom('accounts_roles')
      .where('user_id', '=', input.memberId)
      .where('role', '=', input.role)
      .executeTakeFirst();
    const changed = Number(deleted.numDeletedRows) > 0;
    if (changed) {
      await appendAudit(trx, {
        action: 'accounts.role.revoked',
        actorId: input.actorId,
        subjectId: input.memberId,
        detail: { role: input.role },
      });
    }
    return { changed };
  });
}

async function requireExistingMember(db: DbExecutor, memberId: string): Promise<void> {
  const row = await tables(db)
    .selectFrom('accounts_users')
    .select('id')
    .where('id', '=', memberId)
    .executeTakeFirst();
  if (!row) throw new AppError('not_found', 'No such member.');
}

/*
 * The first-start set-up link. The accounts_tokens table needs an account to hang a token on,
 * and there is none yet, so the link's hash lives in platform_settings under one key: one row
 * means at most one valid link, whatever the number of processes.
 */
export const ADMIN_SETUP_SETTING = 'admin_setup_token';
export const ADMIN_SETUP_VALID_MS = 24 * 60 * 60 * 1000;
/**
 * Processes started together (a deploy of several) share the link the first one issued rather
 * than each replacing it; a start after this long issues a fresh link, so an operator who
 * restarts one process gets a link they can see.
 */
export const ADMIN_SETUP_SHARED_FOR_MS = 2 * 60 * 1000;

interface StoredSetupToken {
  hash: string;
  issuedAt: string;
  expiresAt: string;
}

function hashSetupToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function parseStoredSetup(value: string): StoredSetupToken | null {
  try {
    const parsed = JSON.parse(value) as Partial<StoredSetupToken>;
    return typeof parsed.hash === 'string' &&
      typeof parsed.issuedAt === 'string' &&
      typeof parsed.expiresAt === 'string'
      ? { hash: parsed.hash, issuedAt: parsed.issuedAt, expiresAt: parsed.expiresAt }
      : null;
  } catch {
    return null;
  }
}

export type SetupTokenIssue =
  | { issued: true; token: string; expiresAt: string }
  | { issued: false; reason: 'admin-exists' }
  | { issued: false; reason: 'issued-elsewhere'; issuedAt: string; expiresAt: string };

/**
 * Issues the one-time link's token when no admin exists. Compare-and-swap on the settings row:
 * of processes racing, exactly one writes its token, and only that one may print a link.
 */
export async function issueAdminSetupToken(
  db: DbExecutor,
  now: Date = new Date(),
): Promise<SetupTokenIssue> {
  if ((await countAdmins(db)) > 0) return { issued: false, reason: 'admin-exists' };
  const settings = tables(db);
  const current = await settings
    .selectFrom('platform_settings')
    .select('value')
    .where('key', '=', ADMIN_SETUP_SETTING)
    .executeTakeFirst();
  const stored = current ? parseStoredSetup(current.value) : null;
  if (
    stored &&
    stored.expiresAt > toDbTime(now) &&
    Date.parse(stored.issuedAt) > now.getTime() - ADMIN_SETUP_SHARED_FOR_MS
  ) {
    return {
      issued: false,
      reason: 'issued-elsewhere',
      issuedAt: stored.issuedAt,
      expiresAt: stored.expiresAt,
    };
  }
  const token = randomBytes(32).toString('base64url');
  const expiresAt = toDbTime(new Date(now.getTime() + ADMIN_SETUP_VALID_MS));
  const value = JSON.stringify({
    hash: hashSetupToken(token),
    issuedAt: toDbTime(now),
    expiresAt,
  } satisfies StoredSetupToken);
  let won: boolean;
  if (current) {
    const updated = await settings
      .updateTable('platform_settings')
      .set({ value, updated_at: toDbTime(now) })
      .where('key', '=', ADMIN_SETUP_SETTING)
      .where('value', '=', current.value)
      .executeTakeFirst();
    won = Number(updated.numUpdatedRows) === 1;
  } else {
    const inserted = await settings
      .insertInto('platform_settings')
      .values({ key: ADMIN_SETUP_SETTING, value, updated_at: toDbTime(now) })
      .onConflict((conflict) => conflict.column('key').doNothing())
      .executeTakeFirst();
    won = Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1;
  }
  if (!won) {
    const winner = await settings
      .selectFrom('platform_settings')
      .select('value')
      .where('key', '=', ADMIN_SETUP_SETTING)
      .executeTakeFirst();
    const parsed = winner ? parseStoredSetup(winner.value) : null;
    return {
      issued: false,
      reason: 'issued-elsewhere',
      issuedAt: parsed?.issuedAt ?? toDbTime(now),
      expiresAt: parsed?.expiresAt ?? expiresAt,
    };
  }
  return { issued: true, token, expiresAt };
}

/** Why a set-up link cannot be used, or null when it can. */
export type SetupTokenProblem = 'invalid' | 'expired' | 'admin-exists';

export async function checkAdminSetupToken(
  db: DbExecutor,
  token: string,
  now: Date = new Date(),
): Promise<
  { problem: SetupTokenProblem; storedValue?: undefined } | { problem: null; storedValue: string }
> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return { problem: 'invalid' };
  if ((await countAdmins(db)) > 0) return { problem: 'admin-exists' };
  const row = await tables(db)
    .selectFrom('platform_settings')
    .select('value')
    .where('key', '=', ADMIN_SETUP_SETTING)
    .executeTakeFirst();
  const stored = row ? parseStoredSetup(row.value) : null;
  if (!row || !stored) return { problem: 'invalid' };
  const presented = Buffer.from(hashSetupToken(token));
  const expected = Buffer.from(stored.hash);
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
    return { problem: 'invalid' };
  }
  if (stored.expiresAt <= toDbTime(now)) return { problem: 'expired' };
  return { problem: null, storedValue: row.value };
}

/**
 * Uses the link: deletes the token (only if it is still the one checked, so two submissions
 * cannot both succeed) and creates the first admin, in one transaction.
 */
export async function redeemAdminSetupToken(
  db: DbExecutor,
  token: string,
  input: NewAdminInput,
  now: Date = new Date(),
): Promise<{ id: string; email: string; username: string }> {
  const passwordHash = await checkAndHash(input);
  return inTransaction(db, async (trx) => {
    const check = await checkAdminSetupToken(trx, token, now);
    if (check.problem !== null) throw new AppError('not_found', setupProblemMessage(check.problem));
    const deleted = await tables(trx)
      .deleteFrom('platform_settings')
      .where('key', '=', ADMIN_SETUP_SETTING)
      .where('value', '=', check.storedValue)
      .executeTakeFirst();
    if (Number(deleted.numDeletedRows) !== 1) {
      throw new AppError('not_found', setupProblemMessage('invalid'));
    }
    return insertAdminAccount(trx, input, passwordHash, { via: 'setup-link', now });
  });
}

export function setupProblemMessage(problem: SetupTokenProblem): string {
  switch (problem) {
    case 'invalid':
      return 'This set-up link is not valid or has been used. Restart Hearth for a new one, or run “hearth admin create”.';
    case 'expired':
      return 'This set-up link has expired. Restart Hearth for a new one, or run “hearth admin create”.';
    case 'admin-exists':
      return 'Hearth already has an admin: log in, or ask an admin to grant you a role.';
  }
}
