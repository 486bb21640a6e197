import type { Kysely } from 'kysely';

/**
 * The privacy core's audit log (a hash chain of opaque entries, erasable detail rows, the chain
 * head that appends lock, per-subject pseudonyms), legal and safeguarding holds, and the
 * bookkeeping that lets an erasure resume where it stopped.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // The chain itself: never updated, never deleted. It names people only by pseudonyms from
  // audit_subject_refs, so erasing a member's mapping leaves entries that name no one.
  // `bigint` is a 64-bit integer on both engines (INTEGER affinity on SQLite).
  await db.schema
    .createTable('audit_chain')
    .addColumn('seq', 'bigint', (column) => column.primaryKey())
    .addColumn('at', 'text', (column) => column.notNull())
    .addColumn('action', 'text', (column) => column.notNull())
    .addColumn('actor_ref', 'text')
    .addColumn('subject_ref', 'text')
    .addColumn('detail_hash', 'text')
    .addColumn('prev_hash', 'text', (column) => column.notNull())
    .addColumn('hash', 'text', (column) => column.notNull())
    .execute();

  // One row (`id = 'chain'`): the last sequence number and hash. Every append locks it, so two
  // processes can never both extend the same entry (a fork); verification compares it with the
  // last chain row, so cutting entries off the end is seen too.
  await db.schema
    .createTable('audit_head')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('seq', 'bigint', (column) => column.notNull())
    .addColumn('hash', 'text', (column) => column.notNull())
    .addColumn('updated_at', 'text', (column) => column.notNull())
    .execute();

  // What happened, in detail: may name people, follows erasure and retention. The chain keeps
  // the hash of each detail, so deleting a detail row never breaks verification and changing
  // one is detected.
  await db.schema
    .createTable('audit_details')
    .addColumn('seq', 'bigint', (column) => column.primaryKey().references('audit_chain.seq'))
    .addColumn('subject_id', 'text')
    .addColumn('actor_id', 'text')
    .addColumn('detail', 'text', (column) => column.notNull())
    .addColumn('created_at', 'text', (column) => column.notNull())
    .execute();
  await db.schema
    .createIndex('audit_details_subject')
    .on('audit_details')
    .column('subject_id')
    .execute();
  await db.schema
    .createIndex('audit_details_actor')
    .on('audit_details')
    .column('actor_id')
    .execute();
  await db.schema
    .createIndex('audit_details_created_at')
    .on('audit_details')
    .column('created_at')
    .execute();

  await db.schema
    .createTable('audit_subject_refs')
    .addColumn('subject_id', 'text', (column) => column.primaryKey())
    .addColumn('ref', 'text', (column) => column.notNull().unique())
    .addColumn('created_at', 'text', (column) => column.notNull())
    .execute();

  await db.schema
    .createTable('privacy_holds')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('subject_id', 'text', (column) => column.notNull())
    .addColumn('kind', 'text', (column) => column.notNull())
    .addColumn('reason', 'text', (column) => column.notNull())
    .addColumn('placed_by', 'text', (column) => column.notNull())
    .addColumn('placed_at', 'text', (column) => column.notNull())
    .addColumn('until', 'text')
    .addColumn('lifted_at', 'text')
    .addColumn('lifted_by', 'text')
    .addColumn('lift_reason', 'text')
    .execute();
  await db.schema
    .createIndex('privacy_holds_subject')
    .on('privacy_holds')
    .columns(['subject_id', 'lifted_at'])
    .execute();
  await db.schema
    .createIndex('privacy_holds_placed_by')
    .on('privacy_holds')
    .column('placed_by')
    .execute();
  await db.schema
    .createIndex('privacy_holds_lifted_by')
    .on('privacy_holds')
    .column('lifted_by')
    .execute();

  await db.schema
    .createTable('privacy_erasure_runs')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('subject_id', 'text', (column) => column.notNull())
    .addColumn('status', 'text', (column) => column.notNull())
    // The subject while the run is open, null once it ends: the unique index lets only one run
    // per subject be open at a time, on both engines (unique indexes admit many nulls).
    .addColumn('open_subject_id', 'text', (column) => column.unique())
    .addColumn('actor_id', 'text')
    .addColumn('reason', 'text')
    .addColumn('started_at', 'text', (column) => column.notNull())
    .addColumn('updated_at', 'text', (column) => column.notNull())
    .addColumn('finished_at', 'text')
    .addColumn('removed', 'integer', (column) => column.notNull().defaultTo(0))
    .addColumn('report', 'text')
    .execute();
  await db.schema
    .createIndex('privacy_erasure_runs_subject')
    .on('privacy_erasure_runs')
    .columns(['subject_id', 'status'])
    .execute();
  await db.schema
    .createIndex('privacy_erasure_runs_actor')
    .on('privacy_erasure_runs')
    .column('actor_id')
    .execute();
  await db.schema
    .createIndex('privacy_erasure_runs_finished_at')
    .on('privacy_erasure_runs')
    .column('finished_at')
    .execute();

  await db.schema
    .createTable('privacy_erasure_steps')
    .addColumn('run_id', 'text', (column) =>
      column.notNull().references('privacy_erasure_runs.id').onDelete('cascade'),
    )
    .addColumn('owner', 'text', (column) => column.notNull())
    .addColumn('finished_at', 'text', (column) => column.notNull())
    .addColumn('removed', 'integer', (column) => column.notNull())
    .addColumn('report', 'text', (column) => column.notNull())
    .addPrimaryKeyConstraint('privacy_erasure_steps_pk', ['run_id', 'owner'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('privacy_erasure_steps').execute();
  await db.schema.dropTable('privacy_erasure_runs').execute();
  await db.schema.dropTable('privacy_holds').execute();
  await db.schema.dropTable('audit_subject_refs').execute();
  await db.schema.dropTable('audit_details').execute();
  await db.schema.dropTable('audit_head').execute();
  await db.schema.dropTable('audit_chain').execute();
}
