/**
 * The privacy core's own data map: the consent ledger, disclosures, the audit log, holds,
 * notice versions and signing keys. Each part declares its tables beside its code.
 */
import type { OwnedDataMap } from '../platform/datamap.js';
import { closeConsentLedger } from './consent/consent.service.js';
import type { PrivacyOwner } from './registry.js';
import { auditDataMap } from './audit/audit.privacy.js';
import { consentDataMap } from './consent/consent.privacy.js';
import { disclosuresDataMap } from './disclosures/disclosures.privacy.js';
import { erasureDataMap } from './erasure/erasure.privacy.js';
import { holdsDataMap } from './holds/holds.privacy.js';
import { noticeDataMap } from './notice/notice.privacy.js';
import { retentionDataMap } from './retention/retention.privacy.js';

export const privacyDataMap: OwnedDataMap = {
  owner: 'privacy',
  tables: {
    ...noticeDataMap,
    ...retentionDataMap,
    ...auditDataMap,
    ...holdsDataMap,
    ...erasureDataMap,
    ...consentDataMap,
    ...disclosuresDataMap,
  },
};

/**
 * The privacy core as an owner in the registry. Its erasure hook stops relying on an erased
 * person's choices: the current consent state goes (nothing is processed for them any more) and
 * each event still in force is marked superseded, which starts its six-year evidence period
 * (consent.privacy.ts). The events themselves are retained as declared.
 */
export const privacyOwner: PrivacyOwner = {
  ...privacyDataMap,
  hooks: {
    async eraseFor(db, subjectId) {
      await closeConsentLedger(db, subjectId);
      return { removed: 0, retained: [] };
    },
  },
};
