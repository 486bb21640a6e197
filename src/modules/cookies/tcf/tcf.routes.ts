/**
 * `GET /cookies/tc-data`: the TC data the `__tcfapi` script serves, for the visitor's current
 * choice. The TC string is encoded here and every field is read back from it (decoded with
 * @iabtcf/core), so what the page tells vendors is exactly what the string says.
 *
 * The cookie platform registers this plugin inside its own and passes `choiceOf`, which reads
 * the choice in force (after Global Privacy Control). Registered without it, the route falls
 * back to the `euconsent-v2` cookie the platform sets with each choice.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { GVL } from '@iabtcf/core';
import { AppError } from '../../../platform/http/errors.js';
import { TCF_COOKIE, type CookieChoices } from './tcf.choices.js';
import {
  currentGvl,
  describeTcString,
  encodeWithGvl,
  type TcStringContents,
} from './tcf.encode.js';
import { tcfSettings, type TcfSettings } from './tcf.settings.js';

export const TC_DATA_PATH = '/cookies/tc-data';

/** TCF v2.2 purposes and special features, numbered from 1 (Policy Appendix A). */
const PURPOSE_IDS = Array.from({ length: 11 }, (_, index) => index + 1);
const SPECIAL_FEATURE_IDS = [1, 2];

export interface TcfRoutesOptions {
  /** The visitor's choice in force, or null before a choice (or once it lapsed). */
  choiceOf?: (
    request: FastifyRequest,
    reply: FastifyReply,
  ) => Promise<CookieChoices | null> | CookieChoices | null;
}

/** The body of `GET /cookies/tc-data` (the fields of CMP API v2.2 TCData the server knows). */
export interface TcDataResponse {
  tcString: string;
  /** False before the visitor chose: the banner is showing (`cmpuishown`). */
  hasChoice: boolean;
  gdprApplies: true;
  cmpId: number;
  cmpVersion: number;
  tcfPolicyVersion: number;
  gvlVersion: number;
  isServiceSpecific: boolean;
  useNonStandardTexts: boolean;
  publisherCC: string;
  purposeOneTreatment: boolean;
  purpose: { consents: Record<string, boolean>; legitimateInterests: Record<string, boolean> };
  vendor: {
    consents: Record<string, boolean>;
    legitimateInterests: Record<string, boolean>;
    disclosedVendors: Record<string, boolean>;
  };
  specialFeatureOptins: Record<string, boolean>;
}

function flags(keys: readonly number[], set: readonly number[]): Record<string, boolean> {
  const on = new Set(set);
  return Object.fromEntries(keys.map((id) => [String(id), on.has(id)]));
}

export function presentTcData(
  tcString: string,
  contents: TcStringContents,
  hasChoice: boolean,
): TcDataResponse {
  const vendorIds = contents.vendorsDisclosed;
  return {
    tcString,
    hasChoice,
    gdprApplies: true,
    cmpId: contents.cmpId,
    cmpVersion: contents.cmpVersion,
    tcfPolicyVersion: contents.tcfPolicyVersion,
    gvlVersion: contents.vendorListVersion,
    isServiceSpecific: contents.isServiceSpecific,
    useNonStandardTexts: contents.useNonStandardTexts,
    publisherCC: contents.publisherCountryCode,
    purposeOneTreatment: contents.purposeOneTreatment,
    purpose: {
      consents: flags(PURPOSE_IDS, contents.purposeConsents),
      legitimateInterests: flags(PURPOSE_IDS, contents.purposeLegitimateInterests),
    },
    vendor: {
      consents: flags(vendorIds, contents.vendorConsents),
      legitimateInterests: flags(vendorIds, contents.vendorLegitimateInterests),
      disclosedVendors: flags(vendorIds, vendorIds),
    },
    specialFeatureOptins: flags(SPECIAL_FEATURE_IDS, contents.specialFeatureOptins),
  };
}

/** The TC string in the visitor's `euconsent-v2` cookie, when it is one of ours and readable. */
function tcStringFromCookie(
  request: FastifyRequest,
  settings: TcfSettings,
): { tcString: string; contents: TcStringContents } | null {
  const value = request.cookies[TCF_COOKIE];
  if (!value || value.length > 8192 || !/^[A-Za-z0-9_.-]+$/.test(value)) return null;
  try {
    const contents = describeTcString(value);
    return contents.cmpId === settings.cmpId ? { tcString: value, contents } : null;
  } catch {
    return null;
  }
}

function encodeAndDescribe(gvl: GVL, settings: TcfSettings, choices: CookieChoices) {
  const tcString = encodeWithGvl(gvl, settings, choices);
  return { tcString, contents: describeTcString(tcString) };
}

export const tcfRoutes: FastifyPluginAsync<TcfRoutesOptions> = (app, options) => {
  // Worked out at boot, so that a partner registry the TCF cannot use stops the start.
  const settings = tcfSettings(app);
  if (settings) {
    if (settings.vendors.length === 0) {
      app.log.warn(
        'TCF is on but no partner names a gvlVendorId: TC strings will carry purposes only',
      );
    }
    // Fetch the vendor list once the app is up, so that a wrong TCF_GVL_URL shows in the log
    // at start rather than at the first visit. Failures are logged by the cache and retried on use.
    app.addHook('onReady', (done) => {
      currentGvl(app, settings).catch(() => {});
      done();
    });
  }

  app.get(TC_DATA_PATH, async (request, reply) => {
    if (!settings) throw new AppError('not_found', 'TCF is off on this site.');
    const gvl = await currentGvl(app, settings);
    let encoded: { tcString: string; contents: TcStringContents } | null;
    if (options.choiceOf) {
      const choices = await options.choiceOf(request, reply);
      encoded = choices ? encodeAndDescribe(gvl, settings, choices) : null;
    } else {
      encoded = tcStringFromCookie(request, settings);
    }
    const hasChoice = encoded !== null;
    // Before a choice nothing is allowed: the string says so while the banner asks.
    encoded ??= encodeAndDescribe(gvl, settings, { purposes: [], partners: [], at: new Date() });
    reply.header('cache-control', 'no-store');
    return presentTcData(encoded.tcString, encoded.contents, hasChoice);
  });
  return Promise.resolve();
};
