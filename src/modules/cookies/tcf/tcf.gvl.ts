/**
 * The Global Vendor List, fetched by the server and cached. The IAB asks CMPs not to make
 * browsers fetch it from the IAB, and the TC string must name the list version it was encoded
 * against, so the server keeps one checked copy: in memory, and in DATA_DIR so that a restart
 * does not depend on the list's host answering. A copy older than the refresh interval is
 * fetched again; if that fails, the last good copy keeps being used (and the failure logged)
 * rather than TCF stopping.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { VendorList } from '@iabtcf/core';
import type { FastifyBaseLogger } from 'fastify';
import { Type } from 'typebox';
import { Value } from 'typebox/value';
import { AppError } from '../../../platform/http/errors.js';

/** TCF v2.2 is policy version 4 (v2.3 kept it and later lists may raise it). */
export const MIN_TCF_POLICY_VERSION = 4;

/** The real list is a few megabytes; anything far larger is not a vendor list. */
const MAX_LIST_BYTES = 32 * 1024 * 1024;
const FETCH_TIMEOUT_MS = 15_000;
/** After a failed refresh, the stale copy is used this long before trying again. */
const RETRY_AFTER_FAILURE_MS = 15 * 60_000;
/** With no copy at all TCF is down, so the host is tried again sooner. */
const RETRY_WITHOUT_COPY_MS = 60_000;

const IdList = Type.Array(Type.Integer({ minimum: 1 }));
const NamedItems = Type.Record(
  Type.String({ pattern: '^[0-9]+$' }),
  Type.Object({ id: Type.Integer({ minimum: 1 }), name: Type.String() }),
);

/** What Hearth relies on in a GVL (v3 format); other fields are kept as they come. */
const VendorListSchema = Type.Object({
  gvlSpecificationVersion: Type.Integer({ minimum: 3 }),
  vendorListVersion: Type.Integer({ minimum: 1 }),
  tcfPolicyVersion: Type.Integer({ minimum: 1 }),
  lastUpdated: Type.String({ minLength: 1 }),
  purposes: NamedItems,
  specialPurposes: NamedItems,
  features: NamedItems,
  specialFeatures: NamedItems,
  vendors: Type.Record(
    Type.String({ pattern: '^[0-9]+$' }),
    Type.Object({
      id: Type.Integer({ minimum: 1 }),
      name: Type.String(),
      purposes: IdList,
      legIntPurposes: IdList,
      flexiblePurposes: IdList,
      specialPurposes: IdList,
      features: IdList,
      specialFeatures: IdList,
      deletedDate: Type.Optional(Type.String()),
    }),
  ),
});

export class VendorListError extends Error {
  constructor(source: string, message: string) {
    super(`Global Vendor List from ${source}: ${message}`);
    this.name = 'VendorListError';
  }
}

/** Parses and checks a vendor list; a list for a policy older than TCF v2.2 is refused. */
export function parseVendorList(text: string, source: string): VendorList {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new VendorListError(source, `not JSON (${(error as Error).message})`);
  }
  if (!Value.Check(VendorListSchema, parsed)) {
    const problems = [...Value.Errors(VendorListSchema, parsed)]
      .slice(0, 3)
      .map((error) => `${error.instancePath || '/'} ${error.message}`);
    throw new VendorListError(source, `not a v3 vendor list: ${problems.join('; ')}`);
  }
  if (parsed.tcfPolicyVersion < MIN_TCF_POLICY_VERSION) {
    throw new VendorListError(
      source,
      `policy version ${parsed.tcfPolicyVersion} is older than TCF v2.2 (${MIN_TCF_POLICY_VERSION})`,
    );
  }
  for (const [key, vendor] of Object.entries(parsed.vendors)) {
    if (String(vendor.id) !== key) {
      throw new VendorListError(source, `vendor ${key} carries the id ${vendor.id}`);
    }
  }
  return parsed as unknown as VendorList;
}

async function readResponseText(response: Response, source: string): Promise<string> {
  const length = Number(response.headers.get('content-length') ?? '0');
  if (length > MAX_LIST_BYTES) throw new VendorListError(source, 'the list is too large');
  const text = await response.text();
  if (Buffer.byteLength(text) > MAX_LIST_BYTES) {
    throw new VendorListError(source, 'the list is too large');
  }
  return text;
}

/** Reads the list from its URL: `file:` from disk, http(s) with a timeout. */
export async function downloadVendorList(url: string): Promise<VendorList> {
  if (url.startsWith('file:')) {
    const file = fileURLToPath(url);
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (error) {
      throw new VendorListError(url, `cannot read the file (${(error as Error).message})`);
    }
    return parseVendorList(text, url);
  }
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { accept: 'application/json' },
      redirect: 'follow',
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
  } catch (error) {
    throw new VendorListError(url, `cannot fetch (${(error as Error).message})`);
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new VendorListError(url, `answered HTTP ${response.status}`);
  }
  return parseVendorList(await readResponseText(response, url), url);
}

export interface LoadedVendorList {
  vendorList: VendorList;
  /** When this copy was fetched from TCF_GVL_URL. */
  fetchedAt: Date;
}

interface CacheFile {
  url: string;
  fetchedAt: string;
  vendorList: unknown;
}

export interface VendorListCacheOptions {
  url: string;
  cacheFile: string;
  refreshMs: number;
  log: FastifyBaseLogger;
  now?: () => Date;
}

/** TCF is configured but no vendor list could be had: the TC string cannot be encoded. */
export class VendorListUnavailableError extends AppError {
  constructor(cause: unknown) {
    super(
      'service_unavailable',
      'The IAB Global Vendor List is not available yet; try again later.',
      { cause },
    );
    this.name = 'VendorListUnavailableError';
  }
}

export class VendorListCache {
  private current: LoadedVendorList | null = null;
  private hasReadCacheFile = false;
  private refreshing: Promise<LoadedVendorList> | null = null;
  /** After a failure, no new attempt before this time (the stale copy is served). */
  private retryAt = 0;
  private lastError: unknown = null;
  private readonly now: () => Date;

  constructor(private readonly options: VendorListCacheOptions) {
    this.now = options.now ?? (() => new Date());
  }

  private isFresh(loaded: LoadedVendorList): boolean {
    return this.now().getTime() - loaded.fetchedAt.getTime() < this.options.refreshMs;
  }

  /** The current list: fresh, or stale while its host cannot be reached. */
  async get(): Promise<LoadedVendorList> {
    if (this.current && this.isFresh(this.current)) return this.current;
    if (this.now().getTime() < this.retryAt) {
      // The host failed a moment ago: no request waits on it again until the retry time.
      if (this.current) return this.current;
      throw new VendorListUnavailableError(this.lastError);
    }
    // One refresh at a time: concurrent requests wait for the same download.
    this.refreshing ??= this.refresh().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async refresh(): Promise<LoadedVendorList> {
    if (!this.hasReadCacheFile) {
      this.hasReadCacheFile = true;
      this.current = await this.readCacheFile();
      if (this.current && this.isFresh(this.current)) return this.current;
    }
    try {
      const vendorList = await downloadVendorList(this.options.url);
      const loaded = { vendorList, fetchedAt: this.now() };
      await this.writeCacheFile(loaded);
      this.current = loaded;
      this.retryAt = 0;
      return loaded;
    } catch (error) {
      this.lastError = error;
      const delay = this.current ? RETRY_AFTER_FAILURE_MS : RETRY_WITHOUT_COPY_MS;
      this.retryAt = this.now().getTime() + Math.min(delay, this.options.refreshMs);
      if (this.current) {
        this.options.log.warn(
          { err: error, vendorListVersion: this.current.vendorList.vendorListVersion },
          'TCF: could not refresh the Global Vendor List; using the copy from %s',
          this.current.fetchedAt.toISOString(),
        );
        return this.current;
      }
      this.options.log.error({ err: error }, 'TCF: no Global Vendor List available');
      throw new VendorListUnavailableError(error);
    }
  }

  /** The copy kept in DATA_DIR, if it is for the configured URL and still valid. */
  private async readCacheFile(): Promise<LoadedVendorList | null> {
    let text: string;
    try {
      text = await fs.readFile(this.options.cacheFile, 'utf8');
    } catch {
      return null;
    }
    try {
      const cached = JSON.parse(text) as Partial<CacheFile>;
      if (cached.url !== this.options.url || typeof cached.fetchedAt !== 'string') return null;
      const fetchedAt = new Date(cached.fetchedAt);
      if (Number.isNaN(fetchedAt.getTime())) return null;
      const vendorList = parseVendorList(JSON.stringify(cached.vendorList), this.options.cacheFile);
      return { vendorList, fetchedAt };
    } catch (error) {
      this.options.log.warn({ err: error }, 'TCF: ignoring an unreadable vendor list cache');
      return null;
    }
  }

  /** Written to a temporary file and renamed, so a crash never leaves half a list. */
  private async writeCacheFile(loaded: LoadedVendorList): Promise<void> {
    const file = this.options.cacheFile;
    const body: CacheFile = {
      url: this.options.url,
      fetchedAt: loaded.fetchedAt.toISOString(),
      vendorList: loaded.vendorList,
    };
    try {
      await fs.mkdir(path.dirname(file), { recursive: true });
      const temporary = `${file}.${process.pid}.tmp`;
      await fs.writeFile(temporary, JSON.stringify(body));
      await fs.rename(temporary, file);
    } catch (error) {
      // The list in memory still works; only a restart would have to fetch again.
      this.options.log.warn({ err: error }, 'TCF: could not write the vendor list cache');
    }
  }
}
