import { sql, type Kysely } from 'kysely';

/**
 * The durable job queue and the mail outbox (DESIGN.md §2).
 *
 * `jobs`: one row per job. Claiming reads `(status, run_at)`; reclaiming a crashed worker's
 * jobs reads `(status, lease_expires_at)`; retention reads `(status, finished_at)`. The unique
 * key is a plain UNIQUE column (NULLs never collide on either engine), so a scheduled run's key
 * stays taken after the run is done and two processes can never run the same period twice.
 *
 * `outbox`: every message, written in the transaction of the change that causes it.
 * `mail_catcher`: where messages land when no SMTP relay is configured; one row per outbox
 * row at most (the unique `outbox_id` makes a re-run of the send job harmless).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('jobs')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('name', 'text', (column) => column.notNull())
    .addColumn('payload', 'text', (column) => column.notNull())
    .addColumn('subject_id', 'text')
    .addColumn('status', 'text', (column) => column.notNull())
    .addColumn('run_at', 'text', (column) => column.notNull())
    .addColumn('attempts', 'integer', (column) => column.notNull().defaultTo(0))
    .addColumn('max_attempts', 'integer', (column) => column.notNull())
    .addColumn('lease_owner', 'text')
    .addColumn('lease_expires_at', 'text')
    .addColumn('last_error', 'text')
    .addColumn('unique_key', 'text', (column) => column.unique())
    .addColumn('created_at', 'text', (column) => column.notNull())
    .addColumn('updated_at', 'text', (column) => column.notNull())
    .addColumn('finished_at', 'text')
    .addCheckConstraint('jobs_status_check', sql`status in ('queued', 'running', 'done', 'dead')`)
    .addCheckConstraint('jobs_attempts_check', sql`attempts >= 0 and max_attempts >= 1`)
    .execute();
  await db.schema.createIndex('jobs_claim_idx').on('jobs').columns(['status', 'run_at']).execute();
  await db.schema
    .createIndex('jobs_lease_idx')
    .on('jobs')
    .columns(['status', 'lease_expires_at'])
    .execute();
  await db.schema
    .createIndex('jobs_finished_idx')
    .on('jobs')
    .columns(['status', 'finished_at'])
    .execute();
  await db.schema.createIndex('jobs_subject_idx').on('jobs').column('subject_id').execute();

  await db.schema
    .createTable('outbox')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('recipient_id', 'text')
    .addColumn('to_address', 'text', (column) => column.notNull())
    .addColumn('to_name', 'text')
    .addColumn('subject', 'text', (column) => column.notNull())
    .addColumn('text_body', 'text', (column) => column.notNull())
    .addColumn('html_body', 'text')
    .addColumn('headers', 'text')
    .addColumn('category', 'text', (column) => column.notNull())
    .addColumn('status', 'text', (column) => column.notNull())
    .addColumn('message_id', 'text')
    .addColumn('created_at', 'text', (column) => column.notNull())
    .addColumn('sent_at', 'text')
    .addCheckConstraint('outbox_status_check', sql`status in ('queued', 'sent', 'failed')`)
    .execute();
  await db.schema.createIndex('outbox_recipient_idx').on('outbox').column('recipient_id').execute();
  await db.schema
    .createIndex('outbox_status_sent_idx')
    .on('outbox')
    .columns(['status', 'sent_at'])
    .execute();
  await db.schema.createIndex('outbox_created_idx').on('outbox').column('created_at').execute();

  await db.schema
    .createTable('mail_catcher')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('outbox_id', 'text', (column) => column.notNull().unique())
    .addColumn('recipient_id', 'text')
    .addColumn('from_address', 'text', (column) => column.notNull())
    .addColumn('to_address', 'text', (column) => column.notNull())
    .addColumn('to_name', 'text')
    .addColumn('subject', 'text', (column) => column.notNull())
    .addColumn('text_body', 'text', (column) => column.notNull())
    .addColumn('html_body', 'text')
    .addColumn('headers', 'text')
    .addColumn('category', 'text', (column) => column.notNull())
    .addColumn('message_id', 'text', (column) => column.notNull())
    .addColumn('raw_message', 'text', (column) => column.notNull())
    .addColumn('caught_at', 'text', (column) => column.notNull())
    .execute();
  await db.schema
    .createIndex('mail_catcher_recipient_idx')
    .on('mail_catcher')
    .column('recipient_id')
    .execute();
  await db.schema
    .createIndex('mail_catcher_caught_idx')
    .on('mail_catcher')
    .column('caught_at')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('mail_catcher').execute();
  await db.schema.dropTable('outbox').execute();
  await db.schema.dropTable('jobs').execute();
}
