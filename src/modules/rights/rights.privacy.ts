/**
 * The rights module's data map: the request queue and the codes that verify public requests.
 * A handled request is evidence that a right was honoured (UK GDPR Art. 5(2), accountability),
 * so it is retained through erasure — an erasure request above all — and deleted six years
 * after it closed (the limitation period for a claim). Verification codes live only until they
 * expire.
 */
import type { DataMap } from '../../platform/datamap.js';

export const rightsDataMap: DataMap = {
  rights_requests: {
    subjects: [{ column: 'subject_id', role: 'requester' }],
    purpose: 'legal-obligation',
    source: 'member',
    description:
      'The requests you made about your data (to see, move, correct, erase, restrict or object to it), their due dates and how we handled them.',
    columns: {
      id: 'system.id',
      subject_id: 'user.id',
      requester_email: {
        category: 'user.contact.email',
        description: 'For a request made without logging in: the address we verified it with.',
      },
      requester_name: 'user.name',
      kind: 'system.state',
      status: 'system.state',
      purpose: 'system.config',
      details: {
        category: 'user.content.private',
        description: 'What you asked us to change or why, in your words.',
      },
      via: 'system.state',
      received_at: 'system.time',
      due_date: 'system.time',
      extended_due_date: 'system.time',
      extension_reason: 'system.operational',
      outcome: 'system.operational',
      refusal_reason: 'system.operational',
      completed_at: 'system.time',
      erasure_report: {
        category: 'system.operational',
        description: 'Counts of what an erasure removed and kept, per table; no content.',
      },
      created_at: 'system.time',
      updated_at: 'system.time',
    },
    erasure: {
      retain: {
        basis: 'legal-obligation',
        reason:
          'A record of each rights request and how it was handled is our evidence that we honoured it.',
        for: 'P6Y',
      },
    },
    retention: [
      {
        after: 'P6Y',
        from: 'completed_at',
        action: 'delete',
        reason: 'Six years after a request is closed, the limitation period for a claim.',
      },
    ],
  },
  rights_request_verifications: {
    subjects: [],
    via: { table: 'rights_requests', column: 'request_id' },
    purpose: 'legal-obligation',
    source: 'system',
    description: 'A one-time code emailed to confirm a request made without logging in.',
    columns: {
      id: 'system.id',
      request_id: 'system.id',
      code_hash: 'system.hash',
      expires_at: 'system.time',
      attempts: 'system.operational',
      created_at: 'system.time',
    },
    erasure: 'delete',
    retention: [
      {
        after: 'PT1H',
        from: 'expires_at',
        action: 'delete',
        reason: 'A code is useless once expired.',
      },
    ],
  },
};
