/** The retention engine's data map: the warnings sent before an account is erased. */
import type { DataMap } from '../../platform/datamap.js';

export const retentionDataMap: DataMap = {
  privacy_retention_warnings: {
    subjects: [{ column: 'subject_id', role: 'member' }],
    purpose: 'account',
    description:
      'That we warned a member before erasing their inactive account, and when the erasure falls due.',
    source: 'system',
    columns: {
      id: 'system.id',
      table_name: 'system.config',
      rule_index: 'system.config',
      subject_id: 'user.id',
      basis_time: 'system.time',
      warned_at: 'system.time',
      erases_at: 'system.time',
    },
    erasure: 'delete',
    // A warning outlives its waiting period only while a hold delays the erasure, or when the
    // member came back; a year later it is of no use to anyone.
    retention: [{ after: 'P1Y', from: 'warned_at', action: 'delete' }],
  },
};
