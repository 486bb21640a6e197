/**
 * One validated configuration, read once at boot from the environment (STYLE.md point 11).
 * Every key is documented in the README's configuration table. An invalid value stops the
 * boot with a message naming the key, so an operator never runs on a half-understood setting.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { isPurposeKey, PURPOSES } from '../privacy/purposes.js';

export type DatabaseConfig =
  { dialect: 'sqlite'; file: string } | { dialect: 'postgres'; url: string; poolSize: number };

export interface RateLimitConfig {
  /** Requests allowed per window for one client on ordinary routes. */
  max: number;
  /** Window length in milliseconds. */
  windowMs: number;
  /** Stricter budget for sensitive routes (login, registration, reset). */
  sensitiveMax: number;
}

/** One social log-in provider (OpenID Connect), from `OIDC_PROVIDERS` and `OIDC_<NAME>_*`. */
export interface OidcProviderConfig {
  /** Lower-case letters and digits; in URLs (`/auth/oidc/<name>`) and in linked identities. */
  name: string;
  /** The issuer identifier; its discovery document is fetched at first use, not at boot. */
  issuer: string;
  clientId: string;
  /** Null for a public client, which then relies on PKCE alone. */
  clientSecret: string | null;
  /** The button text: "Log in with <label>". */
  label: string;
}

/**
 * IAB TCF v2.2 (DESIGN.md §5.9), on only when the operator sets a registered CMP id. Partners'
 * GVL vendor ids come from the partner registry (`gvlVendorId`), not from here.
 */
export interface TcfConfig {
  /** The CMP id IAB Europe registered for this deployment (TCF_CMP_ID). */
  cmpId: number;
  cmpVersion: number;
  /** Hearth purpose → the TCF purpose ids (1–11) it covers, from TCF_PURPOSE_MAP. */
  purposeMap: Readonly<Record<string, readonly number[]>>;
  /** Where the server fetches the Global Vendor List: an http(s) or file: URL. */
  gvlUrl: string;
  /** How long a fetched vendor list is used before it is fetched again. */
  gvlRefreshMs: number;
  /** ISO 3166-1 alpha-2 country of the publisher (TCF_PUBLISHER_CC), upper case. */
  publisherCountryCode: string;
}

export interface Config {
  host: string;
  port: number;
  publicUrl: string;
  /** True when PUBLIC_URL is https: cookies are then marked Secure. */
  secureCookies: boolean;
  dataDir: string;
  database: DatabaseConfig;
  smtpUrl: string | null;
  dkim: { domainName: string; keySelector: string; privateKey: string } | null;
  mailFrom: string;
  redisUrl: string | null;
  timezone: string;
  trustProxy: boolean;
  /** SECRET_KEY from the environment; when null one is generated once and kept in the database. */
  secretKey: string | null;
  logIp: boolean;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  rateLimit: RateLimitConfig;
  /** Run the job worker inside `serve` (default true); `hearth worker` runs it alone. */
  workerInServe: boolean;
  /** Milliseconds a stopping process waits for in-flight requests and jobs. */
  shutdownTimeoutMs: number;
  sessionTtlDays: number;
  oidcProviders: readonly OidcProviderConfig[];
  /** Null when TCF_CMP_ID is not set: TCF is off. */
  tcf: TcfConfig | null;
  /**
   * The built-in demonstration ad partner (`demo-ads` in partners.json) runs: its routes, tag
   * and switch in the cookie settings. Off by default, so a fresh install shows no demo adverts.
   */
  demoAds: boolean;
  /**
   * Megabytes of rendered thread pages the forum keeps for visitors who are not logged in;
   * 0 renders every page afresh.
   */
  forumPageCacheMb: number;
}

export class ConfigError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(`Invalid configuration ${key}: ${message}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function readString(env: Env, key: string, fallback: string): string {
  const value = env[key];
  return value === undefined || value === '' ? fallback : value;
}

function readOptional(env: Env, key: string): string | null {
  const value = env[key];
  return value === undefined || value === '' ? null : value;
}

function readInt(env: Env, key: string, fallback: number, min: number, max: number): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(key, `expected a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) {
    throw new ConfigError(key, `expected a number from ${min} to ${max}, got ${value}`);
  }
  return value;
}

function readBool(env: Env, key: string, fallback: boolean): boolean {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  if (['true', '1', 'yes'].includes(raw.toLowerCase())) return true;
  if (['false', '0', 'no'].includes(raw.toLowerCase())) return false;
  throw new ConfigError(key, `expected true or false, got "${raw}"`);
}

function readUrl(key: string, raw: string, protocols: string[]): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(key, `"${raw}" is not a URL`);
  }
  if (!protocols.includes(url.protocol)) {
    throw new ConfigError(key, `expected a ${protocols.join(' or ')} URL, got "${url.protocol}"`);
  }
  return url;
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** True for addresses that never leave the machine, where plain http is safe enough. */
function isLoopbackHostname(hostname: string): boolean {
  return hostname === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(hostname) || hostname === '[::1]';
}

/**
 * Social log-in providers. Names are lower-case letters and digits so that each maps to one
 * set of `OIDC_<NAME>_*` keys without ambiguity. An issuer must be https: the ID token's keys
 * and the token exchange travel over it. Plain http is accepted on loopback only (development
 * and tests, where the provider runs on the same machine).
 */
function readOidcProviders(env: Env): OidcProviderConfig[] {
  const list = readOptional(env, 'OIDC_PROVIDERS');
  if (list === null) return [];
  const names = list
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '');
  const providers: OidcProviderConfig[] = [];
  for (const name of names) {
    if (!/^[a-z][a-z0-9]{0,31}$/.test(name)) {
      throw new ConfigError(
        'OIDC_PROVIDERS',
        `"${name}" is not a provider name: use letters and digits, starting with a letter`,
      );
    }
    // Social log-in serves its own pages beside each provider's routes, under these names.
    if (name === 'link' || name === 'complete') {
      throw new ConfigError('OIDC_PROVIDERS', `"${name}" is reserved: choose another name`);
    }
    if (providers.some((provider) => provider.name === name)) {
      throw new ConfigError('OIDC_PROVIDERS', `"${name}" is listed twice`);
    }
    const prefix = `OIDC_${name.toUpperCase()}_`;
    const required = (suffix: string): string => {
      const value = readOptional(env, prefix + suffix);
      if (value === null) {
        throw new ConfigError(
          prefix + suffix,
          `is required because OIDC_PROVIDERS lists "${name}"`,
        );
      }
      return value;
    };
    const issuerUrl = readUrl(`${prefix}ISSUER`, required('ISSUER'), ['https:', 'http:']);
    if (issuerUrl.protocol === 'http:' && !isLoopbackHostname(issuerUrl.hostname)) {
      throw new ConfigError(`${prefix}ISSUER`, 'must be https (http is allowed on loopback only)');
    }
    providers.push({
      name,
      // Kept as written: the issuer must match the `iss` of the provider's tokens exactly.
      issuer: required('ISSUER'),
      clientId: required('CLIENT_ID'),
      clientSecret: readOptional(env, `${prefix}CLIENT_SECRET`),
      label: readString(env, `${prefix}LABEL`, name.charAt(0).toUpperCase() + name.slice(1)),
    });
  }
  return providers;
}

/** The purposes of TCF v2.2 (Policy Appendix A): ids 1 to 11. */
const TCF_PURPOSE_COUNT = 11;

/**
 * `TCF_PURPOSE_MAP`: `<hearth purpose>:<tcf ids>` entries separated by `;`, ids by `,`, e.g.
 * `advertising-cookies:1,2,7;personalised-advertising:3,4;analytics:1,8,9,10`. Every name must be
 * a consent purpose of the catalogue, so a typo cannot silently leave a purpose out of the TC
 * string.
 */
function readTcfPurposeMap(raw: string): Record<string, number[]> {
  const key = 'TCF_PURPOSE_MAP';
  const map: Record<string, number[]> = {};
  const entries = raw
    .split(';')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries.length === 0) throw new ConfigError(key, 'names no purpose');
  for (const entry of entries) {
    const match = /^([a-z0-9-]+)\s*:\s*([\d\s,]+)$/.exec(entry);
    if (!match?.[1] || !match[2]) {
      throw new ConfigError(
        key,
        `"${entry}" is not "<purpose>:<ids>" (for example "advertising-cookies:1,2,7")`,
      );
    }
    const purpose = match[1];
    if (!isPurposeKey(purpose)) {
      throw new ConfigError(key, `"${purpose}" is not a Hearth purpose`);
    }
    // The TC string carries consent bits only: a purpose the visitor never consents to (one on
    // legitimate interests, such as contextual `advertising`) would never set them.
    if (!PURPOSES[purpose].isConsentBased) {
      throw new ConfigError(
        key,
        `"${purpose}" does not rest on consent, so no choice can set its TCF purposes; map a consent purpose instead (for example "advertising-cookies")`,
      );
    }
    if (Object.hasOwn(map, purpose)) throw new ConfigError(key, `"${purpose}" is listed twice`);
    const ids = match[2]
      .split(',')
      .map((id) => id.trim())
      .filter((id) => id !== '')
      .map(Number);
    if (ids.length === 0) throw new ConfigError(key, `"${purpose}" maps to no TCF purpose`);
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 1 || id > TCF_PURPOSE_COUNT) {
        throw new ConfigError(
          key,
          `"${purpose}" maps to ${id}, but TCF purposes are numbered 1 to ${TCF_PURPOSE_COUNT}`,
        );
      }
    }
    map[purpose] = [...new Set(ids)].sort((a, b) => a - b);
  }
  return map;
}

/**
 * `TCF_GVL_URL`: the vendor list is fetched by the server, never by browsers. https anywhere;
 * plain http only on loopback (a local mirror); a `file:` URL or an absolute path for an
 * operator who mirrors the list themselves (and for tests, which never touch the network).
 */
function readTcfGvlUrl(raw: string): string {
  const key = 'TCF_GVL_URL';
  if (path.isAbsolute(raw)) return pathToFileURL(raw).href;
  const url = readUrl(key, raw, ['https:', 'http:', 'file:']);
  if (url.protocol === 'http:' && !isLoopbackHostname(url.hostname)) {
    throw new ConfigError(key, 'must be https (http is allowed on loopback only)');
  }
  return url.href;
}

function readTcf(env: Env): TcfConfig | null {
  // Every TCF key is checked even while TCF is off, so that a mistake shows before the day
  // the operator sets the CMP id.
  const cmpVersion = readInt(env, 'TCF_CMP_VERSION', 1, 1, 4095);
  const mapRaw = readOptional(env, 'TCF_PURPOSE_MAP');
  const purposeMap = mapRaw === null ? null : readTcfPurposeMap(mapRaw);
  const gvlRaw = readOptional(env, 'TCF_GVL_URL');
  const gvlUrl = gvlRaw === null ? null : readTcfGvlUrl(gvlRaw);
  const gvlRefreshHours = readInt(env, 'TCF_GVL_REFRESH_HOURS', 24, 1, 24 * 30);
  const publisherCountryCode = readString(env, 'TCF_PUBLISHER_CC', 'GB').toUpperCase();
  if (!/^[A-Z]{2}$/.test(publisherCountryCode)) {
    throw new ConfigError(
      'TCF_PUBLISHER_CC',
      `expected a two-letter country code (ISO 3166-1 alpha-2), got "${publisherCountryCode}"`,
    );
  }
  if (readOptional(env, 'TCF_CMP_ID') === null) return null;
  // 12 bits in the TC string; ids 0 and 1 are never assigned to a CMP.
  const cmpId = readInt(env, 'TCF_CMP_ID', 0, 2, 4095);
  if (purposeMap === null) {
    throw new ConfigError('TCF_PURPOSE_MAP', 'is required because TCF_CMP_ID is set');
  }
  if (gvlUrl === null) {
    throw new ConfigError('TCF_GVL_URL', 'is required because TCF_CMP_ID is set');
  }
  return {
    cmpId,
    cmpVersion,
    purposeMap,
    gvlUrl,
    gvlRefreshMs: gvlRefreshHours * 3_600_000,
    publisherCountryCode,
  };
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export function loadConfig(env: Env = process.env): Config {
  const host = readString(env, 'HOST', '127.0.0.1');
  const port = readInt(env, 'PORT', 3000, 0, 65535);
  const publicUrlRaw = readString(env, 'PUBLIC_URL', `http://${host}:${port}`);
  const publicUrl = readUrl('PUBLIC_URL', publicUrlRaw, ['http:', 'https:']);
  const dataDir = path.resolve(readString(env, 'DATA_DIR', './data'));

  const databaseUrl = readOptional(env, 'DATABASE_URL');
  let database: DatabaseConfig;
  if (databaseUrl === null) {
    database = { dialect: 'sqlite', file: path.join(dataDir, 'hearth.sqlite') };
  } else if (databaseUrl.startsWith('sqlite:')) {
    const file = databaseUrl.slice('sqlite:'.length).replace(/^\/\//, '');
    if (file === '') throw new ConfigError('DATABASE_URL', 'sqlite: needs a file path');
    database = { dialect: 'sqlite', file: path.resolve(file) };
  } else {
    readUrl('DATABASE_URL', databaseUrl, ['postgres:', 'postgresql:']);
    database = {
      dialect: 'postgres',
      url: databaseUrl,
      poolSize: readInt(env, 'DATABASE_POOL_SIZE', 10, 1, 500),
    };
  }

  const smtpUrl = readOptional(env, 'SMTP_URL');
  if (smtpUrl !== null) readUrl('SMTP_URL', smtpUrl, ['smtp:', 'smtps:']);

  const dkimDomain = readOptional(env, 'DKIM_DOMAIN');
  const dkimSelector = readOptional(env, 'DKIM_SELECTOR');
  const dkimKey = readOptional(env, 'DKIM_PRIVATE_KEY');
  const dkimParts = [dkimDomain, dkimSelector, dkimKey].filter((part) => part !== null).length;
  if (dkimParts !== 0 && dkimParts !== 3) {
    throw new ConfigError(
      'DKIM_DOMAIN',
      'DKIM signing needs all three of DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY',
    );
  }
  if (dkimKey !== null && !dkimKey.includes('PRIVATE KEY')) {
    throw new ConfigError('DKIM_PRIVATE_KEY', 'expected a PEM-encoded private key');
  }

  const redisUrl = readOptional(env, 'REDIS_URL');
  if (redisUrl !== null) readUrl('REDIS_URL', redisUrl, ['redis:', 'rediss:']);

  const timezone = readString(env, 'TIMEZONE', 'Europe/London');
  if (!isTimeZone(timezone)) throw new ConfigError('TIMEZONE', `unknown time zone "${timezone}"`);

  const secretKey = readOptional(env, 'SECRET_KEY');
  if (secretKey !== null && secretKey.length < 32) {
    throw new ConfigError('SECRET_KEY', 'must be at least 32 characters');
  }

  const logLevel = readString(env, 'LOG_LEVEL', 'info');
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `expected one of ${LOG_LEVELS.join(', ')}`);
  }

  const mailFrom = readString(env, 'MAIL_FROM', `Hearth <no-reply@${publicUrl.hostname}>`);

  return {
    host,
    port,
    publicUrl: publicUrl.origin,
    secureCookies: publicUrl.protocol === 'https:',
    dataDir,
    database,
    smtpUrl,
    dkim:
      dkimDomain !== null && dkimSelector !== null && dkimKey !== null
        ? { domainName: dkimDomain, keySelector: dkimSelector, privateKey: dkimKey }
        : null,
    mailFrom,
    redisUrl,
    timezone,
    trustProxy: readBool(env, 'TRUST_PROXY', false),
    secretKey,
    logIp: readBool(env, 'LOG_IP', false),
    logLevel: logLevel as Config['logLevel'],
    rateLimit: {
      max: readInt(env, 'RATE_LIMIT_MAX', 300, 1, 10_000_000),
      windowMs: readInt(env, 'RATE_LIMIT_WINDOW_MS', 60_000, 1000, 86_400_000),
      sensitiveMax: readInt(env, 'RATE_LIMIT_SENSITIVE_MAX', 10, 1, 10_000_000),
    },
    workerInServe: readBool(env, 'WORKER_IN_SERVE', true),
    shutdownTimeoutMs: readInt(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
    sessionTtlDays: readInt(env, 'SESSION_TTL_DAYS', 30, 1, 365),
    oidcProviders: readOidcProviders(env),
    tcf: readTcf(env),
    demoAds: readBool(env, 'DEMO_ADS', false),
    forumPageCacheMb: readInt(env, 'FORUM_PAGE_CACHE_MB', 64, 0, 65_536),
  };
}
