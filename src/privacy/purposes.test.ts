import { describe, expect, it } from 'vitest';
import { AppError } from '../platform/http/errors.js';
import {
  LEGAL_BASES,
  PURPOSES,
  PURPOSE_KEYS,
  UnknownPurposeError,
  getPurpose,
} from './purposes.js';

/** The catalogue keys DESIGN.md §5.2 names. */
const DESIGN_KEYS = [
  'account',
  'community',
  'newsletter',
  'competition',
  'trial',
  'survey',
  'research-panel',
  'listing',
  'helpdesk',
  'safeguarding',
  'analytics',
  'advertising',
  'personalised-advertising',
  'location-precise',
  'security',
  'legal-obligation',
];

describe('purpose catalogue', () => {
  it('holds every purpose DESIGN.md §5.2 names', () => {
    for (const key of DESIGN_KEYS) expect(PURPOSE_KEYS).toContain(key);
  });

  it('gives each purpose one of the six Art. 6 bases, a title, a description and a recipients note', () => {
    for (const purpose of Object.values(PURPOSES)) {
      expect(Object.keys(LEGAL_BASES)).toContain(purpose.basis);
      expect(purpose.title.length).toBeGreaterThan(3);
      expect(purpose.description.length).toBeGreaterThan(20);
      expect(purpose.basisReason.length).toBeGreaterThan(10);
      expect(purpose.recipientsNote.length).toBeGreaterThan(5);
      expect(PURPOSES[purpose.key]).toBe(purpose);
    }
  });

  it('derives consent and objection from the basis, never by hand', () => {
    for (const purpose of Object.values(PURPOSES)) {
      expect(purpose.isConsentBased).toBe(purpose.basis === 'consent');
      expect(purpose.canObject).toBe(
        purpose.basis === 'legitimate-interests' || purpose.basis === 'public-task',
      );
      // Every consent purpose tells the person how to withdraw (it goes into each receipt).
      if (purpose.isConsentBased) expect(purpose.withdrawal).toBeTruthy();
    }
  });

  it('names an Art. 9 condition for special-category purposes', () => {
    const special = Object.values(PURPOSES).filter((purpose) => purpose.special);
    expect(special.map((purpose) => purpose.key).sort()).toEqual([
      'helpdesk-special',
      'newsletter-health',
      'safeguarding',
    ]);
    for (const purpose of special) {
      expect(purpose.special?.condition).toMatch(/Art\. 9\(2\)\([a-j]\)/);
      expect(purpose.special?.categories.length).toBeGreaterThan(0);
    }
    // P21: special data in a help-desk ticket only with explicit consent.
    expect(getPurpose('helpdesk-special').basis).toBe('consent');
    expect(getPurpose('newsletter-health').special?.condition).toMatch(/explicit consent/);
  });

  it('P31 P30 puts personalised advertising and precise location on consent', () => {
    expect(getPurpose('personalised-advertising').isConsentBased).toBe(true);
    expect(getPurpose('location-precise').isConsentBased).toBe(true);
    expect(getPurpose('advertising').isConsentBased).toBe(false);
  });

  it('P26 P28 puts advertising partners’ cookies on consent, apart from contextual adverts', () => {
    // Contextual adverts chosen by the page use no cookie and no profile: legitimate interests.
    expect(getPurpose('advertising').basis).toBe('legitimate-interests');
    expect(getPurpose('advertising').canObject).toBe(true);
    // A partner's tag stores and reads cookies on the device: consent (PECR reg. 6), recorded
    // in the ledger like any other, and withdrawn in the cookie settings.
    const cookies = getPurpose('advertising-cookies');
    expect(cookies.isConsentBased).toBe(true);
    expect(cookies.title).toBe('Advertising partners');
    expect(cookies.description).toMatch(/cookies on your device/);
    expect(cookies.description).toMatch(/not chosen from a profile/);
    expect(cookies.withdrawal).toMatch(/\/cookies/);
  });

  it('refuses an unknown purpose with a 400', () => {
    expect(() => getPurpose('mind-reading')).toThrow(UnknownPurposeError);
    try {
      getPurpose('constructor');
      expect.unreachable('constructor is not a purpose');
    } catch (error) {
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).statusCode).toBe(400);
      expect((error as AppError).fields?.purpose).toMatch(/Unknown purpose/);
    }
  });
});
