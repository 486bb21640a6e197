/**
 * The forum's page pieces: lists, posts with their quotes and actions, pagination. Post bodies
 * are sanitised HTML made at write time (forum.markdown.ts), the only HTML set unescaped; every
 * other text goes through Preact's escaping, quotes included.
 */
import type { ComponentChildren } from 'preact';
import { Button, Field, Form } from '../../platform/views/forms.js';
import type { Category, PostView, SearchHit, ThreadPage, ThreadSummary } from './forum.service.js';

export const FORUM_PAGE = '/forum';

export function threadPath(threadId: string, page = 1): string {
  return `/forum/threads/${threadId}${page > 1 ? `?page=${page}` : ''}`;
}

export function categoryPath(slug: string): string {
  return `/forum/categories/${slug}`;
}

/** "29 Nov 2026, 17:43" in the site's time zone. */
export type TimeFormatter = (iso: string) => string;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const HOUR_MS = 3_600_000;

function twoDigits(value: number): string {
  return value < 10 ? `0${value}` : String(value);
}

/**
 * A formatter for the site's time zone. `Intl.DateTimeFormat#format` costs several
 * microseconds a call, and a thread page shows 20 times or more, so the zone's UTC offset is
 * asked of Intl once per hour of time (zones change offset on the hour) and kept; the text is
 * then put together by hand, the same as Intl's `en-GB` medium date and short time.
 */
export function timeFormatter(timeZone: string): TimeFormatter {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    hourCycle: 'h23',
  });
  const offsets = new Map<number, number>();
  const offsetAt = (hour: number): number => {
    let offset = offsets.get(hour);
    if (offset === undefined) {
      const fields = parts.formatToParts(new Date(hour * HOUR_MS));
      const field = (type: Intl.DateTimeFormatPartTypes) =>
        Number(fields.find((part) => part.type === type)?.value ?? 0);
      const local = Date.UTC(
        field('year'),
        field('month') - 1,
        field('day'),
        field('hour'),
        field('minute'),
      );
      offset = local - hour * HOUR_MS;
      if (offsets.size > 100_000) offsets.clear();
      offsets.set(hour, offset);
    }
    return offset;
  };
  return (iso) => {
    const time = Date.parse(iso);
    if (Number.isNaN(time)) return iso;
    const local = new Date(time + offsetAt(Math.floor(time / HOUR_MS)));
    return `${local.getUTCDate()} ${MONTHS[local.getUTCMonth()] ?? ''} ${local.getUTCFullYear()}, ${twoDigits(local.getUTCHours())}:${twoDigits(local.getUTCMinutes())}`;
  };
}

export function Time(props: { iso: string; format: TimeFormatter }) {
  return <time dateTime={props.iso}>{props.format(props.iso)}</time>;
}

export function SearchForm(props: { query?: string }) {
  return (
    <Form method="get" action="/forum/search" label="Search the Coffeehouse">
      <Field name="q" label="Search the Coffeehouse" type="search" value={props.query} />
      <Button variant="secondary">Search</Button>
    </Form>
  );
}

export function CategoryList(props: { categories: readonly Category[]; format: TimeFormatter }) {
  if (props.categories.length === 0) return <p>There are no categories yet.</p>;
  return (
    <ul class="card-list">
      {props.categories.map((category) => (
        <li key={category.id} class="card">
          <h2>
            <a href={categoryPath(category.slug)}>{category.name}</a>
          </h2>
          {category.description ? <p>{category.description}</p> : null}
          <p>
            {category.threadCount === 1 ? '1 thread' : `${category.threadCount} threads`}
            {category.lastPostedAt ? (
              <>
                {' · latest post '}
                <Time iso={category.lastPostedAt} format={props.format} />
              </>
            ) : null}
          </p>
        </li>
      ))}
    </ul>
  );
}

export function ThreadList(props: { threads: readonly ThreadSummary[]; format: TimeFormatter }) {
  if (props.threads.length === 0) return <p>No threads here yet. Start the first one.</p>;
  return (
    <ul class="card-list">
      {props.threads.map((thread) => (
        <li key={thread.id} class="card">
          <h2>
            <a href={threadPath(thread.id)}>{thread.title}</a>
          </h2>
          <p>
            Started by {thread.authorName} ·{' '}
            {thread.postCount === 1 ? '1 post' : `${thread.postCount} posts`} · latest{' '}
            <Time iso={thread.lastPostedAt} format={props.format} />
          </p>
        </li>
      ))}
    </ul>
  );
}

export function Pagination(props: {
  page: number;
  pageCount: number;
  href: (page: number) => string;
}) {
  if (props.pageCount <= 1) return null;
  return (
    <nav aria-label="Pages of this thread" class="actions">
      {props.page > 1 ? <a href={props.href(props.page - 1)}>Previous page</a> : null}
      <span>
        Page {props.page} of {props.pageCount}
      </span>
      {props.page < props.pageCount ? <a href={props.href(props.page + 1)}>Next page</a> : null}
    </nav>
  );
}

/** A tiny form with one button, for acts on a post (like, hide, restore). */
export function ActionButton(props: {
  action: string;
  csrfToken: string;
  children: ComponentChildren;
  variant?: 'primary' | 'secondary' | 'warning';
  label: string;
}) {
  return (
    <Form action={props.action} csrfToken={props.csrfToken} label={props.label} class="actions">
      <Button variant={props.variant ?? 'secondary'}>{props.children}</Button>
    </Form>
  );
}

export interface PostViewer {
  isMember: boolean;
  isModerator: boolean;
  /** Only for members: forms need it. */
  csrfToken: string | null;
}

export function Post(props: { post: PostView; viewer: PostViewer; format: TimeFormatter }) {
  const { post, viewer } = props;
  const headingId = `post-${post.position}-by`;
  return (
    <article id={`post-${post.position}`} class="card" aria-labelledby={headingId}>
      <h2 id={headingId}>
        {post.authorName}
        <span class="visually-hidden"> wrote, post {post.position}</span>
      </h2>
      <p>
        <Time iso={post.createdAt} format={props.format} />
        {post.editedAt ? ' · edited' : null}
        {post.hidden ? <strong class="status-tag"> Hidden by a moderator</strong> : null}
      </p>
      {post.quote ? (
        <blockquote>
          <p>
            {post.quote.hidden ? (
              <>Quoting a post that was hidden by a moderator.</>
            ) : (
              <>
                {post.quote.href ? (
                  <a href={post.quote.href}>{post.quote.authorName} wrote:</a>
                ) : (
                  <>{post.quote.authorName} wrote:</>
                )}{' '}
                {post.quote.excerpt}
              </>
            )}
          </p>
        </blockquote>
      ) : null}
      {post.html !== '' ? (
        <div dangerouslySetInnerHTML={{ __html: post.html }} />
      ) : (
        <p>This post was hidden by a moderator.</p>
      )}
      <p>{post.likes === 1 ? '1 like' : `${post.likes} likes`}</p>
      <PostActions post={post} viewer={viewer} />
    </article>
  );
}

function PostActions(props: { post: PostView; viewer: PostViewer }) {
  const { post, viewer } = props;
  const token = viewer.csrfToken;
  if (!viewer.isMember || token === null) return null;
  const label = `post ${post.position} by ${post.authorName}`;
  return (
    <div class="actions">
      {!post.hidden ? (
        <>
          <ActionButton
            action={`/forum/posts/${post.id}/like`}
            csrfToken={token}
            label={`Like ${label}`}
          >
            {post.likedByViewer ? 'Unlike' : 'Like'}
            <span class="visually-hidden"> {label}</span>
          </ActionButton>
          <a href={`/forum/threads/${post.threadId}/reply?quote=${post.id}`}>
            Reply with a quote<span class="visually-hidden"> of {label}</span>
          </a>
          <a href={`/forum/posts/${post.id}/report`}>
            Report<span class="visually-hidden"> {label}</span>
          </a>
        </>
      ) : null}
      {post.canEdit ? (
        <a href={`/forum/posts/${post.id}/edit`}>
          Edit<span class="visually-hidden"> {label}</span>
        </a>
      ) : null}
      {viewer.isModerator ? (
        <>
          <a href={`/forum/posts/${post.id}/history`}>
            History<span class="visually-hidden"> of {label}</span>
          </a>
          <ActionButton
            action={`/forum/posts/${post.id}/${post.hidden ? 'restore' : 'hide'}`}
            csrfToken={token}
            label={`${post.hidden ? 'Restore' : 'Hide'} ${label}`}
            variant="warning"
          >
            {post.hidden ? 'Restore' : 'Hide'}
            <span class="visually-hidden"> {label}</span>
          </ActionButton>
        </>
      ) : null}
    </div>
  );
}

export function SearchResults(props: { hits: readonly SearchHit[]; format: TimeFormatter }) {
  return (
    <ol class="card-list">
      {props.hits.map((hit) => (
        <li key={hit.postId} class="card">
          <h2>
            <a href={hit.href}>{hit.threadTitle}</a>
          </h2>
          <p>
            {hit.authorName} · <Time iso={hit.createdAt} format={props.format} />
          </p>
          <p>{hit.excerpt}</p>
        </li>
      ))}
    </ol>
  );
}

export function threadPageTitle(title: string, page: number): string {
  return page > 1 ? `${title} (page ${page})` : title;
}

/** A page of a thread: its place, title, 20 posts, pagination and the way to reply. */
export function ThreadPageBody(props: {
  threadPage: ThreadPage;
  viewer: PostViewer;
  format: TimeFormatter;
}) {
  const { thread, page, pageCount, posts } = props.threadPage;
  const { viewer } = props;
  const pageHref = (number: number) => threadPath(thread.id, number);
  return (
    <>
      <p>
        <a href={FORUM_PAGE}>The Coffeehouse</a> ›{' '}
        <a href={categoryPath(thread.category_slug)}>{thread.category_name}</a>
      </p>
      <h1>{thread.title}</h1>
      {thread.is_hidden === 1 ? (
        <p class="panel">This thread is hidden: only moderators see it.</p>
      ) : null}
      <Pagination page={page} pageCount={pageCount} href={pageHref} />
      {posts.map((post) => (
        <Post key={post.id} post={post} viewer={viewer} format={props.format} />
      ))}
      <Pagination page={page} pageCount={pageCount} href={pageHref} />
      {viewer.isMember && thread.is_hidden === 0 ? (
        <p>
          <a class="button button--primary" href={`/forum/threads/${thread.id}/reply`}>
            Reply
          </a>
        </p>
      ) : null}
      {!viewer.isMember ? (
        <p>
          <a href={`/login?next=${encodeURIComponent(threadPath(thread.id, page))}`}>Log in</a> to
          reply.
        </p>
      ) : null}
    </>
  );
}
