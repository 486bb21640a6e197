/** Kysely types of the `sessions` table (migration 20261129_0002_sessions). */
export interface SessionsTable {
  /** SHA-256 of the token, hex. */
  id: string;
  /** The member's id; no foreign key, so sessions do not depend on how accounts are stored. */
  user_id: string;
  kind: 'cookie' | 'bearer';
  /** SessionData as JSON text. */
  data: string;
  created_at: string;
  /** Updated at most once an hour, so reading a session rarely writes. */
  last_seen_at: string;
  expires_at: string;
}

export interface SessionTables {
  sessions: SessionsTable;
}
