/**
 * The data map of the consent ledger, its derived state, restrictions and objections, and the
 * receipt signing keys.
 *
 * Why the ledger outlives erasure: Art. 7(1) requires us to show that a person consented, and
 * Art. 5(2) to show how we honoured their rights; claims can be brought for six years
 * (Limitation Act 1980 s.5). So an erased member's events and limits are retained, not deleted,
 * and each event is deleted six years after it stopped being the choice we rely on.
 */
import type { DataMap } from '../../platform/datamap.js';

const SIX_YEARS = 'P6Y';

/**
 * Visitors' cookie choices expire after 13 months (P40) and are then asked again; six years of
 * evidence after that expiry.
 */
const VISITOR_EVIDENCE = 'P7Y1M';

export const consentDataMap: DataMap = {
  privacy_consent_events: {
    description:
      'Every consent given or withdrawn, with the notice version shown and a signed receipt.',
    subjects: [{ column: 'subject_id', role: 'consenting person' }],
    purpose: 'legal-obligation',
    source: 'member',
    columns: {
      id: 'system.id',
      subject_id: {
        category: 'user.id',
        description: 'A member id, or the pseudonymous id of a visitor’s cookie choices.',
      },
      subject_kind: 'system.state',
      purpose: 'user.preference',
      scope: 'user.preference',
      granted: 'user.preference',
      method: 'system.operational',
      notice_version: 'system.state',
      at: 'system.time',
      receipt_id: 'system.id',
      receipt_jws: {
        category: 'user.preference',
        description: 'The signed consent receipt: who consented, to what, when and how.',
      },
      superseded_at: 'system.time',
    },
    erasure: {
      retain: {
        basis: 'legal-obligation',
        reason:
          'Art. 7(1) UK GDPR: we must be able to show when consent was given and withdrawn; kept six years for legal claims.',
        for: SIX_YEARS,
      },
    },
    retention: [
      {
        keep: 'while-account',
        reason: 'The current choice is the evidence for any processing that relies on it.',
      },
      {
        after: SIX_YEARS,
        from: 'superseded_at',
        action: 'delete',
        reason: 'Six years after a later choice replaced it.',
      },
      {
        after: VISITOR_EVIDENCE,
        from: 'at',
        action: 'delete',
        where: { subject_kind: 'visitor' },
        reason: 'Cookie choices lapse after 13 months; evidence kept six years beyond.',
      },
    ],
  },
  privacy_consent_state: {
    derived: { from: 'privacy_consent_events' },
    columns: {
      subject_id: 'user.id',
      purpose: 'user.preference',
      scope: 'user.preference',
      granted: 'user.preference',
      method: 'system.operational',
      notice_version: 'system.state',
      at: 'system.time',
      event_id: 'system.id',
    },
  },
  privacy_processing_limits: {
    description: 'Restrictions (Art. 18) and objections (Art. 21) per purpose, and DPO decisions.',
    subjects: [
      { column: 'subject_id', role: 'data subject' },
      { column: 'recorded_by', role: 'recorder' },
      { column: 'override_by', role: 'data protection officer' },
      { column: 'closed_by', role: 'closer' },
    ],
    purpose: 'legal-obligation',
    source: 'member',
    columns: {
      id: 'system.id',
      subject_id: 'user.id',
      kind: 'system.state',
      purpose: 'user.preference',
      status: 'system.state',
      reason: {
        category: 'user.content.private',
        description: 'The person’s grounds, in their words; may mention their situation.',
      },
      recorded_by: 'user.id',
      recorded_at: 'system.time',
      override_reason: {
        category: 'user.content.private',
        description: 'The DPO’s compelling legitimate grounds for continuing.',
      },
      override_by: 'user.id',
      override_at: 'system.time',
      closed_reason: 'user.content.private',
      closed_by: 'user.id',
      closed_at: 'system.time',
    },
    erasure: {
      retain: {
        basis: 'legal-obligation',
        reason:
          'Art. 5(2) UK GDPR: we must be able to show how a restriction or objection was handled; kept six years for legal claims.',
        for: SIX_YEARS,
      },
    },
    retention: [
      { keep: 'while-account', reason: 'An open restriction or objection governs processing.' },
      {
        after: SIX_YEARS,
        from: 'closed_at',
        action: 'delete',
        reason: 'Six years after it was lifted or withdrawn.',
      },
    ],
  },
  privacy_signing_keys: {
    personal: false,
    description:
      'Keys that sign consent receipts; public halves are published, private halves sealed.',
    columns: {
      kid: 'system.id',
      algorithm: 'system.config',
      public_jwk: 'system.config',
      private_key_encrypted: 'system.secret',
      created_at: 'system.time',
      retired_at: 'system.time',
    },
  },
};
