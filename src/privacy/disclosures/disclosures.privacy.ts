/**
 * The data map of the disclosure log. It is the record behind "who received my data" (P01) and
 * of every release to an authority (P50); it outlives erasure because Art. 5(2) requires us to
 * show each release was lawful and Art. 19 to tell recipients of a later erasure.
 */
import type { DataMap } from '../../platform/datamap.js';

export const disclosuresDataMap: DataMap = {
  privacy_disclosures: {
    description: 'Every release of personal data to an independent recipient, and its basis.',
    subjects: [
      { column: 'subject_id', role: 'data subject' },
      { column: 'actor_id', role: 'discloser' },
    ],
    purpose: 'legal-obligation',
    source: 'system',
    columns: {
      id: 'system.id',
      subject_id: 'user.id',
      recipient: 'system.operational',
      purpose: 'system.state',
      categories: {
        category: 'system.operational',
        description: 'Which kinds of data were released (categories, never the data itself).',
      },
      basis: 'system.state',
      scope: 'user.preference',
      reference: {
        category: 'user.content.private',
        description: 'The court order, request number or incident reference behind a release.',
      },
      actor_id: 'user.id',
      actor_kind: 'system.state',
      at: 'system.time',
    },
    erasure: {
      retain: {
        basis: 'legal-obligation',
        reason:
          'Art. 5(2) and Art. 19 UK GDPR: we must show each release was lawful and tell recipients of erasure; kept six years for legal claims.',
        for: 'P6Y',
      },
    },
    retention: [
      {
        after: 'P6Y',
        from: 'at',
        action: 'delete',
        reason: 'Six years after the release (Limitation Act 1980 s.5).',
      },
    ],
  },
};
