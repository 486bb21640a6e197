import type { Kysely } from 'kysely';

/**
 * The published privacy notice (one row per version, its content a JSON snapshot) and the
 * warnings the retention engine records before an `erase-subject` rule may erase anyone.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('privacy_notice_versions')
    // The version number is the key: two processes publishing at once cannot both take it.
    .addColumn('version', 'integer', (column) => column.primaryKey())
    .addColumn('published_at', 'text', (column) => column.notNull())
    .addColumn('summary', 'text', (column) => column.notNull())
    .addColumn('material', 'integer', (column) => column.notNull().defaultTo(0))
    .addColumn('content', 'text', (column) => column.notNull())
    .execute();

  await db.schema
    .createTable('privacy_retention_warnings')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('table_name', 'text', (column) => column.notNull())
    .addColumn('rule_index', 'integer', (column) => column.notNull())
    .addColumn('subject_id', 'text', (column) => column.notNull())
    // The row's `from` value when the warning was sent: a later value means the person came
    // back, and the old warning no longer counts.
    .addColumn('basis_time', 'text', (column) => column.notNull())
    .addColumn('warned_at', 'text', (column) => column.notNull())
    .addColumn('erases_at', 'text', (column) => column.notNull())
    .addUniqueConstraint('privacy_retention_warnings_rule_subject', [
      'table_name',
      'rule_index',
      'subject_id',
    ])
    .execute();
  await db.schema
    .createIndex('privacy_retention_warnings_subject')
    .on('privacy_retention_warnings')
    .column('subject_id')
    .execute();
  await db.schema
    .createIndex('privacy_retention_warnings_warned_at')
    .on('privacy_retention_warnings')
    .column('warned_at')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('privacy_retention_warnings').execute();
  await db.schema.dropTable('privacy_notice_versions').execute();
}
