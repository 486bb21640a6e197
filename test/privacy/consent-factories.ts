/**
 * Factories for consent-ledger tests: a receipt issuer as an application would build one, and
 * fresh subject ids so each test makes its own people.
 */
import { newId } from '../../src/platform/db/ids.js';
import type { ReceiptIssuer } from '../../src/privacy/consent/receipts.js';

export const TEST_SECRET = 'consent-test-secret-that-is-long-enough-0123456789';

export function makeIssuer(overrides: Partial<ReceiptIssuer> = {}): ReceiptIssuer {
  return {
    secret: TEST_SECRET,
    issuer: 'http://hearth.test',
    controller: {
      name: 'hearth.test',
      url: 'http://hearth.test',
      contact: 'http://hearth.test/privacy',
    },
    policyUrl: 'http://hearth.test/privacy',
    jurisdiction: 'GB',
    language: 'en-GB',
    piiCategoriesFor: () => ['user.contact.email', 'user.name'],
    ...overrides,
  };
}

export function makeSubjectId(): string {
  return `member-${newId()}`;
}
