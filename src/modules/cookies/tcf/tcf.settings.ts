/**
 * The TCF settings of one app: the validated configuration (TCF_* keys) joined with the partners
 * in use (the registry, with the demo ad partner only under DEMO_ADS), where a partner taking part in the TCF names its Global Vendor List id
 * (`gvlVendorId`). Worked out once per app; null when TCF_CMP_ID is not set (TCF off).
 */
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Config, TcfConfig } from '../../../config/config.js';
import { partnersInUse, type Partner } from '../../../privacy/partners.js';

/** A partner that is a TCF vendor. */
export interface TcfVendor {
  partnerId: string;
  /** Its id in the Global Vendor List. */
  vendorId: number;
  /** The Hearth purposes it receives data for (from the partner registry). */
  purposes: readonly string[];
}

export interface TcfSettings {
  cmpId: number;
  cmpVersion: number;
  /** Upper-case ISO 3166-1 alpha-2 code of the publisher's country. */
  publisherCountryCode: string;
  /** Hearth purpose → TCF purpose ids (1–11). */
  purposeMap: Readonly<Record<string, readonly number[]>>;
  /** The configured vendors, by ascending vendor id: the disclosed-vendors segment. */
  vendors: readonly TcfVendor[];
  gvlUrl: string;
  gvlRefreshMs: number;
  /** Where the last good vendor list is kept between restarts (under DATA_DIR). */
  gvlCacheFile: string;
}

export class TcfSettingsError extends Error {
  constructor(message: string) {
    super(`TCF: ${message}`);
    this.name = 'TcfSettingsError';
  }
}

/**
 * Joins the configuration with the partners. Two partners with one vendor id would make the
 * vendor's consent bit mean two different things, so that stops the boot.
 */
export function buildTcfSettings(
  config: TcfConfig,
  dataDir: string,
  partners: readonly Partner[],
): TcfSettings {
  const vendors: TcfVendor[] = [];
  const owners = new Map<number, string>();
  for (const partner of partners) {
    // Read defensively: the field is optional in the registry.
    const vendorId: unknown = partner.gvlVendorId;
    if (vendorId === undefined) continue;
    if (typeof vendorId !== 'number' || !Number.isInteger(vendorId) || vendorId < 1) {
      throw new TcfSettingsError(`partner "${partner.id}" has an invalid gvlVendorId`);
    }
    const owner = owners.get(vendorId);
    if (owner !== undefined) {
      throw new TcfSettingsError(
        `partners "${owner}" and "${partner.id}" both claim GVL vendor id ${vendorId}`,
      );
    }
    owners.set(vendorId, partner.id);
    vendors.push({ partnerId: partner.id, vendorId, purposes: [...partner.purposes] });
  }
  vendors.sort((a, b) => a.vendorId - b.vendorId);
  return {
    cmpId: config.cmpId,
    cmpVersion: config.cmpVersion,
    publisherCountryCode: config.publisherCountryCode,
    purposeMap: config.purposeMap,
    vendors,
    gvlUrl: config.gvlUrl,
    gvlRefreshMs: config.gvlRefreshMs,
    gvlCacheFile: path.join(dataDir, 'tcf', 'vendor-list.json'),
  };
}

// Keyed by the app's configuration object: every encapsulated context of one app shares it,
// and each app (tests build many in one process) has its own.
const settingsByConfig = new WeakMap<Config, TcfSettings | null>();

/** The app's TCF settings, or null when TCF is off (no TCF_CMP_ID). */
export function tcfSettings(app: FastifyInstance): TcfSettings | null {
  const config = app.config;
  if (!settingsByConfig.has(config)) {
    settingsByConfig.set(
      config,
      config.tcf === null
        ? null
        : buildTcfSettings(config.tcf, config.dataDir, partnersInUse(config)),
    );
  }
  return settingsByConfig.get(config) ?? null;
}
