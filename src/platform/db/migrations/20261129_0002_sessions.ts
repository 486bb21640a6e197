import { sql, type Kysely } from 'kysely';

/**
 * Log-in sessions, by cookie or Bearer token. The id is the SHA-256 of the token, so a copy of
 * the database holds no usable credential. `user_id` has no foreign key: accounts come later and
 * the session store must not depend on how they are kept.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('sessions')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('user_id', 'text', (column) => column.notNull())
    .addColumn('kind', 'text', (column) => column.notNull())
    .addColumn('data', 'text', (column) => column.notNull())
    .addColumn('created_at', 'text', (column) => column.notNull())
    .addColumn('last_seen_at', 'text', (column) => column.notNull())
    .addColumn('expires_at', 'text', (column) => column.notNull())
    .addCheckConstraint('sessions_kind_check', sql`kind in ('cookie', 'bearer')`)
    .execute();
  // A member's list of sessions, "log out everywhere else", erasure.
  await db.schema.createIndex('sessions_user_id_idx').on('sessions').column('user_id').execute();
  // The retention rule deletes sessions past expiry.
  await db.schema
    .createIndex('sessions_expires_at_idx')
    .on('sessions')
    .column('expires_at')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('sessions').execute();
}
