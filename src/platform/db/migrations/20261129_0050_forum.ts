import { PostgresAdapter, sql, type Kysely } from 'kysely';

/**
 * The Coffeehouse forum (issue 7): categories, threads, posts with their quotes and edit
 * history, likes, reports from members, moderators' sanctions, and the full-text index.
 *
 * - Posts carry `position`, their 1-based place in the thread, so a page of 20 is one range
 *   read on (thread_id, position) rather than an OFFSET scan.
 * - `author_name` is the name the post was written under (P37), never looked up again; on
 *   erasure and anonymise-posts it becomes a neutral label (P42).
 * - `body_html` is the sanitised rendering, made once at write time so that reading a page
 *   renders nothing.
 * - The search index is a derived copy of thread titles and post text. SQLite: an FTS5 table
 *   (engine-managed shadow tables). PostgreSQL: a table of tsvectors with a GIN index. It holds
 *   no author names, so anonymising a post leaves nothing behind in it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const isPostgres = db.getExecutor().adapter instanceof PostgresAdapter;

  await db.schema
    .createTable('forum_categories')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('slug', 'text', (column) => column.notNull().unique())
    .addColumn('name', 'text', (column) => column.notNull())
    .addColumn('description', 'text', (column) => column.notNull().defaultTo(''))
    .addColumn('position', 'integer', (column) => column.notNull())
    .addColumn('created_at', 'text', (column) => column.notNull())
    .addColumn('updated_at', 'text', (column) => column.notNull())
    .execute();

  await db.schema
    .createTable('forum_threads')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('category_id', 'text', (column) =>
      column.notNull().references('forum_categories.id'),
    )
    // Null once the thread no longer belongs to anyone (erasure, anonymise-posts).
    .addColumn('author_id', 'text', (column) =>
      column.references('accounts_users.id').onDelete('set null'),
    )
    .addColumn('author_name', 'text', (column) => column.notNull())
    .addColumn('title', 'text', (column) => column.notNull())
    .addColumn('post_count', 'integer', (column) => column.notNull().defaultTo(0))
    .addColumn('is_hidden', 'integer', (column) => column.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (column) => column.notNull())
    .addColumn('last_posted_at', 'text', (column) => column.notNull())
    .execute();
  // A category page lists its threads by latest activity.
  await db.schema
    .createIndex('forum_threads_category_activity')
    .on('forum_threads')
    .columns(['category_id', 'last_posted_at', 'id'])
    .execute();
  await db.schema
    .createIndex('forum_threads_author')
    .on('forum_threads')
    .column('author_id')
    .execute();

  await db.schema
    .createTable('forum_posts')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('thread_id', 'text', (column) => column.notNull().references('forum_threads.id'))
    .addColumn('position', 'integer', (column) => column.notNull())
    .addColumn('author_id', 'text', (column) =>
      column.references('accounts_users.id').onDelete('set null'),
    )
    .addColumn('author_name', 'text', (column) => column.notNull())
    // The Markdown the author wrote, and its sanitised HTML.
    .addColumn('body', 'text', (column) => column.notNull())
    .addColumn('body_html', 'text', (column) => column.notNull())
    // No foreign key: a quote keeps pointing at a post whatever happens to it, and the reader
    // shows what the quoted post shows now (its recorded name, its hidden state).
    .addColumn('quoted_post_id', 'text')
    .addColumn('ip_address', 'text')
    .addColumn('is_hidden', 'integer', (column) => column.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (column) => column.notNull())
    .addColumn('edited_at', 'text')
    .execute();
  await db.schema
    .createIndex('forum_posts_thread_position')
    .on('forum_posts')
    .columns(['thread_id', 'position'])
    .unique()
    .execute();
  await db.schema
    .createIndex('forum_posts_author')
    .on('forum_posts')
    .columns(['author_id', 'created_at'])
    .execute();
  // The 90-day IP rule reads posts by age.
  await db.schema
    .createIndex('forum_posts_created')
    .on('forum_posts')
    .columns(['created_at', 'id'])
    .execute();

  await db.schema
    .createTable('forum_post_revisions')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('post_id', 'text', (column) =>
      column.notNull().references('forum_posts.id').onDelete('cascade'),
    )
    // The Markdown as it was before this edit.
    .addColumn('body', 'text', (column) => column.notNull())
    // 1 when staff made the edit, 0 when the author did (who exactly is in the audit log).
    .addColumn('edited_by_staff', 'integer', (column) => column.notNull().defaultTo(0))
    .addColumn('edited_at', 'text', (column) => column.notNull())
    .execute();
  await db.schema
    .createIndex('forum_post_revisions_post')
    .on('forum_post_revisions')
    .columns(['post_id', 'edited_at'])
    .execute();

  await db.schema
    .createTable('forum_likes')
    .addColumn('post_id', 'text', (column) =>
      column.notNull().references('forum_posts.id').onDelete('cascade'),
    )
    .addColumn('member_id', 'text', (column) =>
      column.notNull().references('accounts_users.id').onDelete('cascade'),
    )
    .addColumn('created_at', 'text', (column) => column.notNull())
    .addPrimaryKeyConstraint('forum_likes_pk', ['post_id', 'member_id'])
    .execute();
  await db.schema.createIndex('forum_likes_member').on('forum_likes').column('member_id').execute();

  await db.schema
    .createTable('forum_reports')
    .addColumn('id', 'text', (column) => column.primaryKey())
    // `post`, `message`, or any kind registered with registerReportTarget.
    .addColumn('kind', 'text', (column) => column.notNull())
    .addColumn('target_id', 'text', (column) => column.notNull())
    .addColumn('reporter_id', 'text', (column) =>
      column.references('accounts_users.id').onDelete('set null'),
    )
    .addColumn('reason', 'text', (column) => column.notNull())
    // open | closed
    .addColumn('status', 'text', (column) => column.notNull().defaultTo('open'))
    // hidden | dismissed | restored (set when closed)
    .addColumn('outcome', 'text')
    .addColumn('created_at', 'text', (column) => column.notNull())
    .addColumn('closed_at', 'text')
    .execute();
  await db.schema
    .createIndex('forum_reports_queue')
    .on('forum_reports')
    .columns(['status', 'created_at'])
    .execute();
  await db.schema
    .createIndex('forum_reports_target')
    .on('forum_reports')
    .columns(['kind', 'target_id'])
    .execute();
  await db.schema
    .createIndex('forum_reports_reporter')
    .on('forum_reports')
    .column('reporter_id')
    .execute();

  await db.schema
    .createTable('forum_sanctions')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('member_id', 'text', (column) =>
      column.notNull().references('accounts_users.id').onDelete('cascade'),
    )
    // warning | suspension
    .addColumn('kind', 'text', (column) => column.notNull())
    .addColumn('reason', 'text', (column) => column.notNull())
    .addColumn('created_at', 'text', (column) => column.notNull())
    // Suspensions only: the member may post again from this time.
    .addColumn('ends_at', 'text')
    .addColumn('lifted_at', 'text')
    .execute();
  await db.schema
    .createIndex('forum_sanctions_member')
    .on('forum_sanctions')
    .columns(['member_id', 'kind', 'ends_at'])
    .execute();

  if (isPostgres) {
    await db.schema
      .createTable('forum_search')
      .addColumn('post_id', 'text', (column) =>
        column.primaryKey().references('forum_posts.id').onDelete('cascade'),
      )
      .addColumn('document', sql`tsvector`, (column) => column.notNull())
      .execute();
    await sql`create index forum_search_document on forum_search using gin (document)`.execute(db);
  } else {
    // FTS5 keeps its own copy of the indexed text (forum_search_content) next to the index;
    // `post_id` is stored unindexed to join back to the post.
    await sql`create virtual table forum_search using fts5(
      post_id unindexed, title, body, tokenize = 'porter unicode61'
    )`.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('forum_search').execute();
  await db.schema.dropTable('forum_sanctions').execute();
  await db.schema.dropTable('forum_reports').execute();
  await db.schema.dropTable('forum_likes').execute();
  await db.schema.dropTable('forum_post_revisions').execute();
  await db.schema.dropTable('forum_posts').execute();
  await db.schema.dropTable('forum_threads').execute();
  await db.schema.dropTable('forum_categories').execute();
}
