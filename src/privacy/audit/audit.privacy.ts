/**
 * The audit log's data map. The chain names nobody: it holds pseudonyms whose mapping
 * (audit_subject_refs) is erased with the person, so the chain is kept for good as proof that
 * the log is whole. Detail rows name people and follow erasure and retention.
 */
import type { DataMap } from '../../platform/datamap.js';

export const auditDataMap: DataMap = {
  audit_chain: {
    personal: false,
    description:
      'The hash chain of the audit log: what happened and when, with people only as pseudonyms that stop pointing to anyone once the person is erased.',
    columns: {
      seq: 'system.id',
      at: 'system.time',
      action: 'system.state',
      actor_ref: {
        category: 'system.id',
        description: 'A random pseudonym; its link to a person is erased with the person.',
      },
      subject_ref: {
        category: 'system.id',
        description: 'A random pseudonym; its link to a person is erased with the person.',
      },
      detail_hash: 'system.hash',
      prev_hash: 'system.hash',
      hash: 'system.hash',
    },
  },
  audit_head: {
    personal: false,
    description: 'The last entry of the audit chain, locked by every append.',
    columns: { id: 'system.id', seq: 'system.id', hash: 'system.hash', updated_at: 'system.time' },
  },
  audit_details: {
    // The row is about its subject; the actor (a staff member, or the member themselves) is
    // only linked, and is unlinked when erased while the subject's record stays.
    subjects: [
      { column: 'subject_id', role: 'subject' },
      { column: 'actor_id', role: 'actor' },
    ],
    primaryKey: ['seq'],
    purpose: 'security',
    source: 'system',
    description:
      'The detail of each audit entry: who acted, on whose data, and what they did (ids and counts, never message bodies).',
    columns: {
      seq: 'system.id',
      subject_id: 'user.id',
      actor_id: 'user.id',
      detail: {
        category: 'user.behaviour',
        description: 'What was done: the kind of action, ids and counts.',
      },
      created_at: 'system.time',
    },
    erasure: 'delete',
    retention: [
      {
        after: 'P6Y',
        from: 'created_at',
        action: 'delete',
        reason:
          'Six years covers the time to bring or defend a claim; the chain keeps its proof without the detail.',
      },
    ],
  },
  audit_subject_refs: {
    subjects: [{ column: 'subject_id', role: 'member' }],
    purpose: 'security',
    source: 'system',
    description: 'The pseudonym that stands for you in the audit chain.',
    columns: { subject_id: 'user.id', ref: 'system.id', created_at: 'system.time' },
    primaryKey: ['subject_id'],
    erasure: 'delete',
    retention: [{ keep: 'while-account' }],
  },
};
