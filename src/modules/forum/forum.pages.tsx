/**
 * The Coffeehouse pages: categories, a category's threads, a thread (20 posts a page), starting
 * a thread, replying (with a quote), editing, reporting, likes, search, and for moderators the
 * hide/restore buttons and a post's history. Forms post and redirect, and work without
 * JavaScript; a form with mistakes comes back with its messages (422).
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ComponentChildren } from 'preact';
import { AppError } from '../../platform/http/errors.js';
import {
  readFormValues,
  type FieldErrors,
  type FormValues,
} from '../../platform/views/form-input.js';
import { Button, ErrorSummary, Field, Form, Select, valueOf } from '../../platform/views/forms.js';
import { RenderedHtml, renderFragment } from '../../platform/views/layout.js';
import {
  getCurrentMember,
  memberOnly,
  requireMember,
  type CurrentMember,
} from '../accounts/index.js';
import { hidePost, isModerator, restorePost } from './forum.moderation.js';
import { fileReport } from './forum.reports.js';
import { actorOf } from './forum.routes.js';
import {
  createReply,
  createThread,
  editPost,
  findCategory,
  listCategories,
  listRevisions,
  listThreads,
  pageOfPosition,
  postHref,
  readPost,
  requirePost,
  readPageOfThread,
  readThreadPage,
  searchForum,
  setLike,
  SEARCH_PAGE_SIZE,
  threadPageNumber,
  threadVisibleTo,
  type Actor,
} from './forum.service.js';
import { RenderedPageCache, threadStamp } from './forum.page-cache.js';
import { selectThread } from './forum.queries.js';
import {
  CategoryList,
  FORUM_PAGE,
  SearchForm,
  SearchResults,
  ThreadList,
  ThreadPageBody,
  threadPageTitle,
  threadPath,
  Time,
  timeFormatter,
} from './forum.views.js';

function text(values: FormValues, name: string): string {
  return valueOf(values, name) ?? '';
}

function pageNumber(raw: unknown): number {
  const value = typeof raw === 'string' ? Number.parseInt(raw, 10) : 1;
  return Number.isFinite(value) && value > 0 ? Math.min(value, 100_000) : 1;
}

/** Runs a write; its field errors come back as the form again instead of an error page. */
async function saving<T>(
  write: () => Promise<T>,
  showAgain: (errors: FieldErrors) => Promise<FastifyReply>,
): Promise<{ ok: true; value: T } | { ok: false; reply: FastifyReply }> {
  try {
    return { ok: true, value: await write() };
  } catch (error) {
    if (error instanceof AppError && error.fields) {
      return { ok: false, reply: await showAgain(error.fields) };
    }
    if (error instanceof AppError && error.code === 'forbidden') {
      return { ok: false, reply: await showAgain({ body: error.message }) };
    }
    throw error;
  }
}

export const forumPages: FastifyPluginAsync = (app) => {
  const format = timeFormatter(app.config.timezone);
  const visitorPages = new RenderedPageCache(app.config.forumPageCacheMb * 1024 * 1024);

  const memberOf = async (request: FastifyRequest): Promise<CurrentMember> => {
    const member = await getCurrentMember(request);
    if (!member) throw new AppError('unauthenticated', 'Please log in first.');
    return member;
  };

  const viewerOf = (member: CurrentMember | null, request: FastifyRequest) => ({
    isMember: member !== null,
    isModerator: member !== null && member.secondFactorPassed && isModerator(member.roles),
    csrfToken: member ? request.csrfToken() : null,
  });

  // ------------------------------------------------------------------------------------------
  // Reading

  app.get(FORUM_PAGE, async (request, reply) => {
    const member = await getCurrentMember(request);
    const categories = await listCategories(app.db);
    return reply.page(
      'The Coffeehouse',
      <>
        <h1>The Coffeehouse</h1>
        <p class="lead">Talk with other parents. Be kind: real people read every post.</p>
        {member ? (
          <p>
            <a class="button button--primary" href="/forum/new">
              Start a thread
            </a>
          </p>
        ) : (
          <p>
            <a href="/login?next=%2Fforum">Log in</a> or <a href="/register">join Hearth</a> to
            post.
          </p>
        )}
        <SearchForm />
        <CategoryList categories={categories} format={format} />
      </>,
      { description: 'The Coffeehouse: the Hearth forum for parents.' },
    );
  });

  app.get<{ Params: { slug: string }; Querystring: { cursor?: string } }>(
    '/forum/categories/:slug',
    async (request, reply) => {
      const category = await findCategory(app.db, request.params.slug);
      if (!category) throw new AppError('not_found', 'There is no such category.');
      const member = await getCurrentMember(request);
      const cursor = typeof request.query.cursor === 'string' ? request.query.cursor : undefined;
      const threads = await listThreads(app.db, category.id, { limit: 30, cursor });
      return reply.page(
        category.name,
        <>
          <p>
            <a href={FORUM_PAGE}>The Coffeehouse</a>
          </p>
          <h1>{category.name}</h1>
          {category.description ? <p class="lead">{category.description}</p> : null}
          {member ? (
            <p>
              <a class="button button--primary" href={`/forum/new?category=${category.id}`}>
                Start a thread in {category.name}
              </a>
            </p>
          ) : null}
          <ThreadList threads={threads.items} format={format} />
          {threads.nextCursor ? (
            <p>
              <a
                href={`/forum/categories/${category.slug}?cursor=${encodeURIComponent(threads.nextCursor)}`}
              >
                Older threads
              </a>
            </p>
          ) : null}
        </>,
      );
    },
  );

  app.get<{ Params: { id: string }; Querystring: { page?: string } }>(
    '/forum/threads/:id',
    async (request, reply) => {
      const member = await getCurrentMember(request);
      const actor = actorOf(member);
      const thread = await selectThread(app.db, request.params.id);
      if (!thread || !threadVisibleTo(thread, actor)) {
        throw new AppError('not_found', 'There is no such thread.');
      }
      const page = threadPageNumber(thread, pageNumber(request.query.page));
      const title = threadPageTitle(thread.title, page);
      const render = async () => (
        <ThreadPageBody
          threadPage={await readPageOfThread(app.db, thread, page, actor)}
          viewer={viewerOf(member, request)}
          format={format}
        />
      );
      if (member) return reply.page(title, await render());
      // A visitor's page is the same for every visitor: kept rendered until the thread changes.
      const key = `${thread.id}:${page}`;
      const stamp = threadStamp(thread);
      let body = visitorPages.get(key, stamp);
      if (body === undefined) {
        body = renderFragment(await render()).html;
        visitorPages.set(key, stamp, body);
      }
      return reply.page(title, new RenderedHtml(body));
    },
  );

  app.get<{ Querystring: { q?: string; page?: string } }>(
    '/forum/search',
    async (request, reply) => {
      const query = typeof request.query.q === 'string' ? request.query.q.slice(0, 200) : '';
      const page = pageNumber(request.query.page);
      const result =
        query.trim() === ''
          ? { items: [] }
          : await searchForum(app.db, query, {
              limit: SEARCH_PAGE_SIZE,
              offset: Math.min(page - 1, 500) * SEARCH_PAGE_SIZE,
            });
      const href = (number: number) =>
        `/forum/search?q=${encodeURIComponent(query)}${number > 1 ? `&page=${number}` : ''}`;
      return reply.page(
        query ? `Search: ${query}` : 'Search the Coffeehouse',
        <>
          <p>
            <a href={FORUM_PAGE}>The Coffeehouse</a>
          </p>
          <h1>Search the Coffeehouse</h1>
          <SearchForm query={query} />
          {query.trim() !== '' && result.items.length === 0 ? (
            <p role="status">Nothing found for “{query}”.</p>
          ) : null}
          <SearchResults hits={result.items} format={format} />
          {page > 1 || 'nextOffset' in result ? (
            <nav aria-label="Pages of results" class="actions">
              {page > 1 ? <a href={href(page - 1)}>Previous results</a> : null}
              {'nextOffset' in result ? <a href={href(page + 1)}>More results</a> : null}
            </nav>
          ) : null}
        </>,
      );
    },
  );

  // ------------------------------------------------------------------------------------------
  // Writing

  const sendForm = async (
    request: FastifyRequest,
    reply: FastifyReply,
    title: string,
    body: ComponentChildren,
    errors?: FieldErrors,
  ) => {
    const member = await memberOf(request);
    return reply.page(title, body, {
      user: { displayName: member.displayName, isStaff: member.isStaff },
      ...(errors ? { errors } : {}),
    });
  };

  const NameNote = (props: { member: CurrentMember }) => (
    <p>
      You are posting as <strong>{props.member.displayName}</strong>
      {props.member.usesAnonymousName ? ' (your anonymous username)' : ''}. You can switch between
      your username and an anonymous one in <a href="/account">your account</a>.
    </p>
  );

  const newThreadPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    values: FormValues,
    errors?: FieldErrors,
  ) => {
    const member = await memberOf(request);
    const categories = await listCategories(app.db);
    return sendForm(
      request,
      reply,
      'Start a thread',
      <>
        <p>
          <a href={FORUM_PAGE}>The Coffeehouse</a>
        </p>
        <h1>Start a thread</h1>
        <ErrorSummary errors={errors} />
        <NameNote member={member} />
        <Form action="/forum/new" csrfToken={request.csrfToken()} label="New thread">
          <Select
            name="categoryId"
            label="Category"
            required
            options={categories.map((category) => ({ value: category.id, label: category.name }))}
            value={valueOf(values, 'categoryId')}
            error={errors?.categoryId}
          />
          <Field
            name="title"
            label="Title"
            required
            value={valueOf(values, 'title')}
            error={errors?.title}
          />
          <Field
            name="body"
            label="Your post"
            type="textarea"
            rows={10}
            required
            hint="Markdown works: **bold**, *italic*, lists, > quotes and links."
            value={valueOf(values, 'body')}
            error={errors?.body}
          />
          <Button>Post the thread</Button>
        </Form>
      </>,
      errors,
    );
  };

  app.get<{ Querystring: { category?: string } }>(
    '/forum/new',
    { preHandler: memberOnly },
    (request, reply) =>
      newThreadPage(request, reply, {
        categoryId: typeof request.query.category === 'string' ? request.query.category : '',
      }),
  );

  app.post('/forum/new', { preHandler: memberOnly }, async (request, reply) => {
    const member = await memberOf(request);
    const values = readFormValues(request.body);
    const result = await saving(
      () =>
        createThread(
          app.db,
          member.id,
          {
            categoryId: text(values, 'categoryId'),
            title: text(values, 'title'),
            body: text(values, 'body'),
          },
          { ip: request.ip },
        ),
      (errors) => newThreadPage(request, reply, values, errors),
    );
    if (!result.ok) return result.reply;
    return reply.redirect(threadPath(result.value.threadId), 303);
  });

  const replyPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    threadId: string,
    values: FormValues,
    errors?: FieldErrors,
  ) => {
    const member = await memberOf(request);
    const actor = actorOf(member);
    const threadPage = await readThreadPage(app.db, threadId, 1, actor);
    if (!threadPage || threadPage.thread.is_hidden === 1) {
      throw new AppError('not_found', 'There is no such thread.');
    }
    const quotedId = valueOf(values, 'quotedPostId') ?? '';
    const quoted = quotedId ? await readPost(app.db, quotedId, actor) : undefined;
    return sendForm(
      request,
      reply,
      `Reply: ${threadPage.thread.title}`,
      <>
        <p>
          <a href={threadPath(threadId)}>Back to the thread</a>
        </p>
        <h1>Reply to “{threadPage.thread.title}”</h1>
        <ErrorSummary errors={errors} />
        <NameNote member={member} />
        {quoted && !quoted.hidden ? (
          <blockquote>
            <p>
              Quoting {quoted.authorName}:{' '}
              {quoted.body.length > 300 ? `${quoted.body.slice(0, 300)}…` : quoted.body}
            </p>
          </blockquote>
        ) : null}
        <Form
          action={`/forum/threads/${threadId}/reply`}
          csrfToken={request.csrfToken()}
          label="Reply"
        >
          {quoted && !quoted.hidden ? (
            <input type="hidden" name="quotedPostId" value={quoted.id} />
          ) : null}
          <Field
            name="body"
            label="Your reply"
            type="textarea"
            rows={8}
            required
            hint="Markdown works: **bold**, *italic*, lists, > quotes and links."
            value={valueOf(values, 'body')}
            error={errors?.body ?? errors?.quotedPostId}
          />
          <Button>Post the reply</Button>
        </Form>
      </>,
      errors,
    );
  };

  app.get<{ Params: { id: string }; Querystring: { quote?: string } }>(
    '/forum/threads/:id/reply',
    { preHandler: memberOnly },
    (request, reply) =>
      replyPage(request, reply, request.params.id, {
        quotedPostId: typeof request.query.quote === 'string' ? request.query.quote : '',
      }),
  );

  app.post<{ Params: { id: string } }>(
    '/forum/threads/:id/reply',
    { preHandler: memberOnly },
    async (request, reply) => {
      const member = await memberOf(request);
      const values = readFormValues(request.body);
      const quoted = text(values, 'quotedPostId');
      const result = await saving(
        () =>
          createReply(
            app.db,
            member.id,
            request.params.id,
            { body: text(values, 'body'), quotedPostId: quoted === '' ? null : quoted },
            { ip: request.ip },
          ),
        (errors) => replyPage(request, reply, request.params.id, values, errors),
      );
      if (!result.ok) return result.reply;
      return reply.redirect(postHref(request.params.id, result.value.position), 303);
    },
  );

  const editPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    postId: string,
    values: FormValues | null,
    errors?: FieldErrors,
  ) => {
    const member = await memberOf(request);
    const post = await requirePost(app.db, postId, actorOf(member));
    if (!post.canEdit && !errors) {
      throw new AppError(
        'forbidden',
        'Posts can be edited for 30 minutes after they are written. Ask a moderator for a change.',
      );
    }
    return sendForm(
      request,
      reply,
      'Edit your post',
      <>
        <p>
          <a href={postHref(post.threadId, post.position)}>Back to the thread</a>
        </p>
        <h1>Edit the post</h1>
        <ErrorSummary errors={errors} />
        <p>The earlier text is kept, and only moderators can see it.</p>
        <Form action={`/forum/posts/${post.id}/edit`} csrfToken={request.csrfToken()} label="Edit">
          <Field
            name="body"
            label="Post"
            type="textarea"
            rows={10}
            required
            value={values ? valueOf(values, 'body') : post.body}
            error={errors?.body}
          />
          <Button>Save the post</Button>
        </Form>
      </>,
      errors,
    );
  };

  app.get<{ Params: { id: string } }>(
    '/forum/posts/:id/edit',
    { preHandler: memberOnly },
    (request, reply) => editPage(request, reply, request.params.id, null),
  );

  app.post<{ Params: { id: string } }>(
    '/forum/posts/:id/edit',
    { preHandler: memberOnly },
    async (request, reply) => {
      const member = await memberOf(request);
      const values = readFormValues(request.body);
      const actor = actorOf(member) as Actor;
      const result = await saving(
        () => editPost(app.db, actor, request.params.id, text(values, 'body')),
        (errors) => editPage(request, reply, request.params.id, values, errors),
      );
      if (!result.ok) return result.reply;
      const post = await requirePost(app.db, request.params.id, actor);
      return reply.redirect(postHref(post.threadId, post.position), 303);
    },
  );

  app.post<{ Params: { id: string } }>(
    '/forum/posts/:id/like',
    { preHandler: memberOnly },
    async (request, reply) => {
      const member = await memberOf(request);
      await setLike(app.db, member.id, request.params.id, 'toggle');
      const post = await requirePost(app.db, request.params.id, actorOf(member));
      return reply.redirect(postHref(post.threadId, post.position), 303);
    },
  );

  const reportPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    postId: string,
    values: FormValues,
    errors?: FieldErrors,
  ) => {
    const member = await memberOf(request);
    const post = await requirePost(app.db, postId, actorOf(member));
    return sendForm(
      request,
      reply,
      'Report a post',
      <>
        <p>
          <a href={postHref(post.threadId, post.position)}>Back to the thread</a>
        </p>
        <h1>Report a post by {post.authorName}</h1>
        <ErrorSummary errors={errors} />
        <p>The moderators read every report. The author is not told who reported the post.</p>
        <Form
          action={`/forum/posts/${post.id}/report`}
          csrfToken={request.csrfToken()}
          label="Report"
        >
          <Field
            name="reason"
            label="What is wrong with this post?"
            type="textarea"
            rows={4}
            required
            value={valueOf(values, 'reason')}
            error={errors?.reason}
          />
          <Button variant="warning">Send the report</Button>
        </Form>
      </>,
      errors,
    );
  };

  app.get<{ Params: { id: string } }>(
    '/forum/posts/:id/report',
    { preHandler: memberOnly },
    (request, reply) => reportPage(request, reply, request.params.id, {}),
  );

  app.post<{ Params: { id: string } }>(
    '/forum/posts/:id/report',
    { preHandler: memberOnly },
    async (request, reply) => {
      const member = await memberOf(request);
      const values = readFormValues(request.body);
      const post = await requirePost(app.db, request.params.id, actorOf(member));
      const result = await saving(
        () =>
          fileReport(app.db, {
            kind: 'post',
            targetId: post.id,
            reporterId: member.id,
            reason: text(values, 'reason'),
          }),
        (errors) => reportPage(request, reply, request.params.id, values, errors),
      );
      if (!result.ok) return result.reply;
      return reply.redirect(`/forum/posts/${post.id}/reported`, 303);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/forum/posts/:id/reported',
    { preHandler: memberOnly },
    async (request, reply) => {
      const member = await memberOf(request);
      const post = await readPost(app.db, request.params.id, actorOf(member));
      return sendForm(
        request,
        reply,
        'Report sent',
        <>
          <h1>Thank you: your report is with the moderators</h1>
          <p>They will look at the post and act if it breaks the community guidelines.</p>
          {post ? (
            <p>
              <a href={postHref(post.threadId, post.position)}>Back to the thread</a>
            </p>
          ) : (
            <p>
              <a href={FORUM_PAGE}>Back to the Coffeehouse</a>
            </p>
          )}
        </>,
      );
    },
  );

  // ------------------------------------------------------------------------------------------
  // Moderators on the thread page

  const moderatorOf = async (request: FastifyRequest, reply: FastifyReply) => {
    const member = await requireMember(request, reply);
    if (!member) return null;
    if (!member.secondFactorPassed || !isModerator(member.roles)) {
      throw new AppError('forbidden', 'Only moderators can do this.');
    }
    return member;
  };

  for (const act of ['hide', 'restore'] as const) {
    app.post<{ Params: { id: string } }>(
      `/forum/posts/:id/${act}`,
      { preHandler: memberOnly },
      async (request, reply) => {
        const moderator = await moderatorOf(request, reply);
        if (!moderator) return reply;
        const post = await requirePost(app.db, request.params.id, actorOf(moderator));
        if (act === 'hide') await hidePost(app.db, post.id, moderator.id);
        else await restorePost(app.db, post.id, moderator.id);
        return reply.redirect(postHref(post.threadId, post.position), 303);
      },
    );
  }

  app.get<{ Params: { id: string } }>(
    '/forum/posts/:id/history',
    { preHandler: memberOnly },
    async (request, reply) => {
      const moderator = await moderatorOf(request, reply);
      if (!moderator) return reply;
      const post = await requirePost(app.db, request.params.id, actorOf(moderator));
      const revisions = await listRevisions(app.db, moderator.id, post.id);
      return sendForm(
        request,
        reply,
        'Post history',
        <>
          <p>
            <a href={postHref(post.threadId, post.position)}>Back to the thread</a>
          </p>
          <h1>History of a post by {post.authorName}</h1>
          <p>
            Page {pageOfPosition(post.position)}, post {post.position}. Viewing this history is
            recorded in the audit log.
          </p>
          <h2>Now</h2>
          <pre>{post.body}</pre>
          {revisions.length === 0 ? <p>The post has not been edited.</p> : null}
          {revisions.map((revision) => (
            <section key={revision.id} aria-labelledby={`revision-${revision.id}`}>
              <h2 id={`revision-${revision.id}`}>
                Before the edit of <Time iso={revision.editedAt} format={format} />
                {revision.editedByStaff ? ' (edited by a moderator)' : ' (edited by the author)'}
              </h2>
              <pre>{revision.body}</pre>
            </section>
          ))}
        </>,
      );
    },
  );

  return Promise.resolve();
};
