import { describe, expect, it } from 'vitest';
import { PURPOSE_KEYS } from './purposes.js';
import {
  DEMO_ADS_PARTNER_ID,
  PartnerRegistryError,
  browserPartners,
  isRestrictedTransfer,
  listPartners,
  loadPartners,
  parsePartners,
  partnersInUse,
  recipientsForPurpose,
  type Partner,
} from './partners.js';

const valid: Partner = {
  id: 'mailer',
  name: 'Mailer',
  role: 'processor',
  purposes: ['newsletter'],
  categories: ['user.contact.email'],
  country: 'US',
  safeguard: 'UK International Data Transfer Agreement (IDTA)',
  description: 'Sends email.',
};

describe('partner registry', () => {
  it('loads the shipped registry: known purposes, and a safeguard for every transfer', () => {
    const partners = loadPartners();
    expect(partners.length).toBeGreaterThanOrEqual(8);
    for (const partner of partners) {
      for (const purpose of partner.purposes) expect(PURPOSE_KEYS).toContain(purpose);
      if (isRestrictedTransfer(partner.country)) expect(partner.safeguard).toBeTruthy();
    }
    expect(listPartners()).toEqual(partners);
  });

  it('P47 the shipped registry names each kind of sub-processor the notice promises', () => {
    const ids = listPartners().map((partner) => partner.id);
    for (const id of [
      'web-analytics',
      'email-delivery',
      'community-moderation',
      'help-desk',
      'social-login',
      'survey-platform',
      'hosting',
    ]) {
      expect(ids).toContain(id);
    }
  });

  it('refuses a partner for an unknown purpose', () => {
    expect(() => parsePartners({ partners: [{ ...valid, purposes: ['nappy-sales'] }] })).toThrow(
      new PartnerRegistryError('partner "mailer" names unknown purpose "nappy-sales"'),
    );
  });

  it('P51 refuses a partner outside the UK and EEA without a transfer safeguard', () => {
    expect(() => parsePartners({ partners: [{ ...valid, safeguard: null }] })).toThrow(
      /outside the UK and EEA, and names no transfer safeguard/,
    );
    // Inside the EEA none is needed.
    expect(
      parsePartners({ partners: [{ ...valid, country: 'IE', safeguard: null }] }),
    ).toHaveLength(1);
  });

  it('refuses a malformed file, an unknown category and a repeated id', () => {
    expect(() =>
      parsePartners({ partners: [{ ...valid, categories: ['user.shoe-size'] }] }),
    ).toThrow(/not valid/);
    expect(() => parsePartners({ partners: [{ ...valid, country: 'USA' }] })).toThrow(/not valid/);
    expect(() => parsePartners({ partners: [valid, valid] })).toThrow(/used twice/);
    expect(() => parsePartners([])).toThrow(/not valid/);
  });

  it('lists the recipients of a purpose', () => {
    const newsletter = recipientsForPurpose('newsletter').map((partner) => partner.id);
    expect(newsletter).toContain('email-delivery');
    expect(newsletter).toContain('hosting');
    expect(newsletter).not.toContain('ad-network');
    expect(recipientsForPurpose('personalised-advertising').map((partner) => partner.id)).toEqual([
      'ad-network',
      'demo-ads',
    ]);
  });

  it('P28 marks the partners whose tags run in the browser, with the cookies they set', () => {
    expect(browserPartners().map((partner) => partner.id)).toEqual([
      'web-analytics',
      'ad-network',
      'demo-ads',
    ]);
    const demo = listPartners().find((partner) => partner.id === 'demo-ads');
    // The demo partner says it is one, wherever the notice and the cookie settings name it.
    expect(demo?.name).toMatch(/demo/i);
    expect(demo?.purposes).toEqual(['advertising-cookies', 'personalised-advertising']);
    expect(demo?.cookies?.map((cookie) => cookie.name)).toEqual(['hearth_demo_ads']);
  });

  it('P28 gives advertising partners data only under the consent purposes, never for contextual adverts', () => {
    // Contextual adverts (legitimate interests) are chosen by the page, with no partner tag.
    expect(recipientsForPurpose('advertising')).toEqual([]);
    expect(recipientsForPurpose('advertising-cookies').map((partner) => partner.id)).toEqual([
      'ad-network',
      'demo-ads',
    ]);
  });

  it('P28 leaves the demo ad partner out unless DEMO_ADS is on', () => {
    const off = partnersInUse({ demoAds: false }).map((partner) => partner.id);
    expect(off).not.toContain(DEMO_ADS_PARTNER_ID);
    expect(off).toEqual(
      listPartners()
        .map((partner) => partner.id)
        .filter((id) => id !== 'demo-ads'),
    );
    expect(partnersInUse({ demoAds: true })).toEqual(listPartners());
  });

  it('accepts a GVL vendor id and refuses a malformed one', () => {
    expect(parsePartners({ partners: [{ ...valid, gvlVendorId: 755 }] })[0]?.gvlVendorId).toBe(755);
    expect(() => parsePartners({ partners: [{ ...valid, gvlVendorId: 0 }] })).toThrow(/not valid/);
    expect(() => parsePartners({ partners: [{ ...valid, gvlVendorId: 'x' }] })).toThrow(
      /not valid/,
    );
  });

  it('refuses cookies for a partner that does not run in the browser', () => {
    const cookie = { name: 'tracker', lasts: '1 day', description: 'Tracks.' };
    expect(() => parsePartners({ partners: [{ ...valid, cookies: [cookie] }] })).toThrow(
      /does not run in the browser/,
    );
    expect(
      parsePartners({ partners: [{ ...valid, runsInBrowser: true, cookies: [cookie] }] }),
    ).toHaveLength(1);
    expect(() =>
      parsePartners({
        partners: [{ ...valid, runsInBrowser: true, cookies: [{ ...cookie, name: 'a b' }] }],
      }),
    ).toThrow(/not valid/);
  });
});
