import { sql, type Kysely } from 'kysely';

/**
 * The consent ledger and its derived current state, restrictions and objections, the keys that
 * sign consent receipts, and the disclosure log (DESIGN.md §5.2–5.4).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // Append-only: one row per grant or withdrawal. Only `superseded_at` is ever written after
  // insert (bookkeeping for retention, outside the signed receipt).
  await db.schema
    .createTable('privacy_consent_events')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('subject_id', 'text', (column) => column.notNull())
    .addColumn('subject_kind', 'text', (column) => column.notNull())
    .addColumn('purpose', 'text', (column) => column.notNull())
    .addColumn('scope', 'text', (column) => column.notNull())
    .addColumn('granted', 'integer', (column) => column.notNull())
    .addColumn('method', 'text', (column) => column.notNull())
    .addColumn('notice_version', 'integer', (column) => column.notNull())
    .addColumn('at', 'text', (column) => column.notNull())
    .addColumn('receipt_id', 'text', (column) => column.notNull().unique())
    .addColumn('receipt_jws', 'text', (column) => column.notNull())
    .addColumn('superseded_at', 'text')
    .execute();
  await db.schema
    .createIndex('privacy_consent_events_subject')
    .on('privacy_consent_events')
    .columns(['subject_id', 'at'])
    .execute();
  await db.schema
    .createIndex('privacy_consent_events_superseded')
    .on('privacy_consent_events')
    .column('superseded_at')
    .execute();

  // The latest event per (subject, purpose, scope), kept in the same transaction as the ledger,
  // so that a processing check is one primary-key lookup.
  await db.schema
    .createTable('privacy_consent_state')
    .addColumn('subject_id', 'text', (column) => column.notNull())
    .addColumn('purpose', 'text', (column) => column.notNull())
    .addColumn('scope', 'text', (column) => column.notNull())
    .addColumn('granted', 'integer', (column) => column.notNull())
    .addColumn('method', 'text', (column) => column.notNull())
    .addColumn('notice_version', 'integer', (column) => column.notNull())
    .addColumn('at', 'text', (column) => column.notNull())
    .addColumn('event_id', 'text', (column) => column.notNull())
    .addPrimaryKeyConstraint('privacy_consent_state_pk', ['subject_id', 'purpose', 'scope'])
    .execute();
  // The batch check (filterAllowed) reads every grant of one purpose and scope.
  await db.schema
    .createIndex('privacy_consent_state_grants')
    .on('privacy_consent_state')
    .columns(['purpose', 'scope', 'granted', 'subject_id'])
    .execute();
  // A superseded event is marked only once no state row points at it any more.
  await db.schema
    .createIndex('privacy_consent_state_event')
    .on('privacy_consent_state')
    .column('event_id')
    .execute();

  // Art. 18 restrictions and Art. 21 objections, per subject and purpose.
  await db.schema
    .createTable('privacy_processing_limits')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('subject_id', 'text', (column) => column.notNull())
    .addColumn('kind', 'text', (column) => column.notNull())
    .addColumn('purpose', 'text', (column) => column.notNull())
    .addColumn('status', 'text', (column) => column.notNull())
    .addColumn('reason', 'text', (column) => column.notNull())
    .addColumn('recorded_by', 'text', (column) => column.notNull())
    .addColumn('recorded_at', 'text', (column) => column.notNull())
    .addColumn('override_reason', 'text')
    .addColumn('override_by', 'text')
    .addColumn('override_at', 'text')
    .addColumn('closed_reason', 'text')
    .addColumn('closed_by', 'text')
    .addColumn('closed_at', 'text')
    .execute();
  // At most one open limit of each kind per subject and purpose; two processes recording the
  // same objection at once end with one row. Also serves the processing checks, which only
  // read open limits.
  await db.schema
    .createIndex('privacy_processing_limits_open')
    .on('privacy_processing_limits')
    .columns(['subject_id', 'kind', 'purpose'])
    .unique()
    .where(sql.ref('closed_at'), 'is', null)
    .execute();
  await db.schema
    .createIndex('privacy_processing_limits_subject')
    .on('privacy_processing_limits')
    .columns(['subject_id', 'recorded_at'])
    .execute();
  await db.schema
    .createIndex('privacy_processing_limits_closed')
    .on('privacy_processing_limits')
    .column('closed_at')
    .execute();

  // Ed25519 keys that sign consent receipts. Kept in the database so every process signs with
  // the same key and publishes the same set.
  await db.schema
    .createTable('privacy_signing_keys')
    .addColumn('kid', 'text', (column) => column.primaryKey())
    .addColumn('algorithm', 'text', (column) => column.notNull())
    .addColumn('public_jwk', 'text', (column) => column.notNull())
    .addColumn('private_key_encrypted', 'text')
    .addColumn('created_at', 'text', (column) => column.notNull())
    .addColumn('retired_at', 'text')
    .execute();
  // One signing key per algorithm at a time: two processes creating the first key race on this
  // index, and only one wins.
  await db.schema
    .createIndex('privacy_signing_keys_one_active')
    .on('privacy_signing_keys')
    .column('algorithm')
    .unique()
    .where(sql.ref('retired_at'), 'is', null)
    .execute();

  // Every release of personal data to an independent recipient.
  await db.schema
    .createTable('privacy_disclosures')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('subject_id', 'text', (column) => column.notNull())
    .addColumn('recipient', 'text', (column) => column.notNull())
    .addColumn('purpose', 'text', (column) => column.notNull())
    .addColumn('categories', 'text', (column) => column.notNull())
    .addColumn('basis', 'text', (column) => column.notNull())
    .addColumn('scope', 'text')
    .addColumn('reference', 'text')
    .addColumn('actor_id', 'text', (column) => column.notNull())
    .addColumn('actor_kind', 'text', (column) => column.notNull())
    .addColumn('at', 'text', (column) => column.notNull())
    .execute();
  await db.schema
    .createIndex('privacy_disclosures_subject')
    .on('privacy_disclosures')
    .columns(['subject_id', 'at'])
    .execute();
  await db.schema
    .createIndex('privacy_disclosures_at')
    .on('privacy_disclosures')
    .column('at')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('privacy_disclosures').execute();
  await db.schema.dropTable('privacy_signing_keys').execute();
  await db.schema.dropTable('privacy_processing_limits').execute();
  await db.schema.dropTable('privacy_consent_state').execute();
  await db.schema.dropTable('privacy_consent_events').execute();
}
