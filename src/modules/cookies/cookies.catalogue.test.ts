import { describe, expect, it } from 'vitest';
import { browserPartners, partnersInUse } from '../../privacy/partners.js';
import { PURPOSES } from '../../privacy/purposes.js';
import {
  buildCookieCatalogue,
  COOKIE_PURPOSE_KEYS,
  cookiePurposesOf,
  GPC_PURPOSE_KEYS,
} from './cookies.catalogue.js';

describe('the cookie settings catalogue', () => {
  it('P26 offers only consent purposes, so the ledger records every switch', () => {
    const catalogue = buildCookieCatalogue();
    expect(catalogue.purposes.map((purpose) => purpose.key)).toEqual([
      'analytics',
      'advertising-cookies',
      'personalised-advertising',
    ]);
    for (const purpose of catalogue.purposes) expect(purpose.isConsentBased).toBe(true);
    // Contextual adverts store nothing on the device: no switch, and no consent asked.
    expect(COOKIE_PURPOSE_KEYS).not.toContain('advertising');
    expect(PURPOSES.advertising.isConsentBased).toBe(false);
  });

  it('P26 lets Global Privacy Control switch off advertising partners and personalised advertising', () => {
    expect([...GPC_PURPOSE_KEYS]).toEqual(['advertising-cookies', 'personalised-advertising']);
  });

  it('P28 offers each advertising partner for the advertising consent purposes', () => {
    const catalogue = buildCookieCatalogue();
    for (const id of ['ad-network', 'demo-ads']) {
      const partner = catalogue.partners.find((each) => each.id === id);
      expect(partner && cookiePurposesOf(partner)).toEqual([
        'advertising-cookies',
        'personalised-advertising',
      ]);
    }
  });

  it('P40 leaves the demo partner out without DEMO_ADS, under another version', () => {
    const withDemo = buildCookieCatalogue(browserPartners(partnersInUse({ demoAds: true })));
    const without = buildCookieCatalogue(browserPartners(partnersInUse({ demoAds: false })));
    expect(without.partners.map((partner) => partner.id)).toEqual(['web-analytics', 'ad-network']);
    expect(withDemo.partners.map((partner) => partner.id)).toContain('demo-ads');
    expect(without.version).not.toBe(withDemo.version);
  });
});
