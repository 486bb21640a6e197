/**
 * Encoding the TC string on the server (browsers get it ready-made, which keeps the client
 * script tiny). The string says exactly what the visitor chose, mapped to TCF terms:
 *
 * - purpose consents: the TCF purposes that the allowed Hearth purposes map to (TCF_PURPOSE_MAP);
 * - vendor consents: the GVL vendors whose partner the visitor allowed AND for at least one of
 *   whose mapped purposes the visitor gave consent (a vendor allowed for nothing gets no bit);
 * - disclosed vendors: every configured vendor present in the vendor list, consented or not
 *   (mandatory since TCF v2.3, and what the visitor was shown);
 * - legitimate interest: never. Hearth establishes no legitimate interest through the TCF, and
 *   the v2.2 policy forbids it for purposes 3 to 6 in any case; no special feature is opted in.
 */
import { GVL, Segment, TCModel, TCString, type VendorList } from '@iabtcf/core';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../../../config/config.js';
import type { CookieChoices } from './tcf.choices.js';
import { VendorListCache, type LoadedVendorList } from './tcf.gvl.js';
import { tcfSettings, type TcfSettings } from './tcf.settings.js';

/**
 * Hearth shows one consent interface (the banner and /cookies record the same choices), so
 * the CMP-specific screen number is always 1.
 */
export const CONSENT_SCREEN = 1;

/** Purposes whose legitimate-interest bit the TCF v2.2 policy forbids. */
const NO_LEGITIMATE_INTEREST_PURPOSES = [3, 4, 5, 6] as const;

/** The TCF purposes the allowed Hearth purposes map to, ascending. */
export function tcfPurposesFor(settings: TcfSettings, choices: CookieChoices): number[] {
  const allowed = new Set(choices.purposes);
  const ids = new Set<number>();
  for (const [purpose, mapped] of Object.entries(settings.purposeMap)) {
    if (allowed.has(purpose)) for (const id of mapped) ids.add(id);
  }
  return [...ids].sort((a, b) => a - b);
}

/** The vendor ids that get a consent bit for this choice, ascending. */
export function consentedVendorsFor(settings: TcfSettings, choices: CookieChoices): number[] {
  const allowedPartners = new Set(choices.partners);
  const allowedPurposes = new Set(choices.purposes);
  return settings.vendors
    .filter(
      (vendor) =>
        allowedPartners.has(vendor.partnerId) &&
        vendor.purposes.some(
          (purpose) => allowedPurposes.has(purpose) && Object.hasOwn(settings.purposeMap, purpose),
        ),
    )
    .map((vendor) => vendor.vendorId);
}

/**
 * A GVL holding only the configured vendors that the list knows and has not deleted: the
 * encoder discloses every vendor of the GVL it is given, and a small GVL is cheap to clone
 * (the encoder clones it for every string).
 */
export function narrowedGvl(vendorList: VendorList, settings: TcfSettings): GVL {
  const vendors: VendorList['vendors'] = {};
  for (const { vendorId } of settings.vendors) {
    const vendor = vendorList.vendors[String(vendorId)];
    if (vendor && !vendor.deletedDate) vendors[String(vendorId)] = vendor;
  }
  const gvl = new GVL({ ...vendorList, vendors });
  // The library also keeps every list it sees in a process-wide cache we never read.
  GVL.emptyCache();
  return gvl;
}

/** UTC midnight of the day: the TC string's timestamps need no finer grain than the day. */
function startOfDay(at: Date): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
}

export function encodeWithGvl(gvl: GVL, settings: TcfSettings, choices: CookieChoices): string {
  const model = new TCModel(gvl);
  model.cmpId = settings.cmpId;
  model.cmpVersion = settings.cmpVersion;
  model.consentScreen = CONSENT_SCREEN;
  model.publisherCountryCode = settings.publisherCountryCode;
  // Global and group scopes are retired: every string is specific to this service.
  model.isServiceSpecific = true;
  model.useNonStandardStacks = false;
  model.purposeOneTreatment = false;
  model.created = startOfDay(choices.at);
  model.lastUpdated = startOfDay(choices.at);
  model.purposeConsents.set(tcfPurposesFor(settings, choices));
  model.vendorConsents.set(
    consentedVendorsFor(settings, choices).filter((id) => gvl.vendors[String(id)] !== undefined),
  );
  // Nothing sets a legitimate-interest bit; this states the policy's rule where it applies.
  model.purposeLegitimateInterests.unset([...NO_LEGITIMATE_INTEREST_PURPOSES]);
  // The core string and the disclosed vendors. No publisher segment: Hearth declares no
  // purposes of its own through the TCF.
  return TCString.encode(model, { segments: [Segment.CORE, Segment.VENDORS_DISCLOSED] });
}

const vendorListCaches = new WeakMap<Config, VendorListCache>();
const gvlByList = new WeakMap<LoadedVendorList, GVL>();

function vendorListCacheFor(app: FastifyInstance, settings: TcfSettings): VendorListCache {
  let cache = vendorListCaches.get(app.config);
  if (!cache) {
    cache = new VendorListCache({
      url: settings.gvlUrl,
      cacheFile: settings.gvlCacheFile,
      refreshMs: settings.gvlRefreshMs,
      log: app.log,
    });
    vendorListCaches.set(app.config, cache);
  }
  return cache;
}

/** The GVL to encode against: the current vendor list, narrowed to the configured vendors. */
export async function currentGvl(app: FastifyInstance, settings: TcfSettings): Promise<GVL> {
  const loaded = await vendorListCacheFor(app, settings).get();
  let gvl = gvlByList.get(loaded);
  if (!gvl) {
    gvl = narrowedGvl(loaded.vendorList, settings);
    gvlByList.set(loaded, gvl);
    const missing = settings.vendors.filter(({ vendorId }) => !gvl?.vendors[String(vendorId)]);
    if (missing.length > 0) {
      app.log.warn(
        { vendors: missing.map(({ partnerId, vendorId }) => `${partnerId}=${vendorId}`) },
        'TCF: partners whose GVL vendor id is not (or no longer) in vendor list %d',
        loaded.vendorList.vendorListVersion,
      );
    }
  }
  return gvl;
}

/** The `euconsent-v2` string for a choice. Only callable while TCF is on. */
export async function encodeTcString(
  app: FastifyInstance,
  choices: CookieChoices,
): Promise<string> {
  const settings = tcfSettings(app);
  if (!settings) throw new Error('encodeTcString: TCF is off (TCF_CMP_ID is not set)');
  return encodeWithGvl(await currentGvl(app, settings), settings, choices);
}

/** What a TC string says, as plain lists (ids ascending). */
export interface TcStringContents {
  cmpId: number;
  cmpVersion: number;
  consentScreen: number;
  consentLanguage: string;
  vendorListVersion: number;
  tcfPolicyVersion: number;
  isServiceSpecific: boolean;
  useNonStandardTexts: boolean;
  purposeOneTreatment: boolean;
  publisherCountryCode: string;
  created: Date;
  lastUpdated: Date;
  purposeConsents: number[];
  purposeLegitimateInterests: number[];
  specialFeatureOptins: number[];
  vendorConsents: number[];
  vendorLegitimateInterests: number[];
  vendorsDisclosed: number[];
}

function ids(vector: Iterable<[number, boolean]>): number[] {
  const set: number[] = [];
  for (const [id, isSet] of vector) if (isSet) set.push(id);
  return set.sort((a, b) => a - b);
}

/** Decodes a TC string with @iabtcf/core; throws on a malformed string. */
export function describeTcString(tcString: string): TcStringContents {
  const model = TCString.decode(tcString);
  return {
    cmpId: Number(model.cmpId),
    cmpVersion: Number(model.cmpVersion),
    consentScreen: Number(model.consentScreen),
    consentLanguage: model.consentLanguage,
    vendorListVersion: Number(model.vendorListVersion),
    tcfPolicyVersion: Number(model.policyVersion),
    isServiceSpecific: model.isServiceSpecific,
    useNonStandardTexts: model.useNonStandardStacks,
    purposeOneTreatment: model.purposeOneTreatment,
    publisherCountryCode: model.publisherCountryCode,
    created: model.created,
    lastUpdated: model.lastUpdated,
    purposeConsents: ids(model.purposeConsents),
    purposeLegitimateInterests: ids(model.purposeLegitimateInterests),
    specialFeatureOptins: ids(model.specialFeatureOptins),
    vendorConsents: ids(model.vendorConsents),
    vendorLegitimateInterests: ids(model.vendorLegitimateInterests),
    vendorsDisclosed: ids(model.vendorsDisclosed),
  };
}
