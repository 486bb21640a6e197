import { PostgresAdapter, sql, type Kysely } from 'kysely';

/**
 * A page version on each thread that the database itself moves on whenever anything shown on
 * the thread's pages changes: a post added, edited, hidden, restored, renamed by erasure or
 * anonymise-posts, deleted; a like given or taken back; a post quoted on the page renamed,
 * edited or hidden. The forum keeps rendered pages for anonymous visitors and checks this number
 * (read with the thread row it reads anyway) before serving one again.
 *
 * Triggers, rather than calls in the forum's code, so that every writer moves it: the web
 * process, the worker's erasure and retention jobs, the command line, another server.
 */
const DISPLAYED_POST_COLUMNS = 'author_name, body_html, is_hidden, edited_at, quoted_post_id';

export async function up(db: Kysely<unknown>): Promise<void> {
  const isPostgres = db.getExecutor().adapter instanceof PostgresAdapter;
  await db.schema
    .alterTable('forum_threads')
    .addColumn('page_version', 'integer', (column) => column.notNull().defaultTo(0))
    .execute();
  // The triggers find the threads quoting a changed post.
  await sql`create index forum_posts_quoted on forum_posts (quoted_post_id)
    where quoted_post_id is not null`.execute(db);

  if (isPostgres) {
    await sql`create function forum_posts_touch_threads() returns trigger language plpgsql as $$
      begin
        if tg_op = 'DELETE' then
          update forum_threads set page_version = page_version + 1
            where id = old.thread_id
               or id in (select thread_id from forum_posts where quoted_post_id = old.id);
          return old;
        end if;
        if tg_op = 'UPDATE' then
          update forum_threads set page_version = page_version + 1
            where id = new.thread_id
               or id = old.thread_id
               or id in (select thread_id from forum_posts where quoted_post_id = new.id);
          return new;
        end if;
        update forum_threads set page_version = page_version + 1 where id = new.thread_id;
        return new;
      end
    $$`.execute(db);
    await sql`create function forum_likes_touch_thread() returns trigger language plpgsql as $$
      begin
        update forum_threads set page_version = page_version + 1
          where id = (select thread_id from forum_posts
                      where id = case when tg_op = 'DELETE' then old.post_id else new.post_id end);
        return null;
      end
    $$`.execute(db);
    await sql`create trigger forum_posts_touch_rows after insert or delete on forum_posts
      for each row execute function forum_posts_touch_threads()`.execute(db);
    await sql`create trigger forum_posts_touch_update
      after update of ${sql.raw(DISPLAYED_POST_COLUMNS)} on forum_posts
      for each row execute function forum_posts_touch_threads()`.execute(db);
    await sql`create trigger forum_likes_touch after insert or delete on forum_likes
      for each row execute function forum_likes_touch_thread()`.execute(db);
    return;
  }

  await sql`create trigger forum_posts_touch_insert after insert on forum_posts begin
      update forum_threads set page_version = page_version + 1 where id = new.thread_id;
    end`.execute(db);
  await sql`create trigger forum_posts_touch_update
    after update of ${sql.raw(DISPLAYED_POST_COLUMNS)} on forum_posts begin
      update forum_threads set page_version = page_version + 1
        where id = new.thread_id
           or id = old.thread_id
           or id in (select thread_id from forum_posts where quoted_post_id = new.id);
    end`.execute(db);
  await sql`create trigger forum_posts_touch_delete after delete on forum_posts begin
      update forum_threads set page_version = page_version + 1
        where id = old.thread_id
           or id in (select thread_id from forum_posts where quoted_post_id = old.id);
    end`.execute(db);
  await sql`create trigger forum_likes_touch_insert after insert on forum_likes begin
      update forum_threads set page_version = page_version + 1
        where id = (select thread_id from forum_posts where id = new.post_id);
    end`.execute(db);
  await sql`create trigger forum_likes_touch_delete after delete on forum_likes begin
      update forum_threads set page_version = page_version + 1
        where id = (select thread_id from forum_posts where id = old.post_id);
    end`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const isPostgres = db.getExecutor().adapter instanceof PostgresAdapter;
  if (isPostgres) {
    await sql`drop trigger forum_likes_touch on forum_likes`.execute(db);
    await sql`drop trigger forum_posts_touch_update on forum_posts`.execute(db);
    await sql`drop trigger forum_posts_touch_rows on forum_posts`.execute(db);
    await sql`drop function forum_likes_touch_thread()`.execute(db);
    await sql`drop function forum_posts_touch_threads()`.execute(db);
  } else {
    for (const name of [
      'forum_likes_touch_delete',
      'forum_likes_touch_insert',
      'forum_posts_touch_delete',
      'forum_posts_touch_update',
      'forum_posts_touch_insert',
    ]) {
      await sql`drop trigger ${sql.id(name)}`.execute(db);
    }
  }
  await sql`drop index forum_posts_quoted`.execute(db);
  await db.schema.alterTable('forum_threads').dropColumn('page_version').execute();
}
