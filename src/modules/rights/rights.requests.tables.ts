/** Kysely types of the rights request queue (migration 20261129_0030_rights). */

export const REQUEST_KINDS = [
  'access',
  'portability',
  'rectification',
  'erasure',
  'restriction',
  'objection',
  'withdrawal',
] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];

export const REQUEST_STATUSES = [
  'received',
  'awaiting-verification',
  'in-progress',
  'extended',
  'completed',
  'refused',
] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

/** Statuses after which a request is closed: nothing changes it any more. */
export const CLOSED_STATUSES: readonly RequestStatus[] = ['completed', 'refused'];

export const REQUEST_CHANNELS = ['member', 'public', 'staff'] as const;
export type RequestChannel = (typeof REQUEST_CHANNELS)[number];

export interface RightsRequestsTable {
  id: string;
  /** The member the request is about; null for a public request from an unknown address. */
  subject_id: string | null;
  /** Public requests only: the address the code was sent to, and the name given. */
  requester_email: string | null;
  requester_name: string | null;
  kind: RequestKind;
  status: RequestStatus;
  purpose: string | null;
  details: string | null;
  via: RequestChannel;
  received_at: string;
  /** YYYY-MM-DD in the controller's calendar. */
  due_date: string;
  extended_due_date: string | null;
  extension_reason: string | null;
  outcome: string | null;
  refusal_reason: string | null;
  completed_at: string | null;
  /** Erasure requests: the engine's report, counts per table only (JSON), for the DPO. */
  erasure_report: string | null;
  created_at: string;
  updated_at: string;
}

export interface RightsRequestVerificationsTable {
  id: string;
  request_id: string;
  /** SHA-256 of the request id and the six-digit code. */
  code_hash: string;
  expires_at: string;
  attempts: number;
  created_at: string;
}

export interface RightsTables {
  rights_requests: RightsRequestsTable;
  rights_request_verifications: RightsRequestVerificationsTable;
}
