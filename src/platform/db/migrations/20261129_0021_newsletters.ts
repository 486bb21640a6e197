import type { Kysely } from 'kysely';

/**
 * Newsletters: the list catalogue, members' subscriptions (each one backed by a consent event
 * in the ledger) and the dates the life-stage letters need: a due date for Pregnancy Weekly, the
 * babies' birth dates for Baby Monthly. The catalogue's rows come from the next migration: no
 * data in a schema migration.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('newsletters_lists')
    // A slug (`general`, `pregnancy-weekly`): the consent scope is `newsletter:<key>`.
    .addColumn('key', 'text', (column) => column.primaryKey())
    .addColumn('title', 'text', (column) => column.notNull())
    .addColumn('description', 'text', (column) => column.notNull())
    // general | pregnancy-weekly | baby-monthly: which dates a subscription carries.
    .addColumn('kind', 'text', (column) => column.notNull())
    // 0 retires a list: nobody may subscribe, and it is no longer offered.
    .addColumn('active', 'integer', (column) => column.notNull().defaultTo(1))
    .addColumn('position', 'integer', (column) => column.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (column) => column.notNull())
    .execute();

  await db.schema
    .createTable('newsletters_subscriptions')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('user_id', 'text', (column) =>
      column.notNull().references('accounts_users.id').onDelete('cascade'),
    )
    // No cascade: a list members are subscribed to cannot vanish under them unrecorded.
    .addColumn('list_key', 'text', (column) => column.notNull().references('newsletters_lists.key'))
    // YYYY-MM-DD, Pregnancy Weekly only: health data (a pregnancy), deleted on unsubscribing.
    .addColumn('due_date', 'text')
    .addColumn('created_at', 'text', (column) => column.notNull())
    .addColumn('updated_at', 'text', (column) => column.notNull())
    .addUniqueConstraint('newsletters_subscriptions_user_list', ['user_id', 'list_key'])
    .execute();
  // Sending walks one list's subscribers.
  await db.schema
    .createIndex('newsletters_subscriptions_list')
    .on('newsletters_subscriptions')
    .columns(['list_key', 'id'])
    .execute();

  await db.schema
    .createTable('newsletters_babies')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('subscription_id', 'text', (column) =>
      column.notNull().references('newsletters_subscriptions.id').onDelete('cascade'),
    )
    // YYYY-MM-DD, Baby Monthly only; deleted with the subscription.
    .addColumn('birth_date', 'text', (column) => column.notNull())
    .addColumn('created_at', 'text', (column) => column.notNull())
    .execute();
  await db.schema
    .createIndex('newsletters_babies_subscription')
    .on('newsletters_babies')
    .columns(['subscription_id', 'birth_date'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('newsletters_babies').execute();
  await db.schema.dropTable('newsletters_subscriptions').execute();
  await db.schema.dropTable('newsletters_lists').execute();
}
