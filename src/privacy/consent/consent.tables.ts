/** Kysely types of the consent ledger, its derived state, processing limits and signing keys. */

export type SubjectKind = 'member' | 'visitor';

/** How a choice reached Hearth; `gpc` is the browser's Global Privacy Control signal. */
export type ConsentMethod = 'form' | 'cmp' | 'gpc' | 'email-link' | 'api' | 'import';

export interface ConsentEventsTable {
  id: string;
  subject_id: string;
  subject_kind: SubjectKind;
  purpose: string;
  /** `''` for the whole purpose; otherwise `<kind>:<id>` such as `newsletter:pregnancy-weekly`. */
  scope: string;
  granted: 0 | 1;
  method: ConsentMethod;
  notice_version: number;
  at: string;
  receipt_id: string;
  receipt_jws: string;
  /** When a later event replaced this one as the current choice; null while it is current. */
  superseded_at: string | null;
}

export interface ConsentStateTable {
  subject_id: string;
  purpose: string;
  scope: string;
  granted: 0 | 1;
  method: ConsentMethod;
  notice_version: number;
  at: string;
  event_id: string;
}

export type ProcessingLimitKind = 'restriction' | 'objection';

/**
 * `active` blocks processing; `overridden` is an objection a DPO answered with a recorded
 * legitimate reason (processing continues); `lifted` and `withdrawn` are closed.
 */
export type ProcessingLimitStatus = 'active' | 'overridden' | 'lifted' | 'withdrawn';

export interface ProcessingLimitsTable {
  id: string;
  subject_id: string;
  kind: ProcessingLimitKind;
  /** A purpose key, or `*` for a restriction of every purpose (Art. 18(1)(a), contested accuracy). */
  purpose: string;
  status: ProcessingLimitStatus;
  reason: string;
  recorded_by: string;
  recorded_at: string;
  override_reason: string | null;
  override_by: string | null;
  override_at: string | null;
  closed_reason: string | null;
  closed_by: string | null;
  closed_at: string | null;
}

export interface SigningKeysTable {
  kid: string;
  algorithm: string;
  public_jwk: string;
  /** Null once the key is retired: it can never sign again, but still verifies. */
  private_key_encrypted: string | null;
  created_at: string;
  retired_at: string | null;
}

export interface ConsentTables {
  privacy_consent_events: ConsentEventsTable;
  privacy_consent_state: ConsentStateTable;
  privacy_processing_limits: ProcessingLimitsTable;
  privacy_signing_keys: SigningKeysTable;
}
