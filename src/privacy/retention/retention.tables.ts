/** Kysely table types of the retention engine (migration 20261129_0012). */

export interface RetentionWarningsTable {
  id: string;
  table_name: string;
  rule_index: number;
  subject_id: string;
  /** The row's `from` value when the warning was sent (ISO 8601). */
  basis_time: string;
  warned_at: string;
  erases_at: string;
}

export interface RetentionTables {
  privacy_retention_warnings: RetentionWarningsTable;
}
