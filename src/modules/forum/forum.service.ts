/**
 * What the forum's routes, pages, jobs and seed call: categories, threads, posts, quotes, likes,
 * edits with their history, and search. Moderation lives in forum.moderation.ts.
 *
 * Names (P37): a post records the name its author wrote under (`authorNameForNewContent`: the
 * username, or the anonymous username while switched on) and is shown with it for good. Quotes
 * show the quoted post's name as recorded *now*, so an anonymised post is quoted as "former
 * member" too (P42).
 */
import { sql } from 'kysely';
import type { DbExecutor } from '../../platform/db/database.js';
import { newId } from '../../platform/db/ids.js';
import { toDbTime } from '../../platform/db/portable.js';
import { AppError } from '../../platform/http/errors.js';
import {
  hasSearchTerms,
  insertSearchDocument,
  matchingDocuments,
  upsertSearchDocument,
  type SearchIndex,
} from '../../platform/search/fulltext.js';
import { appendAudit, inTransaction } from '../../privacy/audit/audit.service.js';
import { authorNameForNewContent } from '../accounts/index.js';
import { excerptOf, MAX_BODY_LENGTH, plainTextOf, renderPostBody } from './forum.markdown.js';
import {
  claimNextPosition,
  forumTables,
  insertPostRow,
  selectPost,
  selectPostsByPosition,
  selectThread,
  type PostRow,
  type ThreadRow,
} from './forum.queries.js';
import { assertNotSuspended } from './forum.reports.js';

export const POSTS_PER_PAGE = 20;
/** An author may edit a post this long after writing it; moderators at any time. */
export const EDIT_WINDOW_MS = 30 * 60 * 1000;
export const MAX_TITLE_LENGTH = 150;
export const SEARCH_INDEX: SearchIndex = { table: 'forum_search', keyColumn: 'post_id' };

export interface Actor {
  id: string;
  isModerator: boolean;
}

// ---------------------------------------------------------------------------------------------
// Categories

export interface Category {
  id: string;
  slug: string;
  name: string;
  description: string;
  position: number;
  threadCount: number;
  lastPostedAt: string | null;
}

export async function listCategories(db: DbExecutor): Promise<Category[]> {
  const rows = await forumTables(db)
    .selectFrom('forum_categories as c')
    .select([
      'c.id',
      'c.slug',
      'c.name',
      'c.description',
      'c.position',
      sql<number>`(select count(*) from forum_threads t
        where t.category_id = c.id and t.is_hidden = 0)`.as('thread_count'),
      sql<string | null>`(select max(t.last_posted_at) from forum_threads t
        where t.category_id = c.id and t.is_hidden = 0)`.as('last_posted_at'),
    ])
    .orderBy('c.position')
    .orderBy('c.id')
    .execute();
  return rows.map((row) => ({
    id: row.id,
    slug: row.slug,
    name: row.name,
    description: row.description,
    position: row.position,
    threadCount: Number(row.thread_count),
    lastPostedAt: row.last_posted_at,
  }));
}

export function findCategory(db: DbExecutor, idOrSlug: string) {
  return forumTables(db)
    .selectFrom('forum_categories')
    .selectAll()
    .where((eb) => eb.or([eb('id', '=', idOrSlug), eb('slug', '=', idOrSlug)]))
    .executeTakeFirst();
}

export interface CategoryInput {
  name: string;
  description: string;
}

function categoryErrors(input: CategoryInput): Record<string, string> {
  const errors: Record<string, string> = {};
  const name = input.name.trim();
  if (name.length === 0) errors.name = 'Enter a name.';
  else if (name.length > 80) errors.name = 'Keep the name under 80 characters.';
  if (input.description.length > 500)
    errors.description = 'Keep the description under 500 characters.';
  return errors;
}

function slugOf(name: string): string {
  const slug = name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
  return slug === '' ? 'category' : slug;
}

function invalid(message: string, fields: Record<string, string>): AppError {
  return new AppError('validation_failed', message, { fields });
}

/** Staff add a category at the end of the list; audited. */
export async function createCategory(
  db: DbExecutor,
  staffId: string,
  input: CategoryInput,
  now: Date = new Date(),
): Promise<{ id: string; slug: string }> {
  const errors = categoryErrors(input);
  if (Object.keys(errors).length > 0) throw invalid('The category needs fixing.', errors);
  return inTransaction(db, async (trx) => {
    const tables = forumTables(trx);
    const base = slugOf(input.name);
    let slug = base;
    for (let suffix = 2; await findCategory(trx, slug); suffix += 1) slug = `${base}-${suffix}`;
    const last = await tables
      .selectFrom('forum_categories')
      .select(sql<number | null>`max(position)`.as('position'))
      .executeTakeFirst();
    const id = newId();
    const at = toDbTime(now);
    await tables
      .insertInto('forum_categories')
      .values({
        id,
        slug,
        name: input.name.trim(),
        description: input.description.trim(),
        position: Number(last?.position ?? 0) + 1,
        created_at: at,
        updated_at: at,
      })
      .execute();
    await appendAudit(trx, {
      action: 'forum.category-created',
      actorId: staffId,
      detail: { categoryId: id },
    });
    return { id, slug };
  });
}

/** Staff rename or describe a category (its address stays); audited. */
export async function updateCategory(
  db: DbExecutor,
  staffId: string,
  categoryId: string,
  input: CategoryInput,
  now: Date = new Date(),
): Promise<void> {
  const errors = categoryErrors(input);
  if (Object.keys(errors).length > 0) throw invalid('The category needs fixing.', errors);
  await inTransaction(db, async (trx) => {
    const result = await forumTables(trx)
      .updateTable('forum_categories')
      .set({
        name: input.name.trim(),
        description: input.description.trim(),
        updated_at: toDbTime(now),
      })
      .where('id', '=', categoryId)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) {
      throw new AppError('not_found', 'There is no such category.');
    }
    await appendAudit(trx, {
      action: 'forum.category-updated',
      actorId: staffId,
      detail: { categoryId },
    });
  });
}

/** Staff move a category one place up or down the list; audited. */
export async function moveCategory(
  db: DbExecutor,
  staffId: string,
  categoryId: string,
  direction: 'up' | 'down',
): Promise<void> {
  await inTransaction(db, async (trx) => {
    const tables = forumTables(trx);
    const all = await tables
      .selectFrom('forum_categories')
      .select(['id', 'position'])
      .orderBy('position')
      .orderBy('id')
      .execute();
    const index = all.findIndex((category) => category.id === categoryId);
    if (index === -1) throw new AppError('not_found', 'There is no such category.');
    const other = direction === 'up' ? index - 1 : index + 1;
    if (other < 0 || other >= all.length) return;
    const order = all.map((category) => category.id);
    [order[index], order[other]] = [order[other] as string, order[index] as string];
    for (const [position, id] of order.entries()) {
      await tables
        .updateTable('forum_categories')
        .set({ position: position + 1 })
        .where('id', '=', id)
        .execute();
    }
    await appendAudit(trx, {
      action: 'forum.category-moved',
      actorId: staffId,
      detail: { categoryId, direction },
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Threads

export interface ThreadSummary {
  id: string;
  title: string;
  authorName: string;
  postCount: number;
  createdAt: string;
  lastPostedAt: string;
}

interface ThreadCursor {
  at: string;
  id: string;
}

export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function decodeCursor<T>(cursor: string, check: (value: unknown) => value is T): T {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (check(value)) return value;
  } catch {
    // fall through to the error below
  }
  throw invalid('The cursor is not one this list gave out.', { cursor: 'Unknown cursor.' });
}

function isThreadCursor(value: unknown): value is ThreadCursor {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ThreadCursor).at === 'string' &&
    typeof (value as ThreadCursor).id === 'string'
  );
}

/** A category's visible threads, latest activity first, `limit` at a time. */
export async function listThreads(
  db: DbExecutor,
  categoryId: string,
  options: { limit: number; cursor?: string | undefined },
): Promise<{ items: ThreadSummary[]; nextCursor?: string }> {
  let query = forumTables(db)
    .selectFrom('forum_threads')
    .select(['id', 'title', 'author_name', 'post_count', 'created_at', 'last_posted_at'])
    .where('category_id', '=', categoryId)
    .where('is_hidden', '=', 0);
  if (options.cursor) {
    const after = decodeCursor(options.cursor, isThreadCursor);
    query = query.where((eb) =>
      eb.or([
        eb('last_posted_at', '<', after.at),
        eb.and([eb('last_posted_at', '=', after.at), eb('id', '<', after.id)]),
      ]),
    );
  }
  const rows = await query
    .orderBy('last_posted_at', 'desc')
    .orderBy('id', 'desc')
    .limit(options.limit + 1)
    .execute();
  const page = rows.slice(0, options.limit);
  const last = page.at(-1);
  return {
    items: page.map((row) => ({
      id: row.id,
      title: row.title,
      authorName: row.author_name,
      postCount: Number(row.post_count),
      createdAt: row.created_at,
      lastPostedAt: row.last_posted_at,
    })),
    ...(rows.length > options.limit && last
      ? { nextCursor: encodeCursor({ at: last.last_posted_at, id: last.id }) }
      : {}),
  };
}

export interface NewThread {
  categoryId: string;
  title: string;
  body: string;
}

function bodyErrors(body: string): Record<string, string> {
  if (body.trim().length === 0) return { body: 'Write something first.' };
  if (body.length > MAX_BODY_LENGTH)
    return { body: `Keep it under ${MAX_BODY_LENGTH.toLocaleString('en-GB')} characters.` };
  return {};
}

/** A member starts a thread: the thread and its opening post, under the name they use now. */
export async function createThread(
  db: DbExecutor,
  authorId: string,
  input: NewThread,
  context: { ip: string | null; now?: Date },
): Promise<{ threadId: string; postId: string }> {
  const title = input.title.trim().replace(/\s+/g, ' ');
  const errors: Record<string, string> = { ...bodyErrors(input.body) };
  if (title.length === 0) errors.title = 'Give the thread a title.';
  else if (title.length > MAX_TITLE_LENGTH)
    errors.title = `Keep the title under ${MAX_TITLE_LENGTH} characters.`;
  if (Object.keys(errors).length > 0) throw invalid('The thread needs fixing.', errors);
  const html = renderPostBody(input.body);
  const now = context.now ?? new Date();
  return inTransaction(db, async (trx) => {
    const category = await findCategory(trx, input.categoryId);
    if (!category) {
      throw invalid('Choose a category.', { categoryId: 'There is no such category.' });
    }
    await assertNotSuspended(trx, authorId, now);
    const authorName = await authorNameForNewContent(trx, authorId);
    const threadId = newId();
    const postId = newId();
    const at = toDbTime(now);
    await forumTables(trx)
      .insertInto('forum_threads')
      .values({
        id: threadId,
        category_id: category.id,
        author_id: authorId,
        author_name: authorName,
        title,
        post_count: 1,
        is_hidden: 0,
        created_at: at,
        last_posted_at: at,
      })
      .execute();
    await insertPostRow(trx, {
      id: postId,
      threadId,
      position: 1,
      authorId,
      authorName,
      body: input.body,
      html,
      quotedPostId: null,
      ip: context.ip,
      at,
    });
    await insertSearchDocument(trx, SEARCH_INDEX, postId, { title, body: plainTextOf(html) });
    return { threadId, postId };
  });
}

export interface NewReply {
  body: string;
  quotedPostId?: string | null | undefined;
}

/** A member replies to a thread, optionally quoting a visible post. */
export async function createReply(
  db: DbExecutor,
  authorId: string,
  threadId: string,
  input: NewReply,
  context: { ip: string | null; now?: Date },
): Promise<{ postId: string; position: number; post: PostView }> {
  const errors = bodyErrors(input.body);
  if (Object.keys(errors).length > 0) throw invalid('The reply needs fixing.', errors);
  const html = renderPostBody(input.body);
  const now = context.now ?? new Date();
  const quotedPostId = input.quotedPostId ?? null;
  return inTransaction(db, async (trx) => {
    await assertNotSuspended(trx, authorId, now);
    let quote: QuoteView | null = null;
    if (quotedPostId !== null) {
      const quoted = await selectPost(trx, quotedPostId);
      if (!quoted || quoted.is_hidden === 1) {
        throw invalid('That post cannot be quoted.', {
          quotedPostId: 'There is no such post to quote.',
        });
      }
      quote = {
        postId: quoted.id,
        authorName: quoted.author_name,
        excerpt: excerptOf(plainTextOf(quoted.body_html)),
        hidden: false,
        href: postHref(quoted.thread_id, quoted.position),
      };
    }
    const authorName = await authorNameForNewContent(trx, authorId);
    const at = toDbTime(now);
    // Takes the position only in a visible thread: a hidden or unknown one matches no row.
    const position = await claimNextPosition(trx, threadId, at);
    if (position === undefined) throw new AppError('not_found', 'There is no such thread.');
    const postId = newId();
    await insertPostRow(trx, {
      id: postId,
      threadId,
      position,
      authorId,
      authorName,
      body: input.body,
      html,
      quotedPostId,
      ip: context.ip,
      at,
    });
    await insertSearchDocument(trx, SEARCH_INDEX, postId, { title: '', body: plainTextOf(html) });
    const post: PostView = {
      id: postId,
      threadId,
      position,
      authorId,
      authorName,
      html,
      hidden: false,
      createdAt: at,
      editedAt: null,
      quote,
      likes: 0,
      likedByViewer: false,
      canEdit: true,
    };
    return { postId, position, post };
  });
}

// ---------------------------------------------------------------------------------------------
// Reading

export interface QuoteView {
  postId: string;
  /** The quoted post's name as recorded now ("former member" once anonymised). */
  authorName: string;
  excerpt: string;
  hidden: boolean;
  href: string | null;
}

export interface PostView {
  id: string;
  threadId: string;
  position: number;
  authorId: string | null;
  authorName: string;
  /** Sanitised HTML; empty when hidden from this viewer. */
  html: string;
  hidden: boolean;
  createdAt: string;
  editedAt: string | null;
  quote: QuoteView | null;
  likes: number;
  likedByViewer: boolean;
  /** True when this viewer may edit the post now. */
  canEdit: boolean;
}

export function pageOfPosition(position: number): number {
  return Math.floor((position - 1) / POSTS_PER_PAGE) + 1;
}

export function postHref(threadId: string, position: number): string {
  const page = pageOfPosition(position);
  return `/forum/threads/${threadId}${page > 1 ? `?page=${page}` : ''}#post-${position}`;
}

function canEditPost(
  post: { author_id: string | null; created_at: string; is_hidden: number },
  viewer: Actor | null,
  now: Date,
): boolean {
  if (!viewer) return false;
  if (viewer.isModerator) return true;
  return (
    post.author_id === viewer.id &&
    post.is_hidden === 0 &&
    now.getTime() - Date.parse(post.created_at) <= EDIT_WINDOW_MS
  );
}

/** Quote excerpts by the quoted HTML they are made from (a pure function of it), most recent last. */
const quoteExcerpts = new Map<string, string>();
const QUOTE_EXCERPTS_KEPT = 2000;

/** The excerpt of a quoted post's opening HTML, remembered: popular posts are quoted often. */
function quoteExcerptOf(quotedHtml: string): string {
  let excerpt = quoteExcerpts.get(quotedHtml);
  if (excerpt === undefined) {
    excerpt = excerptOf(plainTextOf(quotedHtml.replace(/<[^>]*$/, '')));
    if (quoteExcerpts.size >= QUOTE_EXCERPTS_KEPT) {
      const oldest = quoteExcerpts.keys().next().value;
      if (oldest !== undefined) quoteExcerpts.delete(oldest);
    }
    quoteExcerpts.set(quotedHtml, excerpt);
  }
  return excerpt;
}

function toPostView(row: PostRow, viewer: Actor | null, now: Date): PostView {
  const hiddenFromViewer = row.is_hidden === 1 && !viewer?.isModerator;
  let quote: QuoteView | null = null;
  if (row.quoted_post_id !== null) {
    const quotedHidden = row.quoted_is_hidden === null || row.quoted_is_hidden === 1;
    quote = {
      postId: row.quoted_post_id,
      authorName: row.quoted_author_name ?? 'a removed post',
      excerpt: quotedHidden ? '' : quoteExcerptOf(row.quoted_html ?? ''),
      hidden: quotedHidden,
      href:
        row.quoted_thread_id !== null && row.quoted_position !== null
          ? postHref(row.quoted_thread_id, row.quoted_position)
          : null,
    };
  }
  return {
    id: row.id,
    threadId: row.thread_id,
    position: row.position,
    authorId: row.author_id,
    authorName: row.author_name,
    html: hiddenFromViewer ? '' : row.body_html,
    hidden: row.is_hidden === 1,
    createdAt: row.created_at,
    editedAt: row.edited_at,
    quote: hiddenFromViewer ? null : quote,
    likes: row.like_count,
    likedByViewer: row.liked_by_viewer > 0,
    canEdit: canEditPost(row, viewer, now),
  };
}

export interface ThreadPage {
  thread: ThreadRow;
  page: number;
  pageCount: number;
  posts: PostView[];
}

/**
 * One page of a thread (20 posts): two statements, the thread with its category, then the
 * posts with names, quotes and likes. A hidden thread is shown to moderators only.
 */
export async function readThreadPage(
  db: DbExecutor,
  threadId: string,
  page: number,
  viewer: Actor | null,
  now: Date = new Date(),
): Promise<ThreadPage | undefined> {
  const thread = await selectThread(db, threadId);
  if (!thread || !threadVisibleTo(thread, viewer)) return undefined;
  return readPageOfThread(db, thread, page, viewer, now);
}

export function threadVisibleTo(thread: ThreadRow, viewer: Actor | null): boolean {
  return thread.is_hidden === 0 || viewer?.isModerator === true;
}

/** The page number actually shown for a requested one: 1 to the thread's last page. */
export function threadPageNumber(thread: ThreadRow, page: number): number {
  const pageCount = Math.max(1, Math.ceil(thread.post_count / POSTS_PER_PAGE));
  return Math.min(Math.max(1, page), pageCount);
}

/** A page of a thread already read (and found visible to the viewer). */
export async function readPageOfThread(
  db: DbExecutor,
  thread: ThreadRow,
  page: number,
  viewer: Actor | null,
  now: Date = new Date(),
): Promise<ThreadPage> {
  const pageCount = Math.max(1, Math.ceil(thread.post_count / POSTS_PER_PAGE));
  const current = threadPageNumber(thread, page);
  const first = (current - 1) * POSTS_PER_PAGE + 1;
  const rows = await selectPostsByPosition(
    db,
    thread.id,
    first,
    first + POSTS_PER_PAGE - 1,
    viewer?.id ?? null,
  );
  return {
    thread,
    page: current,
    pageCount,
    posts: rows.map((row) => toPostView(row, viewer, now)),
  };
}

/** Posts of a thread after `afterPosition`, for the API's cursor. */
export async function listPosts(
  db: DbExecutor,
  threadId: string,
  options: { limit: number; afterPosition: number },
  viewer: Actor | null,
  now: Date = new Date(),
): Promise<{ thread: ThreadRow; items: PostView[]; nextPosition?: number } | undefined> {
  const thread = await selectThread(db, threadId);
  if (!thread || !threadVisibleTo(thread, viewer)) return undefined;
  const rows = await selectPostsByPosition(
    db,
    threadId,
    options.afterPosition + 1,
    options.afterPosition + options.limit,
    viewer?.id ?? null,
  );
  const items = rows.map((row) => toPostView(row, viewer, now));
  const last = items.at(-1);
  return {
    thread,
    items,
    ...(last && last.position < thread.post_count ? { nextPosition: last.position } : {}),
  };
}

/** One post as its viewer sees it (for the edit form and the API). */
export async function readPost(
  db: DbExecutor,
  postId: string,
  viewer: Actor | null,
  now: Date = new Date(),
): Promise<(PostView & { body: string }) | undefined> {
  const post = await selectPost(db, postId);
  if (!post) return undefined;
  const [row] = await selectPostsByPosition(
    db,
    post.thread_id,
    post.position,
    post.position,
    viewer?.id ?? null,
  );
  if (!row) return undefined;
  if (row.is_hidden === 1 && !viewer?.isModerator) return undefined;
  return { ...toPostView(row, viewer, now), body: post.body };
}

/** As `readPost`, for a post the request names: an unknown or hidden one is a 404. */
export async function requirePost(
  db: DbExecutor,
  postId: string,
  viewer: Actor | null,
): Promise<PostView & { body: string }> {
  const post = await readPost(db, postId, viewer);
  if (!post) throw new AppError('not_found', 'There is no such post.');
  return post;
}

// ---------------------------------------------------------------------------------------------
// Editing

/**
 * The author edits within the window, a moderator at any time. The text before the edit goes
 * to the post's history (moderators only); a moderator's edit is audited.
 */
export async function editPost(
  db: DbExecutor,
  editor: Actor,
  postId: string,
  body: string,
  now: Date = new Date(),
): Promise<void> {
  const errors = bodyErrors(body);
  if (Object.keys(errors).length > 0) throw invalid('The post needs fixing.', errors);
  const html = renderPostBody(body);
  await inTransaction(db, async (trx) => {
    const post = await selectPost(trx, postId);
    if (!post) throw new AppError('not_found', 'There is no such post.');
    if (!editor.isModerator && post.author_id !== editor.id) {
      throw new AppError('forbidden', 'Only the author or a moderator can edit this post.');
    }
    if (!canEditPost(post, editor, now)) {
      throw new AppError(
        'forbidden',
        'Posts can be edited for 30 minutes after they are written. Ask a moderator for a change.',
      );
    }
    if (!editor.isModerator) await assertNotSuspended(trx, editor.id, now);
    if (post.body === body) return;
    const tables = forumTables(trx);
    const at = toDbTime(now);
    const byStaff = editor.isModerator && post.author_id !== editor.id;
    await tables
      .insertInto('forum_post_revisions')
      .values({
        id: newId(),
        post_id: post.id,
        body: post.body,
        edited_by_staff: byStaff ? 1 : 0,
        edited_at: at,
      })
      .execute();
    await tables
      .updateTable('forum_posts')
      .set({ body, body_html: html, edited_at: at })
      .where('id', '=', post.id)
      .execute();
    const title =
      post.position === 1
        ? ((
            await tables
              .selectFrom('forum_threads')
              .select('title')
              .where('id', '=', post.thread_id)
              .executeTakeFirst()
          )?.title ?? '')
        : '';
    await upsertSearchDocument(trx, SEARCH_INDEX, post.id, { title, body: plainTextOf(html) });
    if (byStaff) {
      await appendAudit(trx, {
        action: 'forum.post-edited-by-staff',
        actorId: editor.id,
        subjectId: post.author_id,
        detail: { postId: post.id },
      });
    }
  });
}

export interface Revision {
  id: string;
  body: string;
  editedByStaff: boolean;
  editedAt: string;
}

/** A post's earlier versions, newest first: for moderators only, and the look is audited. */
export async function listRevisions(
  db: DbExecutor,
  staffId: string,
  postId: string,
): Promise<Revision[]> {
  return inTransaction(db, async (trx) => {
    const post = await selectPost(trx, postId);
    if (!post) throw new AppError('not_found', 'There is no such post.');
    const rows = await forumTables(trx)
      .selectFrom('forum_post_revisions')
      .select(['id', 'body', 'edited_by_staff', 'edited_at'])
      .where('post_id', '=', postId)
      .orderBy('edited_at', 'desc')
      .orderBy('id', 'desc')
      .execute();
    await appendAudit(trx, {
      action: 'forum.revisions-viewed',
      actorId: staffId,
      subjectId: post.author_id,
      detail: { postId },
    });
    return rows.map((row) => ({
      id: row.id,
      body: row.body,
      editedByStaff: row.edited_by_staff === 1,
      editedAt: row.edited_at,
    }));
  });
}

// ---------------------------------------------------------------------------------------------
// Likes

/** Likes or unlikes a visible post (one like per member per post). */
export async function setLike(
  db: DbExecutor,
  memberId: string,
  postId: string,
  liked: boolean | 'toggle',
  now: Date = new Date(),
): Promise<{ liked: boolean; likes: number }> {
  return inTransaction(db, async (trx) => {
    const post = await selectPost(trx, postId);
    if (!post || post.is_hidden === 1) throw new AppError('not_found', 'There is no such post.');
    const tables = forumTables(trx);
    const existing = await tables
      .selectFrom('forum_likes')
      .select('post_id')
      .where('post_id', '=', postId)
      .where('member_id', '=', memberId)
      .executeTakeFirst();
    const want = liked === 'toggle' ? !existing : liked;
    if (want && !existing) {
      await tables
        .insertInto('forum_likes')
        .values({ post_id: postId, member_id: memberId, created_at: toDbTime(now) })
        .onConflict((conflict) => conflict.columns(['post_id', 'member_id']).doNothing())
        .execute();
    } else if (!want && existing) {
      await tables
        .deleteFrom('forum_likes')
        .where('post_id', '=', postId)
        .where('member_id', '=', memberId)
        .execute();
    }
    const count = await tables
      .selectFrom('forum_likes')
      .select(sql<number>`count(*)`.as('count'))
      .where('post_id', '=', postId)
      .executeTakeFirst();
    return { liked: want, likes: Number(count?.count ?? 0) };
  });
}

// ---------------------------------------------------------------------------------------------
// Search

export interface SearchHit {
  postId: string;
  threadId: string;
  threadTitle: string;
  position: number;
  authorName: string;
  excerpt: string;
  createdAt: string;
  href: string;
}

export const SEARCH_PAGE_SIZE = 20;

/**
 * Visible posts (and, through their opening post, threads by title) matching `text`, best
 * first, `limit` at a time from `offset`.
 */
export async function searchForum(
  db: DbExecutor,
  text: string,
  options: { limit: number; offset: number },
): Promise<{ items: SearchHit[]; nextOffset?: number }> {
  if (!hasSearchTerms(text)) return { items: [] };
  const matches = matchingDocuments(db, SEARCH_INDEX, text);
  const rows = await forumTables(db)
    .selectFrom(sql<{ search_key: string; rank: number }>`${matches}`.as('m'))
    .innerJoin('forum_posts as p', 'p.id', 'm.search_key')
    .innerJoin('forum_threads as t', 't.id', 'p.thread_id')
    .select([
      'p.id',
      'p.thread_id',
      'p.position',
      'p.author_name',
      'p.created_at',
      sql<string>`substr(p.body_html, 1, 1200)`.as('html'),
      't.title',
    ])
    .where('p.is_hidden', '=', 0)
    .where('t.is_hidden', '=', 0)
    .orderBy('m.rank', 'desc')
    .orderBy('p.id')
    .limit(options.limit + 1)
    .offset(options.offset)
    .execute();
  const page = rows.slice(0, options.limit);
  return {
    items: page.map((row) => ({
      postId: row.id,
      threadId: row.thread_id,
      threadTitle: row.title,
      position: row.position,
      authorName: row.author_name,
      excerpt: excerptOf(plainTextOf(row.html.replace(/<[^>]*$/, '')), 240),
      createdAt: row.created_at,
      href: postHref(row.thread_id, row.position),
    })),
    ...(rows.length > options.limit ? { nextOffset: options.offset + options.limit } : {}),
  };
}
