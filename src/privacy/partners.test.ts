import { describe, expect, it } from 'vitest';
import { PURPOSE_KEYS } from './purposes.js';
import {
  PartnerRegistryError,
  isRestrictedTransfer,
  listPartners,
  loadPartners,
  parsePartners,
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
    ]);
  });
});
