/**
 * The erasure engine's data map. A run records that a member's erasure was carried out (or
 * refused under a hold); that proof is itself kept when the member is erased, and removed six
 * years after the run.
 */
import type { DataMap } from '../../platform/datamap.js';

const KEEP_PROOF = {
  retain: {
    basis: 'legal-obligation',
    reason:
      'Proof that an erasure request was carried out, and what was kept and why (UK GDPR Art. 5(2) and 17).',
    for: 'P6Y',
  },
} as const;

export const erasureDataMap: DataMap = {
  privacy_erasure_runs: {
    subjects: [
      { column: 'subject_id', role: 'erased member' },
      { column: 'actor_id', role: 'who asked for the erasure' },
    ],
    purpose: 'legal-obligation',
    source: 'system',
    description:
      'Each erasure of a member: when it ran, what it removed and what it kept, and why.',
    columns: {
      id: 'system.id',
      subject_id: 'user.id',
      status: 'system.state',
      open_subject_id: 'user.id',
      actor_id: 'user.id',
      reason: {
        category: 'user.content.private',
        description: 'Why the erasure was started (a request, a retention rule).',
      },
      started_at: 'system.time',
      updated_at: 'system.time',
      finished_at: 'system.time',
      removed: 'system.operational',
      report: {
        category: 'system.operational',
        description: 'Counts per table of rows removed and kept, with the reasons.',
      },
    },
    erasure: KEEP_PROOF,
    retention: [{ after: 'P6Y', from: 'started_at', action: 'delete' }],
  },
  privacy_erasure_steps: {
    subjects: [],
    via: { table: 'privacy_erasure_runs', column: 'run_id' },
    primaryKey: ['run_id', 'owner'],
    purpose: 'legal-obligation',
    source: 'system',
    description: 'The part of an erasure each owner of data carried out.',
    columns: {
      run_id: 'system.id',
      owner: 'system.config',
      finished_at: 'system.time',
      removed: 'system.operational',
      report: 'system.operational',
    },
    erasure: KEEP_PROOF,
    retention: [{ after: 'P6Y', from: 'finished_at', action: 'delete' }],
  },
};
