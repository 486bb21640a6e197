import type { Kysely } from 'kysely';

/**
 * Cookie consent (issue 6, points 1–5): `cookies_choices` keeps every choice made in the cookie
 * banner or settings, whole (purposes and partners, the version of the list shown, the Global
 * Privacy Control state), under the visitor's pseudonymous id and, when logged in, the member's
 * id. The consent ledger holds the per-purpose consents; this table is the record of the choice
 * as the visitor made it, whole, as one row. No foreign key to the member: the row is evidence
 * that outlives the account (Art. 7(1)), removed by retention.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('cookies_choices')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('visitor_id', 'text', (column) => column.notNull())
    .addColumn('member_id', 'text')
    // JSON arrays of purpose keys and partner ids that were allowed.
    .addColumn('purposes', 'text', (column) => column.notNull())
    .addColumn('partners', 'text', (column) => column.notNull())
    .addColumn('catalogue_version', 'text', (column) => column.notNull())
    // cmp | gpc
    .addColumn('method', 'text', (column) => column.notNull())
    // '' | honoured | opt-in
    .addColumn('gpc', 'text', (column) => column.notNull().defaultTo(''))
    .addColumn('at', 'text', (column) => column.notNull())
    .execute();
  await db.schema
    .createIndex('cookies_choices_visitor')
    .on('cookies_choices')
    .columns(['visitor_id', 'at'])
    .execute();
  await db.schema
    .createIndex('cookies_choices_member')
    .on('cookies_choices')
    .columns(['member_id', 'at'])
    .execute();
  await db.schema.createIndex('cookies_choices_at').on('cookies_choices').column('at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('cookies_choices').execute();
}
