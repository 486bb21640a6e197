/**
 * What the cookie settings offer: the optional purposes (from the purpose catalogue) and the
 * partners whose tags run in the browser (from the partner registry), and a short version of
 * that list. A stored choice names the version it was made against; when purposes or partners
 * change, the version changes and the banner asks again (the earlier choice was not informed
 * about what is new).
 */
import { createHash } from 'node:crypto';
import { browserPartners, type Partner } from '../../privacy/partners.js';
import { PURPOSES, isPurposeKey, type Purpose, type PurposeKey } from '../../privacy/purposes.js';

/**
 * Purposes for which something is stored on, or read from, the visitor's device: each needs
 * the visitor's agreement before any cookie or tag (PECR reg. 6), so each rests on consent and
 * every choice about it goes into the consent ledger. Contextual `advertising` (legitimate
 * interests) is not one: the page chooses those adverts, with no cookie and no partner tag.
 */
export const COOKIE_PURPOSE_KEYS: readonly PurposeKey[] = [
  'analytics',
  'advertising-cookies',
  'personalised-advertising',
];

/** The purposes Global Privacy Control switches off (it is a do-not-sell/share signal). */
export const GPC_PURPOSE_KEYS: readonly PurposeKey[] = [
  'advertising-cookies',
  'personalised-advertising',
];

export interface CookieCatalogue {
  purposes: readonly Purpose[];
  partners: readonly Partner[];
  /** 16 hex digits of a hash of the purposes and partners offered. */
  version: string;
}

/** The cookie purposes a partner serves. */
export function cookiePurposesOf(partner: Partner): PurposeKey[] {
  return COOKIE_PURPOSE_KEYS.filter((key) => partner.purposes.includes(key));
}

export function buildCookieCatalogue(
  partners: readonly Partner[] = browserPartners(),
): CookieCatalogue {
  const purposes = COOKIE_PURPOSE_KEYS.filter(isPurposeKey).map((key) => PURPOSES[key]);
  const offered = partners.filter((partner) => cookiePurposesOf(partner).length > 0);
  // What the visitor agreed to: the purposes, and each partner with its purposes and cookies.
  // Wording changes do not ask again; a new purpose, partner or cookie does.
  const material = {
    purposes: purposes.map((purpose) => [purpose.key, purpose.basis]),
    partners: offered.map((partner) => [
      partner.id,
      [...partner.purposes].sort(),
      (partner.cookies ?? []).map((cookie) => cookie.name).sort(),
    ]),
  };
  const version = createHash('sha256').update(JSON.stringify(material)).digest('hex').slice(0, 16);
  return { purposes, partners: offered, version };
}
