/**
 * The privacy core's own data map: the consent ledger, disclosures, the audit log, holds,
 * notice versions and signing keys. Each part declares its tables beside its code.
 */
import type { OwnedDataMap } from '../platform/datamap.js';

export const privacyDataMap: OwnedDataMap = {
  owner: 'privacy',
  tables: {},
};
