import type { Kysely } from 'kysely';

/**
 * Newsletter editions and their deliveries. An edition is one letter editors write: an issue of
 * a general list (sent on its date) or a life-stage edition keyed by its stage (the week of a
 * pregnancy, the month of a baby's age). A delivery records that one edition was queued for one
 * recipient (a subscription, or one baby of a Baby Monthly subscription); its unique key is what
 * makes sending exactly-once across repeated runs, restarts and concurrent processes.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('newsletters_editions')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('list_key', 'text', (column) => column.notNull().references('newsletters_lists.key'))
    // Pregnancy Weekly: the week (1–42); Baby Monthly: the month of age; general lists: null.
    .addColumn('stage', 'integer')
    // General lists: the day (YYYY-MM-DD) from which the issue goes out; null for life stages.
    .addColumn('send_on', 'text')
    .addColumn('subject', 'text', (column) => column.notNull())
    // Markdown; rendered to HTML and plain text at sending.
    .addColumn('body', 'text', (column) => column.notNull())
    // draft | ready: only ready editions are sent.
    .addColumn('status', 'text', (column) => column.notNull().defaultTo('draft'))
    .addColumn('created_at', 'text', (column) => column.notNull())
    .addColumn('updated_at', 'text', (column) => column.notNull())
    // One edition per stage of a list (nulls are distinct, so general issues are not limited).
    .addUniqueConstraint('newsletters_editions_list_stage', ['list_key', 'stage'])
    .execute();
  await db.schema
    .createIndex('newsletters_editions_list_send_on')
    .on('newsletters_editions')
    .columns(['list_key', 'send_on'])
    .execute();

  await db.schema
    .createTable('newsletters_deliveries')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('user_id', 'text', (column) =>
      column.notNull().references('accounts_users.id').onDelete('cascade'),
    )
    // The subscription's id, or the baby's id for Baby Monthly: no foreign key, because the
    // record that an edition went out must outlive an unsubscribe to keep a resubscription
    // from being sent the same letter about the same baby twice within the retention period.
    .addColumn('recipient_key', 'text', (column) => column.notNull())
    .addColumn('edition_id', 'text', (column) =>
      column.notNull().references('newsletters_editions.id').onDelete('cascade'),
    )
    .addColumn('created_at', 'text', (column) => column.notNull())
    .addUniqueConstraint('newsletters_deliveries_recipient_edition', [
      'recipient_key',
      'edition_id',
    ])
    .execute();
  // Erasure, export and retention find a member's or an old delivery by these.
  await db.schema
    .createIndex('newsletters_deliveries_user')
    .on('newsletters_deliveries')
    .columns(['user_id'])
    .execute();
  await db.schema
    .createIndex('newsletters_deliveries_created')
    .on('newsletters_deliveries')
    .columns(['created_at'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('newsletters_deliveries').execute();
  await db.schema.dropTable('newsletters_editions').execute();
}
