/** Kysely table types of the audit log (migration 20261129_0011). */

/** One entry of the hash chain: opaque references only, never a member's id. */
export interface AuditChainTable {
  seq: number | string;
  at: string;
  action: string;
  actor_ref: string | null;
  subject_ref: string | null;
  /** SHA-256 of the detail row's `detail`, or null when the entry has no detail. */
  detail_hash: string | null;
  prev_hash: string;
  hash: string;
}

/** The single row every append locks: the chain's last sequence number and hash. */
export interface AuditHeadTable {
  id: string;
  seq: number | string;
  hash: string;
  updated_at: string;
}

/** The erasable detail of an entry: who (raw ids, for erasure and export) and what. */
export interface AuditDetailsTable {
  seq: number | string;
  subject_id: string | null;
  actor_id: string | null;
  /** JSON text; its SHA-256 is the chain entry's `detail_hash`. */
  detail: string;
  created_at: string;
}

/** The pseudonym that stands for a person in the chain; erased with the person. */
export interface AuditSubjectRefsTable {
  subject_id: string;
  ref: string;
  created_at: string;
}

export interface AuditTables {
  audit_chain: AuditChainTable;
  audit_head: AuditHeadTable;
  audit_details: AuditDetailsTable;
  audit_subject_refs: AuditSubjectRefsTable;
}
