/** Reads the audit actions recorded about one subject, oldest first (the audit log's own tables). */
import { tablesOf, type Database } from '../../src/platform/db/database.js';
import type { AuditTables } from '../../src/privacy/audit/audit.tables.js';

export async function auditActionsAbout(db: Database, subjectId: string): Promise<string[]> {
  const rows = await tablesOf<AuditTables>(db)
    .selectFrom('audit_details')
    .innerJoin('audit_chain', 'audit_chain.seq', 'audit_details.seq')
    .select('audit_chain.action')
    .where('audit_details.subject_id', '=', subjectId)
    .orderBy('audit_chain.seq')
    .execute();
  return rows.map((row) => row.action);
}
