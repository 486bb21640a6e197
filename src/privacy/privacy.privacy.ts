/**
 * The privacy core's own data map: the consent ledger, disclosures, the audit log, holds,
 * notice versions and signing keys. Each part declares its tables beside its code.
 */
import type { OwnedDataMap } from '../platform/datamap.js';
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
