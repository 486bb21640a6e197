/**
 * Holds' data map. A hold exists to keep data, so erasing the held member keeps the hold's own
 * record (it shows why their data outlived a request); a retention rule removes it six years
 * after the hold ended.
 */
import type { DataMap } from '../../platform/datamap.js';

export const holdsDataMap: DataMap = {
  privacy_holds: {
    subjects: [
      { column: 'subject_id', role: 'held member' },
      { column: 'placed_by', role: 'staff who placed the hold' },
      { column: 'lifted_by', role: 'staff who lifted the hold' },
    ],
    purpose: 'legal-obligation',
    source: 'staff',
    description:
      'Legal and safeguarding holds: whose data is kept beyond its usual time, why, by whom and until when. Seen by staff only.',
    columns: {
      id: 'system.id',
      subject_id: 'user.id',
      kind: 'system.state',
      reason: {
        category: 'user.content.private',
        special: true,
        description: 'Why the data is held, written by staff; may concern a safeguarding matter.',
      },
      placed_by: 'user.id',
      placed_at: 'system.time',
      until: 'system.time',
      lifted_at: 'system.time',
      lifted_by: 'user.id',
      lift_reason: {
        category: 'user.content.private',
        description: 'Why the hold was lifted, written by staff.',
      },
    },
    erasure: {
      retain: {
        basis: 'legal-obligation',
        reason:
          'The record of a legal or safeguarding hold shows why data was kept past a request; it is needed for as long as a claim about that may be brought.',
        for: 'P6Y',
      },
    },
    retention: [
      {
        after: 'P6Y',
        from: 'lifted_at',
        action: 'delete',
        reason: 'Six years after the hold was lifted.',
      },
      {
        after: 'P6Y',
        from: 'until',
        action: 'delete',
        reason: 'Six years after the hold ran out.',
      },
    ],
  },
};
