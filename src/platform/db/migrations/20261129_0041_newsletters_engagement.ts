import { sql, type Kysely } from 'kysely';

/**
 * Newsletters, engagement without tracking (issue 8, points 6, 7; P38):
 *
 * - `last_engaged_at` on each subscription: the last time the member opened Hearth logged in or
 *   followed a signed link in a letter (never an open: there are no pixels). Existing rows start
 *   from their `created_at`, so nobody is treated as lapsed by the upgrade itself.
 * - `engagement_warned_at`: when the "still want this?" mail went, 30 days before removal;
 *   cleared by any engagement.
 * - `suspended_at`: set by a hard bounce or a complaint; sending skips suspended subscriptions.
 * - `newsletters_bounces`: the bounces and complaints recorded against a member.
 * - `newsletters_link_counts`: followed links counted per list, path and day, naming nobody.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('newsletters_subscriptions')
    .addColumn('last_engaged_at', 'text')
    .execute();
  await db.schema
    .alterTable('newsletters_subscriptions')
    .addColumn('engagement_warned_at', 'text')
    .execute();
  await db.schema
    .alterTable('newsletters_subscriptions')
    .addColumn('suspended_at', 'text')
    .execute();
  await sql`update newsletters_subscriptions set last_engaged_at = created_at`.execute(db);
  // The daily review walks subscriptions by their last engagement.
  await db.schema
    .createIndex('newsletters_subscriptions_engaged')
    .on('newsletters_subscriptions')
    .columns(['last_engaged_at', 'id'])
    .execute();

  await db.schema
    .createTable('newsletters_bounces')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('user_id', 'text', (column) =>
      column.notNull().references('accounts_users.id').onDelete('cascade'),
    )
    // hard | complaint
    .addColumn('kind', 'text', (column) => column.notNull())
    .addColumn('recorded_at', 'text', (column) => column.notNull())
    .execute();
  await db.schema
    .createIndex('newsletters_bounces_user')
    .on('newsletters_bounces')
    .columns(['user_id', 'recorded_at'])
    .execute();

  await db.schema
    .createTable('newsletters_link_counts')
    .addColumn('list_key', 'text', (column) => column.notNull())
    // The path followed, on this site (query strings dropped: they could carry anything).
    .addColumn('target', 'text', (column) => column.notNull())
    // YYYY-MM-DD (UTC)
    .addColumn('day', 'text', (column) => column.notNull())
    .addColumn('count', 'integer', (column) => column.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('newsletters_link_counts_pk', ['list_key', 'target', 'day'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('newsletters_link_counts').execute();
  await db.schema.dropTable('newsletters_bounces').execute();
  await db.schema.dropIndex('newsletters_subscriptions_engaged').execute();
  await db.schema.alterTable('newsletters_subscriptions').dropColumn('suspended_at').execute();
  await db.schema
    .alterTable('newsletters_subscriptions')
    .dropColumn('engagement_warned_at')
    .execute();
  await db.schema.alterTable('newsletters_subscriptions').dropColumn('last_engaged_at').execute();
}
