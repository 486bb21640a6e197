/**
 * What the accounts routes, pages and jobs call (STYLE.md point 5): registration, email
 * verification, log-in with the staff second factor, password reset, the profile and the
 * anonymous name. Every change that writes runs in one transaction with the mail it causes.
 *
 * No answer reveals whether an address is registered (issue 4 point 3): registration, resend
 * and reset answer the same either way (the owner of the address learns the truth by mail),
 * and a log-in with an unknown address costs a password verification like any other.
 */
import type { Updateable } from 'kysely';
import { tablesOf, type Database, type DbExecutor } from '../../platform/db/database.js';
import { newId } from '../../platform/db/ids.js';
import { isUniqueViolation, toDbTime } from '../../platform/db/portable.js';
import { AppError } from '../../platform/http/errors.js';
import { inTransaction } from '../../platform/db/transactions.js';
import { revokeAllSessions, revokeOtherSessions } from '../../platform/http/sessions.js';
import type { ReceiptIssuer } from '../../privacy/consent/index.js';
import { currentNoticeVersion } from '../../privacy/notice/notice.service.js';
import {
  applyNewsletterPreferences,
  listNewsletterCatalogue,
  parseNewsletterPreferences,
} from '../newsletters/index.js';
import {
  queueAlreadyRegisteredMail,
  queueChangeEmailMail,
  queueEmailChangedMail,
  queuePasswordResetMail,
  queueVerificationMail,
} from './accounts.mails.js';
import { findFreeName, pseudonymCandidate, usernameCandidate } from './accounts.names.js';
import {
  findUserByEmail,
  findUserById,
  insertUser,
  isUsernameTaken,
  normaliseEmail,
  rolesOf,
  updateUser,
} from './accounts.queries.js';
import { STAFF_ROLES, type AccountsTables, type Role, type UsersTable } from './accounts.tables.js';
import {
  clearLoginFailures,
  emailKey,
  lockedUntil,
  recordLoginFailure,
} from './accounts.throttle.js';
import { consumeToken, findUsableToken, issueToken, voidTokens } from './accounts.tokens.js';
import { checkPassword } from './common-passwords.js';
import { findLocation } from './locations.js';
import { decoyPasswordHash, hashPassword, needsRehash, verifyPassword } from './passwords.js';
import { decryptTotpSecret } from './totp-secret.js';
import { verifyTotp } from './totp.js';

/** What the service needs from the running app besides the database. */
export interface AccountsDeps {
  publicUrl: string;
  secretKey: string;
  issuer: ReceiptIssuer;
  /** TIMEZONE: "today" for the newsletter dates. */
  timezone: string;
}

const MAX_NAME_LENGTH = 100;
const MAX_EMAIL_LENGTH = 254;
const EMAIL_PATTERN =
  /^[^\s@<>()",;:\\[\]]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;
// Control characters (line breaks included) have no place in a name and would break mail headers.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

export const FIELD_MESSAGES = {
  firstName: 'Enter your first name',
  surname: 'Enter your surname',
  email: 'Enter an email address in the correct format, like name@example.com',
  location: 'Choose your location from the list',
} as const;

function checkName(value: string, message: string): string | null {
  const trimmed = value.trim();
  if (trimmed === '' || trimmed.length > MAX_NAME_LENGTH || CONTROL_CHARACTERS.test(trimmed)) {
    return trimmed.length > MAX_NAME_LENGTH
      ? `${message} of at most ${MAX_NAME_LENGTH} characters`
      : message;
  }
  return null;
}

export function isValidEmail(email: string): boolean {
  const trimmed = email.trim();
  return trimmed.length <= MAX_EMAIL_LENGTH && EMAIL_PATTERN.test(trimmed);
}

function failValidation(fields: Record<string, string>): never {
  throw new AppError('validation_failed', 'Some answers need fixing.', { fields });
}

/** Runs `work` again (up to three times) when it lost a race for a unique name. */
async function retryOnUniqueViolation<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= 3 || !isUniqueViolation(error)) throw error;
    }
  }
}

export interface NewAccount {
  email: string;
  firstName: string;
  surname: string;
  locationId: string;
  /** Null for a member who logs in only through a social identity. */
  passwordHash: string | null;
  /** When the address was confirmed (a provider's verified email, an admin made by staff). */
  emailVerifiedAt: Date | null;
  /** Start with an anonymous name switched on (demo data). */
  anonymous?: boolean;
  lastLoginAt?: Date | null;
  now?: Date;
}

/**
 * Inserts an account, with a username made from its names and kept unique (P03): the one way
 * every path (registration, social sign-up, admin creation, demo data) creates a member. Runs
 * in the caller's transaction. Another registration may take the username between the check and
 * the insert; the unique index then refuses this insert and the caller retries.
 */
export async function insertAccount(
  db: DbExecutor,
  input: NewAccount,
): Promise<{ id: string; username: string }> {
  const id = newId();
  const now = toDbTime(input.now ?? new Date());
  const username = await findFreeName(
    (attempt) => usernameCandidate(input.firstName, input.surname, attempt),
    (name) => isUsernameTaken(db, name),
  );
  const anonymousName = input.anonymous
    ? await findFreeName(pseudonymCandidate, (name) => isUsernameTaken(db, name))
    : null;
  await insertUser(db, {
    id,
    email: input.email,
    email_verified_at: input.emailVerifiedAt ? toDbTime(input.emailVerifiedAt) : null,
    pending_email: null,
    first_name: input.firstName,
    surname: input.surname,
    username,
    anonymous_name: anonymousName,
    use_anonymous_name: input.anonymous ? 1 : 0,
    location_id: input.locationId,
    password_hash: input.passwordHash,
    status: 'active',
    totp_secret: null,
    totp_enabled_at: null,
    totp_last_step: null,
    created_at: now,
    updated_at: now,
    last_login_at: input.lastLoginAt ? toDbTime(input.lastLoginAt) : null,
    // Creation is activity: the inactivity clock (P35) starts now.
    last_active_at: now,
  });
  return { id, username };
}

async function noticeVersionOrFail(db: DbExecutor): Promise<number> {
  const version = await currentNoticeVersion(db);
  // The notice is published at boot; without one no consent can cite what was shown.
  if (version === null) {
    throw new AppError('service_unavailable', 'Hearth is starting up. Please try again shortly.');
  }
  return version;
}

// ---------------------------------------------------------------------------------------------
// Registration

export interface RegistrationInput {
  firstName: string;
  surname: string;
  email: string;
  password: string;
  location: string;
  /** The `newsletters` shape of DESIGN.md §6, checked by the newsletters module. */
  newsletters: unknown;
}

/**
 * Registers a member (P02, P03): exactly the notice's fields. Answers the same whether or not
 * the address was registered: a new address gets the verification mail, a registered one a
 * "you already have an account" mail. Returns the new member's id, or null for a known address
 * (for the caller's logs and tests only; never shown).
 */
export async function registerMember(
  db: Database,
  deps: AccountsDeps,
  input: RegistrationInput,
  method: 'form' | 'api',
  now: Date = new Date(),
): Promise<string | null> {
  const fields: Record<string, string> = {};
  const firstNameProblem = checkName(input.firstName, FIELD_MESSAGES.firstName);
  if (firstNameProblem) fields.firstName = firstNameProblem;
  const surnameProblem = checkName(input.surname, FIELD_MESSAGES.surname);
  if (surnameProblem) fields.surname = surnameProblem;
  if (!isValidEmail(input.email)) fields.email = FIELD_MESSAGES.email;
  const passwordProblem = checkPassword(input.password, {
    email: input.email,
    firstName: input.firstName,
    surname: input.surname,
  });
  if (passwordProblem) fields.password = passwordProblem;
  if (!findLocation(input.location)) fields.location = FIELD_MESSAGES.location;
  const newsletters = parseNewsletterPreferences(input.newsletters, {
    catalogue: await listNewsletterCatalogue(db),
    timeZone: deps.timezone,
  });
  if (!newsletters.ok) Object.assign(fields, newsletters.fields);
  if (Object.keys(fields).length > 0 || !newsletters.ok) failValidation(fields);

  const email = normaliseEmail(input.email);
  const firstName = input.firstName.trim();
  const surname = input.surname.trim();
  // Hashed before knowing whether the address is new, so both answers take as long.
  const passwordHash = await hashPassword(input.password);

  return retryOnUniqueViolation(() =>
    db.transaction().execute(async (trx) => {
      const existing = await findUserByEmail(trx, email);
      if (existing) {
        await queueAlreadyRegisteredMail(trx, deps.publicUrl, {
          id: existing.id,
          email: existing.email,
          firstName: existing.first_name,
        });
        return null;
      }
      const { id } = await insertAccount(trx, {
        email,
        firstName,
        surname,
        locationId: input.location,
        passwordHash,
        emailVerifiedAt: null,
        now,
      });
      await applyNewsletterPreferences(trx, id, newsletters.value, {
        method,
        noticeVersion: await noticeVersionOrFail(trx),
        issuer: deps.issuer,
        at: now,
      });
      const token = await issueToken(trx, { userId: id, purpose: 'verify-email', email, now });
      await queueVerificationMail(trx, deps.publicUrl, { id, email, firstName }, token);
      return id;
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Email verification

const TOKEN_MESSAGES = {
  unknown: 'This link is not valid. Check that you copied the whole link from the email.',
  used: 'This link has already been used.',
  expired: 'This link has expired. Ask for a new one.',
} as const;

export type VerifyOutcome = 'verified' | 'email-changed';

/**
 * Follows a link sent to an address: the registration address (`verify-email`) or a new one
 * (`change-email`, which then replaces the old address). Single-use and expiring.
 */
export async function verifyEmailToken(
  db: Database,
  deps: AccountsDeps,
  rawToken: string,
  now: Date = new Date(),
): Promise<VerifyOutcome> {
  return db.transaction().execute(async (trx) => {
    const check = await consumeToken(trx, rawToken, ['verify-email', 'change-email'], now);
    if (!check.ok) {
      throw new AppError('validation_failed', TOKEN_MESSAGES[check.reason], {
        fields: { token: TOKEN_MESSAGES[check.reason] },
      });
    }
    const token = check.token;
    const user = await findUserById(trx, token.user_id);
    if (!user || user.status !== 'active') {
      throw new AppError('validation_failed', TOKEN_MESSAGES.unknown, {
        fields: { token: TOKEN_MESSAGES.unknown },
      });
    }
    if (token.purpose === 'verify-email') {
      // A link for an address the account no longer uses proves nothing about the current one.
      if (token.email !== user.email) {
        throw new AppError('validation_failed', TOKEN_MESSAGES.unknown, {
          fields: { token: TOKEN_MESSAGES.unknown },
        });
      }
      if (user.email_verified_at === null) {
        await updateUser(trx, user.id, {
          email_verified_at: toDbTime(now),
          updated_at: toDbTime(now),
        });
      }
      return 'verified';
    }
    if (token.email === null || token.email !== user.pending_email) {
      throw new AppError('validation_failed', TOKEN_MESSAGES.used, {
        fields: { token: TOKEN_MESSAGES.used },
      });
    }
    const holder = await findUserByEmail(trx, token.email);
    if (holder && holder.id !== user.id) {
      throw new AppError('conflict', 'This address now belongs to another Hearth account.');
    }
    await updateUser(trx, user.id, {
      email: token.email,
      pending_email: null,
      email_verified_at: toDbTime(now),
      updated_at: toDbTime(now),
    });
    await queueEmailChangedMail(trx, deps.publicUrl, {
      id: user.id,
      email: user.email,
      firstName: user.first_name,
    });
    return 'email-changed';
  });
}

/** Sends a new verification link to an unverified member; silently nothing otherwise. */
export async function resendVerification(
  db: Database,
  deps: AccountsDeps,
  email: string,
  now: Date = new Date(),
): Promise<void> {
  if (!isValidEmail(email)) failValidation({ email: FIELD_MESSAGES.email });
  await db.transaction().execute(async (trx) => {
    const user = await findUserByEmail(trx, email);
    if (!user || user.status !== 'active' || user.email_verified_at !== null) return;
    await voidTokens(trx, user.id, 'verify-email', now);
    const token = await issueToken(trx, {
      userId: user.id,
      purpose: 'verify-email',
      email: user.email,
      now,
    });
    await queueVerificationMail(
      trx,
      deps.publicUrl,
      { id: user.id, email: user.email, firstName: user.first_name },
      token,
    );
  });
}

// ---------------------------------------------------------------------------------------------
// Log-in

export interface AuthenticatedMember {
  userId: string;
  roles: Role[];
  isStaff: boolean;
  totpEnabled: boolean;
}

function lockoutError(until: Date, now: Date): AppError {
  const minutes = Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 60_000));
  return new AppError(
    'rate_limited',
    `Too many failed log-ins with this email address. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}, or choose a new password with "Forgotten your password?".`,
  );
}

const INVALID_CREDENTIALS = 'The email address or password is wrong.';

/**
 * The password step of log-in. Refuses an address locked by failed attempts, an unknown address
 * or a wrong password alike (one message; the unknown address verified against a decoy hash so
 * it takes as long), and only after a correct password says the account is disabled.
 */
export async function authenticateWithPassword(
  db: Database,
  deps: AccountsDeps,
  email: string,
  password: string,
  now: Date = new Date(),
): Promise<AuthenticatedMember> {
  const normalised = normaliseEmail(email);
  const key = emailKey(deps.secretKey, normalised);
  const until = await lockedUntil(db, key, now);
  if (until) throw lockoutError(until, now);

  const user = isValidEmail(normalised) ? await findUserByEmail(db, normalised) : undefined;
  const storedHash = user?.password_hash ?? (await decoyPasswordHash());
  const passwordMatches = await verifyPassword(storedHash, password);
  if (!user || user.password_hash === null || !passwordMatches) {
    await recordLoginFailure(db, key, user?.id ?? null, now);
    throw new AppError('invalid_credentials', INVALID_CREDENTIALS);
  }
  if (user.status !== 'active') {
    throw new AppError('account_disabled', 'Log-in is disabled for this account.');
  }
  await clearLoginFailures(db, key);
  if (needsRehash(user.password_hash)) {
    await updateUser(db, user.id, { password_hash: await hashPassword(password) });
  }
  const roles = await rolesOf(db, user.id);
  return {
    userId: user.id,
    roles,
    isStaff: roles.some((role) => STAFF_ROLES.includes(role)),
    totpEnabled: user.totp_enabled_at !== null && user.totp_secret !== null,
  };
}

/** Records a completed log-in: the later of log-in and activity drives inactivity (P35). */
export async function recordLogin(db: DbExecutor, userId: string, now: Date = new Date()) {
  await updateUser(db, userId, { last_login_at: toDbTime(now), last_active_at: toDbTime(now) });
}

/**
 * Checks a TOTP code for the member and records its time step, so the same code (or an older
 * one) is refused from then on. The update repeats the replay check, so two requests racing
 * with one code cannot both pass.
 */
export async function acceptTotpCode(
  db: DbExecutor,
  secretKey: string,
  userId: string,
  code: string,
  now: Date = new Date(),
): Promise<boolean> {
  const user = await findUserById(db, userId);
  if (!user || user.totp_secret === null || user.totp_enabled_at === null) return false;
  const step = verifyTotp(decryptTotpSecret(secretKey, user.totp_secret), code.trim(), now);
  if (step === null) return false;
  if (user.totp_last_step !== null && step <= user.totp_last_step) return false;
  const result = await tablesOf<AccountsTables>(db)
    .updateTable('accounts_users')
    .set({ totp_last_step: step })
    .where('id', '=', userId)
    .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

const WRONG_CODE = 'The code is wrong or has already been used. Enter the code your app shows now.';

/**
 * The second step of a staff member's log-in: checks the code, counting a wrong one as a
 * failed log-in for the account's address (so codes cannot be guessed at leisure), and
 * refusing a code used before.
 */
export async function passSecondFactor(
  db: Database,
  deps: AccountsDeps,
  userId: string,
  code: string,
  now: Date = new Date(),
): Promise<void> {
  const user = await findUserById(db, userId);
  if (!user || user.status !== 'active') {
    throw new AppError('unauthenticated', 'Please log in again.');
  }
  const key = emailKey(deps.secretKey, user.email);
  const until = await lockedUntil(db, key, now);
  if (until) throw lockoutError(until, now);
  if (
    !/^\s*\d{6}\s*$/.test(code) ||
    !(await acceptTotpCode(db, deps.secretKey, userId, code, now))
  ) {
    await recordLoginFailure(db, key, userId, now);
    throw new AppError('invalid_credentials', WRONG_CODE, { fields: { code: WRONG_CODE } });
  }
  await clearLoginFailures(db, key);
}

/** Issues the challenge a staff member's API log-in answers with its TOTP code. */
export async function issueLoginChallenge(db: DbExecutor, userId: string): Promise<string> {
  return issueToken(db, { userId, purpose: 'login-challenge' });
}

/**
 * The API's second step: the challenge from the first step and a code. The challenge survives a
 * wrong code (the member may mistype) until it expires; a right code consumes it.
 */
export async function completeLoginChallenge(
  db: Database,
  deps: AccountsDeps,
  challenge: string,
  code: string,
  now: Date = new Date(),
): Promise<string> {
  const check = await findUsableToken(db, challenge, ['login-challenge'], now);
  if (!check.ok) {
    throw new AppError(
      'unauthenticated',
      'This log-in has expired. Log in with your password again.',
    );
  }
  await passSecondFactor(db, deps, check.token.user_id, code, now);
  const consumed = await consumeToken(db, challenge, ['login-challenge'], now);
  if (!consumed.ok) {
    throw new AppError(
      'unauthenticated',
      'This log-in has expired. Log in with your password again.',
    );
  }
  return check.token.user_id;
}

// ---------------------------------------------------------------------------------------------
// Password reset

/** Sends a reset link when the address is a member's; answers the same either way. */
export async function requestPasswordReset(
  db: Database,
  deps: AccountsDeps,
  email: string,
  now: Date = new Date(),
): Promise<void> {
  if (!isValidEmail(email)) failValidation({ email: FIELD_MESSAGES.email });
  await db.transaction().execute(async (trx) => {
    const user = await findUserByEmail(trx, email);
    if (!user || user.status !== 'active') return;
    // Only the newest link works: an older one in a forgotten inbox is void.
    await voidTokens(trx, user.id, 'reset-password', now);
    const token = await issueToken(trx, {
      userId: user.id,
      purpose: 'reset-password',
      email: user.email,
      now,
    });
    await queuePasswordResetMail(
      trx,
      deps.publicUrl,
      { id: user.id, email: user.email, firstName: user.first_name },
      token,
    );
  });
}

/** True when a reset link can still be used (the page shows the form only then). */
export async function isResetTokenUsable(db: Database, token: string): Promise<boolean> {
  return (await findUsableToken(db, token, ['reset-password'])).ok;
}

/**
 * Sets a new password through a reset link: single-use, expiring, and every session of the
 * member is revoked (whoever knew the old password is logged out). Following a link sent to
 * the address also proves the address.
 */
export async function confirmPasswordReset(
  db: Database,
  deps: AccountsDeps,
  rawToken: string,
  password: string,
  now: Date = new Date(),
): Promise<string> {
  const peek = await findUsableToken(db, rawToken, ['reset-password'], now);
  if (!peek.ok) {
    throw new AppError('validation_failed', TOKEN_MESSAGES[peek.reason], {
      fields: { token: TOKEN_MESSAGES[peek.reason] },
    });
  }
  const user = await findUserById(db, peek.token.user_id);
  if (!user || user.status !== 'active') {
    throw new AppError('validation_failed', TOKEN_MESSAGES.unknown, {
      fields: { token: TOKEN_MESSAGES.unknown },
    });
  }
  const problem = checkPassword(password, {
    email: user.email,
    firstName: user.first_name,
    surname: user.surname,
  });
  if (problem) failValidation({ password: problem });
  const passwordHash = await hashPassword(password);
  return db.transaction().execute(async (trx) => {
    const check = await consumeToken(trx, rawToken, ['reset-password'], now);
    if (!check.ok) {
      throw new AppError('validation_failed', TOKEN_MESSAGES[check.reason], {
        fields: { token: TOKEN_MESSAGES[check.reason] },
      });
    }
    await updateUser(trx, user.id, {
      password_hash: passwordHash,
      updated_at: toDbTime(now),
      ...(user.email_verified_at === null && check.token.email === user.email
        ? { email_verified_at: toDbTime(now) }
        : {}),
    });
    await revokeAllSessions(trx, user.id);
    await clearLoginFailures(trx, emailKey(deps.secretKey, user.email));
    return user.id;
  });
}

// ---------------------------------------------------------------------------------------------
// Profile

export interface Profile {
  id: string;
  firstName: string;
  surname: string;
  email: string;
  pendingEmail: string | null;
  username: string;
  anonymousName: string | null;
  anonymous: boolean;
  location: { id: string; name: string };
  roles: Role[];
  emailVerified: boolean;
  hasPassword: boolean;
  createdAt: string;
}

export async function loadProfile(db: DbExecutor, userId: string): Promise<Profile> {
  const user = await findUserById(db, userId);
  if (!user) throw new AppError('unauthenticated', 'Please log in first.');
  const place = findLocation(user.location_id);
  return {
    id: user.id,
    firstName: user.first_name,
    surname: user.surname,
    email: user.email,
    pendingEmail: user.pending_email,
    username: user.username,
    anonymousName: user.anonymous_name,
    anonymous: user.use_anonymous_name === 1 && user.anonymous_name !== null,
    // A place dropped from a later list keeps its id; the name then falls back to it.
    location: { id: user.location_id, name: place?.name ?? user.location_id },
    roles: await rolesOf(db, user.id),
    emailVerified: user.email_verified_at !== null,
    hasPassword: user.password_hash !== null,
    createdAt: user.created_at,
  };
}

export interface ProfileChanges {
  firstName?: string;
  surname?: string;
  email?: string;
  location?: string;
  /** A new password: the caller must have re-authenticated the member first. */
  password?: string;
  anonymous?: boolean;
}

/**
 * Applies a profile change (P04): name, location and password at once; a new email address
 * waits in `pending_email` until the link sent to it is followed; `anonymous` switches the name
 * shown on new content (P37), creating the pseudonym the first time. A new password logs out
 * every other session; the caller re-authenticates the member before asking for one.
 */
export async function updateProfile(
  db: Database,
  deps: AccountsDeps,
  member: { id: string; sessionId: string },
  changes: ProfileChanges,
  now: Date = new Date(),
): Promise<Profile> {
  const user = await findUserById(db, member.id);
  if (!user || user.status !== 'active')
    throw new AppError('unauthenticated', 'Please log in first.');

  const fields: Record<string, string> = {};
  const firstName = changes.firstName?.trim();
  const surname = changes.surname?.trim();
  if (changes.firstName !== undefined) {
    const problem = checkName(changes.firstName, FIELD_MESSAGES.firstName);
    if (problem) fields.firstName = problem;
  }
  if (changes.surname !== undefined) {
    const problem = checkName(changes.surname, FIELD_MESSAGES.surname);
    if (problem) fields.surname = problem;
  }
  if (changes.location !== undefined && !findLocation(changes.location)) {
    fields.location = FIELD_MESSAGES.location;
  }
  const newEmail = changes.email === undefined ? undefined : normaliseEmail(changes.email);
  if (newEmail !== undefined && !isValidEmail(newEmail)) fields.email = FIELD_MESSAGES.email;
  if (changes.password !== undefined) {
    const problem = checkPassword(changes.password, {
      email: newEmail ?? user.email,
      firstName: firstName ?? user.first_name,
      surname: surname ?? user.surname,
    });
    if (problem) fields.password = problem;
  }
  if (Object.keys(fields).length > 0) failValidation(fields);

  // The caller has re-authenticated the member for a new password (requireRecentAuthentication).
  const passwordHash =
    changes.password === undefined ? undefined : await hashPassword(changes.password);

  await retryOnUniqueViolation(() =>
    db.transaction().execute(async (trx) => {
      const updates: Omit<Updateable<UsersTable>, 'id'> = {};
      if (firstName !== undefined) updates.first_name = firstName;
      if (surname !== undefined) updates.surname = surname;
      if (changes.location !== undefined) updates.location_id = changes.location;
      if (passwordHash !== undefined) updates.password_hash = passwordHash;
      if (newEmail !== undefined) {
        if (newEmail === user.email) {
          // Asking for the current address again withdraws a pending change.
          if (user.pending_email !== null) updates.pending_email = null;
        } else {
          // A new address, or the pending one again: a fresh link replaces the earlier one.
          updates.pending_email = newEmail;
          await voidTokens(trx, user.id, 'change-email', now);
          const token = await issueToken(trx, {
            userId: user.id,
            purpose: 'change-email',
            email: newEmail,
            now,
          });
          await queueChangeEmailMail(
            trx,
            deps.publicUrl,
            { id: user.id, email: newEmail, firstName: firstName ?? user.first_name },
            token,
          );
        }
      }
      if (changes.anonymous === true) {
        if (user.anonymous_name === null) {
          updates.anonymous_name = await findFreeName(pseudonymCandidate, (name) =>
            isUsernameTaken(trx, name),
          );
        }
        updates.use_anonymous_name = 1;
      } else if (changes.anonymous === false) {
        updates.use_anonymous_name = 0;
      }
      if (Object.keys(updates).length === 0) return;
      await updateUser(trx, user.id, { ...updates, updated_at: toDbTime(now) });
      // Whoever knew the old password is logged out everywhere but here.
      if (passwordHash !== undefined) await revokeOtherSessions(trx, user.id, member.sessionId);
    }),
  );
  return loadProfile(db, user.id);
}

/**
 * The name a member's new content is written under (P37): the anonymous name while switched
 * on, else the username. Content stores this name with itself, so switching later never
 * changes, and never reveals, what was written under the other name.
 */
export async function authorNameForNewContent(db: DbExecutor, userId: string): Promise<string> {
  const user = await findUserById(db, userId);
  if (!user) throw new AppError('unauthenticated', 'Please log in first.');
  return user.use_anonymous_name === 1 && user.anonymous_name !== null
    ? user.anonymous_name
    : user.username;
}

// ---------------------------------------------------------------------------------------------
// Activity (P35)

/** `last_active_at` is written at most once in this period. */
export const ACTIVITY_RESOLUTION_MS = 24 * 60 * 60 * 1000;

/**
 * Marks the member active now unless they were marked within the last day. The condition is in
 * the update itself, so concurrent requests on several processes write at most once a day.
 * True when it wrote.
 */
export async function touchLastActive(
  db: DbExecutor,
  userId: string,
  now: Date = new Date(),
): Promise<boolean> {
  const staleBefore = toDbTime(new Date(now.getTime() - ACTIVITY_RESOLUTION_MS));
  const result = await tablesOf<AccountsTables>(db)
    .updateTable('accounts_users')
    .set({ last_active_at: toDbTime(now) })
    .where('id', '=', userId)
    .where('status', '=', 'active')
    .where((eb) =>
      eb.or([eb('last_active_at', 'is', null), eb('last_active_at', '<', staleBefore)]),
    )
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Revokes every session of a member being erased (sessions.user_id has no foreign key). */
export async function revokeSessionsForErasure(db: DbExecutor, userId: string): Promise<number> {
  return inTransaction(db, (trx) => revokeAllSessions(trx, userId));
}
