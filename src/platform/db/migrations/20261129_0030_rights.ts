import type { Kysely } from 'kysely';

/**
 * Rights requests (DESIGN.md §5.5): the queue of access, portability, rectification, erasure,
 * restriction, objection and withdrawal requests, and the emailed codes that verify a request
 * made through the public form. `subject_id` has no foreign key on purpose: a handled request is
 * evidence of compliance and outlives the account it was about (an erasure request above all).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('rights_requests')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('subject_id', 'text')
    .addColumn('requester_email', 'text')
    .addColumn('requester_name', 'text')
    .addColumn('kind', 'text', (column) => column.notNull())
    .addColumn('status', 'text', (column) => column.notNull())
    .addColumn('purpose', 'text')
    .addColumn('details', 'text')
    .addColumn('via', 'text', (column) => column.notNull())
    .addColumn('received_at', 'text', (column) => column.notNull())
    // YYYY-MM-DD, the controller's calendar date.
    .addColumn('due_date', 'text', (column) => column.notNull())
    .addColumn('extended_due_date', 'text')
    .addColumn('extension_reason', 'text')
    .addColumn('outcome', 'text')
    .addColumn('refusal_reason', 'text')
    .addColumn('completed_at', 'text')
    .addColumn('erasure_report', 'text')
    .addColumn('created_at', 'text', (column) => column.notNull())
    .addColumn('updated_at', 'text', (column) => column.notNull())
    .execute();
  // The DPO's desk lists open requests by due date.
  await db.schema
    .createIndex('rights_requests_status_due')
    .on('rights_requests')
    .columns(['status', 'due_date', 'id'])
    .execute();
  // A member's own requests, newest first; erasure finds a subject's rows.
  await db.schema
    .createIndex('rights_requests_subject')
    .on('rights_requests')
    .columns(['subject_id', 'received_at'])
    .execute();
  // The chart counts requests per month.
  await db.schema
    .createIndex('rights_requests_received')
    .on('rights_requests')
    .columns(['received_at'])
    .execute();

  await db.schema
    .createTable('rights_request_verifications')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('request_id', 'text', (column) =>
      column.notNull().references('rights_requests.id').onDelete('cascade'),
    )
    .addColumn('code_hash', 'text', (column) => column.notNull())
    .addColumn('expires_at', 'text', (column) => column.notNull())
    .addColumn('attempts', 'integer', (column) => column.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (column) => column.notNull())
    .execute();
  await db.schema
    .createIndex('rights_request_verifications_request')
    .on('rights_request_verifications')
    .columns(['request_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('rights_request_verifications').execute();
  await db.schema.dropTable('rights_requests').execute();
}
