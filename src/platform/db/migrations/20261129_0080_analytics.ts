import type { Kysely } from 'kysely';

/**
 * First-party analytics (issue 6, point 7; P29): counts only, and for one day at most the keyed
 * hashes that make daily unique visitors countable.
 *
 * - `analytics_page_views`: page views per route pattern and calendar day (in TIMEZONE).
 * - `analytics_daily_visitors`: unique visitors per calendar day, written when the day closes.
 * - `analytics_day_salts`: the random key of the current day, shared by every process; deleted
 *   when the day is over.
 * - `analytics_visitor_hashes`: the keyed hashes seen today, deleted once the day is counted.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('analytics_page_views')
    // YYYY-MM-DD, the calendar day in TIMEZONE.
    .addColumn('day', 'text', (column) => column.notNull())
    // A route pattern (`/forum/t/:id`): never a concrete URL, never a query string.
    .addColumn('path', 'text', (column) => column.notNull())
    .addColumn('views', 'integer', (column) => column.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('analytics_page_views_pk', ['day', 'path'])
    .execute();

  await db.schema
    .createTable('analytics_daily_visitors')
    .addColumn('day', 'text', (column) => column.primaryKey())
    .addColumn('visitors', 'integer', (column) => column.notNull().defaultTo(0))
    .addColumn('counted_at', 'text', (column) => column.notNull())
    .execute();

  await db.schema
    .createTable('analytics_day_salts')
    .addColumn('day', 'text', (column) => column.primaryKey())
    // 32 random bytes, base64url.
    .addColumn('salt', 'text', (column) => column.notNull())
    .addColumn('created_at', 'text', (column) => column.notNull())
    .execute();

  await db.schema
    .createTable('analytics_visitor_hashes')
    .addColumn('day', 'text', (column) => column.notNull())
    // HMAC-SHA256 under the day's salt, first 128 bits, base64url.
    .addColumn('hash', 'text', (column) => column.notNull())
    .addPrimaryKeyConstraint('analytics_visitor_hashes_pk', ['day', 'hash'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('analytics_visitor_hashes').execute();
  await db.schema.dropTable('analytics_day_salts').execute();
  await db.schema.dropTable('analytics_daily_visitors').execute();
  await db.schema.dropTable('analytics_page_views').execute();
}
