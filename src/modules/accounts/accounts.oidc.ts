/**
 * Social log-in over OpenID Connect (the notice's "log in via Facebook Connect"), for any number
 * of configured providers (`OIDC_PROVIDERS`).
 *
 * The flow is the authorization code flow with PKCE (S256), `state` and `nonce`:
 *
 * 1. `startAuthorization` makes a code verifier, a state and a nonce. They are kept until the
 *    provider sends the person back in a short-lived cookie, sealed (AES-256-GCM under a key
 *    derived from the instance secret) so the browser can neither read nor change them. A cookie
 *    rather than a table row: before log-in there is no session to hang them on, a row would be
 *    personal data to declare, expire and clean, and a sealed cookie is as safe, because nothing
 *    in it is of use to anyone but the browser that started the flow.
 * 2. `finishAuthorization` checks the state, exchanges the code with the verifier, validates the
 *    ID token (signature, issuer, audience, expiry, nonce; `auth_time` when re-authenticating)
 *    and reads `sub`, the email and the names, from the ID token or else the userinfo endpoint.
 * 3. The routes then log in a linked identity, ask for the password of an existing account with
 *    the same email before linking (never link on email alone), or complete a new account.
 *
 * Discovery happens at first use and is cached per process: starting Hearth never needs the
 * network, and a provider that is down only disables its own button.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import * as client from 'openid-client';
import type { Config, OidcProviderConfig } from '../../config/config.js';
import { tablesOf, type DbExecutor } from '../../platform/db/database.js';
import { newId } from '../../platform/db/ids.js';
import { isUniqueViolation, nowTime } from '../../platform/db/portable.js';
import { AppError } from '../../platform/http/errors.js';
import { appendAudit } from '../../privacy/audit/audit.service.js';
import type { ReceiptIssuer } from '../../privacy/consent/index.js';
import { currentNoticeVersion } from '../../privacy/notice/notice.service.js';
import { applyNewsletterPreferences, type NewsletterPreferences } from '../newsletters/index.js';
import { insertAccount } from './accounts.service.js';
import type { AccountsTables, UserStatus } from './accounts.tables.js';

/** The scopes asked of every provider: the ID token, the email address and the names. */
const SCOPES = 'openid email profile';

/** How long a person may spend at the provider before the sealed flow state expires. */
export const AUTHORIZATION_TTL_MS = 10 * 60 * 1000;

/** How long a verified identity waits for a password (linking) or the missing answers. */
export const PENDING_IDENTITY_TTL_MS = 20 * 60 * 1000;

/**
 * A re-authentication round-trip asks the provider to authenticate the person again
 * (`prompt=login`) and refuses an ID token whose `auth_time` is older than this.
 */
export const REAUTHENTICATION_MAX_AGE_SECONDS = 300;

/** Discovery and token requests give up after this long, so a slow provider fails clearly. */
const PROVIDER_TIMEOUT_SECONDS = 10;

export interface SocialProvider {
  name: string;
  label: string;
}

/** The providers to offer as log-in buttons, in the configured order. */
export function configuredProviders(config: Pick<Config, 'oidcProviders'>): SocialProvider[] {
  return config.oidcProviders.map(({ name, label }) => ({ name, label }));
}

/** Why a social log-in could not go on; each kind gets its own page. */
export type OidcFailureKind =
  /** The person said no at the provider, or the provider refused the request. */
  | 'denied'
  /** The state is missing, expired or not the one this browser started with. */
  | 'invalid_state'
  /** The provider's answer failed a check (code exchange, ID token, nonce, PKCE). */
  | 'rejected'
  /** The provider could not be reached or did not answer in time. */
  | 'unavailable';

export class OidcFlowError extends Error {
  constructor(
    readonly kind: OidcFailureKind,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'OidcFlowError';
  }
}

// --- Sealed values (the flow state and the pending identity travel in cookies) -----------------

/** The sealing key, derived so that no other use of the secret key yields the same key. */
export function deriveOidcCookieKey(secretKey: string): Buffer {
  return createHmac('sha256', secretKey).update('hearth oidc cookie v1').digest();
}

/**
 * Encrypts and authenticates `value` with an expiry. `purpose` is bound as associated data, so
 * a value sealed for one cookie is refused when presented as another.
 */
export function sealValue(key: Buffer, purpose: string, value: unknown, ttlMs: number): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(purpose, 'utf8'));
  const plain = JSON.stringify({ expiresAt: Date.now() + ttlMs, value });
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
}

/** The value sealed for `purpose`, or null when it is malformed, forged or expired. */
export function unsealValue(key: Buffer, purpose: string, sealed: string | undefined): unknown {
  if (sealed === undefined || !/^[A-Za-z0-9_-]{40,8000}$/.test(sealed)) return null;
  const bytes = Buffer.from(sealed, 'base64url');
  if (bytes.length < 12 + 16 + 1) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, 12));
    decipher.setAAD(Buffer.from(purpose, 'utf8'));
    decipher.setAuthTag(bytes.subarray(bytes.length - 16));
    const plain = Buffer.concat([
      decipher.update(bytes.subarray(12, bytes.length - 16)),
      decipher.final(),
    ]).toString('utf8');
    const parsed = JSON.parse(plain) as { expiresAt?: unknown; value?: unknown };
    if (typeof parsed.expiresAt !== 'number' || parsed.expiresAt <= Date.now()) return null;
    return parsed.value ?? null;
  } catch {
    return null;
  }
}

// --- Where the person goes afterwards ----------------------------------------------------------

/**
 * `next` as a path on this site, or `fallback`. Only a single leading slash is accepted:
 * `//evil.example` and `/\evil.example` are read by browsers as other sites (an open redirect).
 */
export function safeNextPath(next: unknown, fallback = '/'): string {
  if (typeof next !== 'string' || next.length > 2000) return fallback;
  if (!next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return fallback;
  // Control characters (a line break splitting a header, a tab) never belong in a path.
  if ([...next].some((character) => character.charCodeAt(0) < 0x20 || character === '\u007f')) {
    return fallback;
  }
  return next;
}

// --- Provider clients --------------------------------------------------------------------------

function isLoopbackIssuer(issuer: URL): boolean {
  return (
    issuer.hostname === 'localhost' ||
    /^127\.\d+\.\d+\.\d+$/.test(issuer.hostname) ||
    issuer.hostname === '[::1]'
  );
}

/**
 * The client side of every configured provider. Discovery results are cached; a failed
 * discovery is forgotten, so the next attempt tries again instead of failing for ever.
 */
export class OidcClients {
  private readonly providers: ReadonlyMap<string, OidcProviderConfig>;
  private readonly discovered = new Map<string, Promise<client.Configuration>>();

  constructor(
    providers: readonly OidcProviderConfig[],
    private readonly publicUrl: string,
  ) {
    this.providers = new Map(providers.map((provider) => [provider.name, provider]));
  }

  provider(name: string): OidcProviderConfig | undefined {
    return this.providers.get(name);
  }

  /** Where the provider sends the person back; registered with the provider by the operator. */
  callbackUrl(name: string): string {
    return `${this.publicUrl}/auth/oidc/${name}/callback`;
  }

  async configurationFor(name: string): Promise<client.Configuration> {
    const provider = this.providers.get(name);
    if (!provider) throw new OidcFlowError('invalid_state', `No provider is called "${name}".`);
    let configuration = this.discovered.get(name);
    if (!configuration) {
      configuration = this.discover(provider);
      this.discovered.set(name, configuration);
      configuration.catch(() => this.discovered.delete(name));
    }
    try {
      return await configuration;
    } catch (error) {
      throw new OidcFlowError('unavailable', `${provider.label} did not answer.`, {
        cause: error,
      });
    }
  }

  private async discover(provider: OidcProviderConfig): Promise<client.Configuration> {
    const issuer = new URL(provider.issuer);
    // Plain http only towards a provider on this machine (configuration refuses it elsewhere).
    const insecure = issuer.protocol === 'http:' && isLoopbackIssuer(issuer);
    const metadata = { redirect_uris: [this.callbackUrl(provider.name)] };
    const secret = provider.clientSecret;
    const discovered = await client.discovery(
      issuer,
      provider.clientId,
      metadata,
      secret === null ? client.None() : client.ClientSecretBasic(secret),
      {
        execute: insecure ? [client.allowInsecureRequests] : [],
        timeout: PROVIDER_TIMEOUT_SECONDS,
      },
    );
    // client_secret_basic is the OpenID Connect default; some providers take only _post.
    const methods = discovered.serverMetadata().token_endpoint_auth_methods_supported;
    const onlyPost =
      secret !== null &&
      methods !== undefined &&
      !methods.includes('client_secret_basic') &&
      methods.includes('client_secret_post');
    if (!onlyPost) return discovered;
    const configuration = new client.Configuration(
      discovered.serverMetadata(),
      provider.clientId,
      metadata,
      client.ClientSecretPost(secret),
    );
    if (insecure) client.allowInsecureRequests(configuration);
    return configuration;
  }
}

// --- The flow ----------------------------------------------------------------------------------

/** What the browser keeps (sealed) between leaving for the provider and coming back. */
export interface AuthorizationState {
  provider: string;
  state: string;
  nonce: string;
  codeVerifier: string;
  next: string;
  /** True for a re-authentication round-trip of a logged-in member. */
  reauth: boolean;
}

export function isAuthorizationState(value: unknown): value is AuthorizationState {
  if (typeof value !== 'object' || value === null) return false;
  const state = value as Record<string, unknown>;
  return (
    typeof state.provider === 'string' &&
    typeof state.state === 'string' &&
    typeof state.nonce === 'string' &&
    typeof state.codeVerifier === 'string' &&
    typeof state.next === 'string' &&
    typeof state.reauth === 'boolean'
  );
}

/** The provider's authorization URL and the state to seal into the browser's cookie. */
export async function startAuthorization(
  clients: OidcClients,
  providerName: string,
  options: { next: string; reauth: boolean },
): Promise<{ url: URL; state: AuthorizationState }> {
  const configuration = await clients.configurationFor(providerName);
  const codeVerifier = client.randomPKCECodeVerifier();
  const state: AuthorizationState = {
    provider: providerName,
    state: client.randomState(),
    nonce: client.randomNonce(),
    codeVerifier,
    next: options.next,
    reauth: options.reauth,
  };
  const parameters: Record<string, string> = {
    redirect_uri: clients.callbackUrl(providerName),
    scope: SCOPES,
    response_type: 'code',
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state: state.state,
    nonce: state.nonce,
  };
  if (options.reauth) {
    // A re-authentication must be one: the provider asks again, whatever session it holds.
    parameters.prompt = 'login';
    parameters.max_age = String(REAUTHENTICATION_MAX_AGE_SECONDS);
  }
  return { url: client.buildAuthorizationUrl(configuration, parameters), state };
}

/** Who the provider says the person is, after every check passed. */
export interface ProviderIdentity {
  provider: string;
  subject: string;
  email: string | null;
  /** Only a boolean `email_verified: true` counts: absent or anything else is unverified. */
  emailVerified: boolean;
  firstName: string | null;
  surname: string | null;
}

export function isProviderIdentity(value: unknown): value is ProviderIdentity {
  if (typeof value !== 'object' || value === null) return false;
  const identity = value as Record<string, unknown>;
  const stringOrNull = (field: unknown) => field === null || typeof field === 'string';
  return (
    typeof identity.provider === 'string' &&
    typeof identity.subject === 'string' &&
    stringOrNull(identity.email) &&
    typeof identity.emailVerified === 'boolean' &&
    stringOrNull(identity.firstName) &&
    stringOrNull(identity.surname)
  );
}

function claimText(value: unknown, maxLength: number): string | null {
  if (typeof value !== 'string') return null;
  const text = value.trim();
  return text === '' || text.length > maxLength ? null : text;
}

/** An email address as accounts stores it (trimmed, lower-cased), or null when not one. */
function normaliseEmail(value: unknown): string | null {
  const email = claimText(value, 254)?.toLowerCase() ?? null;
  return email !== null && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email) ? email : null;
}

/**
 * Checks the provider's answer against the sealed state and returns the verified identity.
 * `callbackUrl` is the URL the provider sent the person to, with its query.
 */
export async function finishAuthorization(
  clients: OidcClients,
  expected: AuthorizationState,
  callbackUrl: URL,
): Promise<ProviderIdentity> {
  const error = callbackUrl.searchParams.get('error');
  if (error !== null) {
    // Only the error code is kept: the description is the provider's text, shown nowhere.
    throw new OidcFlowError('denied', `The provider answered "${error.slice(0, 64)}".`);
  }
  if (callbackUrl.searchParams.get('state') !== expected.state) {
    throw new OidcFlowError('invalid_state', 'The answer does not belong to this log-in.');
  }
  const configuration = await clients.configurationFor(expected.provider);
  let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
  try {
    tokens = await client.authorizationCodeGrant(configuration, callbackUrl, {
      pkceCodeVerifier: expected.codeVerifier,
      expectedState: expected.state,
      expectedNonce: expected.nonce,
      idTokenExpected: true,
      ...(expected.reauth ? { maxAge: REAUTHENTICATION_MAX_AGE_SECONDS } : {}),
    });
  } catch (cause) {
    const unreachable = cause instanceof TypeError || (cause as Error).name === 'TimeoutError';
    throw new OidcFlowError(
      unreachable ? 'unavailable' : 'rejected',
      unreachable ? 'The provider did not answer.' : 'The provider’s answer failed a check.',
      { cause },
    );
  }
  const idToken = tokens.claims();
  if (!idToken) throw new OidcFlowError('rejected', 'The provider sent no ID token.');
  let claims: Record<string, unknown> = { ...idToken };
  const lacksProfile =
    claims.email === undefined ||
    claims.given_name === undefined ||
    claims.family_name === undefined;
  if (lacksProfile && configuration.serverMetadata().userinfo_endpoint !== undefined) {
    try {
      // Many providers put only `sub` in the ID token; the rest comes from userinfo, for the
      // same subject (openid-client refuses a userinfo answer about anyone else).
      const userInfo = await client.fetchUserInfo(configuration, tokens.access_token, idToken.sub);
      claims = { ...userInfo, ...claims };
    } catch (cause) {
      throw new OidcFlowError('rejected', 'The provider’s profile could not be read.', { cause });
    }
  }
  return {
    provider: expected.provider,
    subject: idToken.sub,
    email: normaliseEmail(claims.email),
    emailVerified: claims.email_verified === true,
    firstName: claimText(claims.given_name, 100),
    surname: claimText(claims.family_name, 100),
  };
}

// --- Linked identities -------------------------------------------------------------------------

export interface LinkedUser {
  userId: string;
  status: UserStatus;
}

/** The member a provider's subject is linked to, if any. */
export async function findLinkedUser(
  db: DbExecutor,
  provider: string,
  subject: string,
): Promise<LinkedUser | null> {
  const row = await tablesOf<AccountsTables>(db)
    .selectFrom('accounts_identities')
    .innerJoin('accounts_users', 'accounts_users.id', 'accounts_identities.user_id')
    .select(['accounts_users.id', 'accounts_users.status'])
    .where('accounts_identities.provider', '=', provider)
    .where('accounts_identities.provider_subject', '=', subject)
    .executeTakeFirst();
  return row ? { userId: row.id, status: row.status } : null;
}

export interface AccountByEmail {
  id: string;
  status: UserStatus;
  passwordHash: string | null;
}

export async function findAccountByEmail(
  db: DbExecutor,
  email: string,
): Promise<AccountByEmail | null> {
  const row = await tablesOf<AccountsTables>(db)
    .selectFrom('accounts_users')
    .select(['id', 'status', 'password_hash'])
    .where('email', '=', email.trim().toLowerCase())
    .executeTakeFirst();
  return row ? { id: row.id, status: row.status, passwordHash: row.password_hash } : null;
}

/** The providers a member can log in with, in the order they were linked. */
export async function listLinkedProviders(db: DbExecutor, userId: string): Promise<string[]> {
  const rows = await tablesOf<AccountsTables>(db)
    .selectFrom('accounts_identities')
    .select('provider')
    .where('user_id', '=', userId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map((row) => row.provider);
}

/**
 * Links a provider's subject to a member, with its audit entry; pass a transaction. The unique
 * (provider, subject) constraint makes a second, concurrent link of the same identity fail
 * rather than point at two members.
 */
export async function linkIdentity(
  db: DbExecutor,
  userId: string,
  identity: ProviderIdentity,
): Promise<void> {
  const now = nowTime();
  await tablesOf<AccountsTables>(db)
    .insertInto('accounts_identities')
    .values({
      id: newId(),
      user_id: userId,
      provider: identity.provider,
      provider_subject: identity.subject,
      email: identity.email,
      created_at: now,
      last_used_at: now,
    })
    .execute();
  await appendAudit(db, {
    action: 'accounts.identity.linked',
    actorId: userId,
    subjectId: userId,
  });
}

/** A log-in through a linked identity: the identity's and the account's last use. */
export async function recordSocialLogin(
  db: DbExecutor,
  userId: string,
  identity: ProviderIdentity,
): Promise<void> {
  const now = nowTime();
  const accounts = tablesOf<AccountsTables>(db);
  await accounts
    .updateTable('accounts_identities')
    .set({ last_used_at: now, email: identity.email })
    .where('provider', '=', identity.provider)
    .where('provider_subject', '=', identity.subject)
    .execute();
  await accounts
    .updateTable('accounts_users')
    .set({ last_login_at: now, last_active_at: now })
    .where('id', '=', userId)
    .execute();
}

/** The email address was taken by another account while the person completed the form. */
export class EmailTakenError extends Error {
  constructor() {
    super('An account with this email address already exists.');
    this.name = 'EmailTakenError';
  }
}

export interface NewSocialMember {
  identity: ProviderIdentity & { email: string };
  firstName: string;
  surname: string;
  locationId: string;
  /** Checked already (`parseNewsletterForm`); each subscription is a consent event. */
  newsletters: NewsletterPreferences;
  issuer: ReceiptIssuer;
  timeZone: string;
}

const USERNAME_ATTEMPTS = 3;

/**
 * Creates an account for a person who joins through a provider, linked to that identity, in
 * one transaction with the newsletter subscriptions chosen, as registration does (P02, P03).
 * No password is set: the member logs in with the provider (and can set a
 * password later through a reset). The email counts as verified, because only a verified
 * provider email reaches this point.
 *
 * The username is made from the names as registration makes it; a concurrent registration may
 * take it between the check and the insert, so a clash on it is retried.
 */
export async function createMemberFromIdentity(
  db: DbExecutor,
  input: NewSocialMember,
): Promise<string> {
  for (let attempt = 1; ; attempt += 1) {
    let userId = '';
    try {
      await db.transaction().execute(async (trx) => {
        const now = new Date();
        ({ id: userId } = await insertAccount(trx, {
          email: input.identity.email,
          firstName: input.firstName,
          surname: input.surname,
          locationId: input.locationId,
          passwordHash: null,
          emailVerifiedAt: now,
          lastLoginAt: now,
          now,
        }));
        await linkIdentity(trx, userId, input.identity);
        const noticeVersion = await currentNoticeVersion(trx);
        // Consent events cite the notice shown; it is published at boot, so this is a start-up race.
        if (noticeVersion === null) {
          throw new AppError(
            'service_unavailable',
            'Hearth is starting up. Please try again shortly.',
          );
        }
        await applyNewsletterPreferences(trx, userId, input.newsletters, {
          method: 'form',
          noticeVersion,
          issuer: input.issuer,
          timeZone: input.timeZone,
        });
        await appendAudit(trx, {
          action: 'accounts.registered.social',
          actorId: userId,
          subjectId: userId,
        });
      });
      return userId;
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      if ((await findAccountByEmail(db, input.identity.email)) !== null)
        throw new EmailTakenError();
      if ((await findLinkedUser(db, input.identity.provider, input.identity.subject)) !== null) {
        // The same identity completed in another tab a moment ago: that account is the one.
        throw new EmailTakenError();
      }
      if (attempt >= USERNAME_ATTEMPTS) throw error;
    }
  }
}
