/**
 * The forum API (`/api/v1/forum/…`): categories, threads, posts, likes, reports and search.
 * Reading is open to everyone; writing needs a member (session cookie or Bearer token). Lists
 * take `?limit=&cursor=` and answer `{ items, nextCursor }`.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { AppError, errorResponses } from '../../platform/http/errors.js';
import {
  getCurrentMember,
  memberOnly,
  requireMember,
  type CurrentMember,
} from '../accounts/index.js';
import { isModerator } from './forum.moderation.js';
import type { ThreadRow } from './forum.queries.js';
import { fileReport } from './forum.reports.js';
import {
  CategoriesResponseSchema,
  EditPostBodySchema,
  IdParamsSchema,
  LikeResponseSchema,
  ListQuerySchema,
  NewPostBodySchema,
  NewThreadBodySchema,
  NewThreadResponseSchema,
  PostListResponseSchema,
  PostSchema,
  ReportBodySchema,
  ReportResponseSchema,
  SearchQuerySchema,
  SearchResponseSchema,
  ThreadListResponseSchema,
} from './forum.schemas.js';
import {
  createReply,
  createThread,
  decodeCursor,
  editPost,
  encodeCursor,
  findCategory,
  listCategories,
  listPosts,
  listThreads,
  requirePost,
  searchForum,
  setLike,
  type Actor,
  type PostView,
} from './forum.service.js';

const MEMBER_SECURITY: { [scheme: string]: string[] }[] = [{ bearer: [] }, { cookie: [] }];

/** The member as the forum sees them: moderators count only with the second factor passed. */
export function actorOf(member: CurrentMember | null): Actor | null {
  if (!member) return null;
  return {
    id: member.id,
    isModerator: member.secondFactorPassed && isModerator(member.roles),
  };
}

export async function currentActor(request: FastifyRequest): Promise<Actor | null> {
  return actorOf(await getCurrentMember(request));
}

export function threadJson(thread: ThreadRow) {
  return {
    id: thread.id,
    categoryId: thread.category_id,
    categoryName: thread.category_name,
    title: thread.title,
    authorName: thread.author_name,
    postCount: Number(thread.post_count),
    hidden: thread.is_hidden === 1,
    createdAt: thread.created_at,
    lastPostedAt: thread.last_posted_at,
  };
}

export function postJson(post: PostView) {
  return {
    id: post.id,
    threadId: post.threadId,
    position: post.position,
    authorName: post.authorName,
    html: post.html,
    hidden: post.hidden,
    createdAt: post.createdAt,
    editedAt: post.editedAt,
    quote: post.quote
      ? {
          postId: post.quote.postId,
          authorName: post.quote.authorName,
          excerpt: post.quote.excerpt,
          hidden: post.quote.hidden,
        }
      : null,
    likes: post.likes,
    likedByMe: post.likedByViewer,
    canEdit: post.canEdit,
  };
}

function isPosition(value: unknown): value is { after: number } {
  return (
    typeof value === 'object' &&
    value !== null &&
    Number.isInteger((value as { after: unknown }).after) &&
    (value as { after: number }).after >= 0
  );
}

function isOffset(value: unknown): value is { offset: number } {
  return (
    typeof value === 'object' &&
    value !== null &&
    Number.isInteger((value as { offset: unknown }).offset) &&
    (value as { offset: number }).offset >= 0 &&
    (value as { offset: number }).offset <= 10_000
  );
}

export const forumRoutes: FastifyPluginAsync = (fastify) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/api/v1/forum/categories',
    {
      schema: {
        summary: 'The forum categories',
        tags: ['forum'],
        response: { 200: CategoriesResponseSchema },
      },
    },
    async () => {
      const categories = await listCategories(app.db);
      return {
        items: categories.map(({ id, slug, name, description, threadCount, lastPostedAt }) => ({
          id,
          slug,
          name,
          description,
          threadCount,
          lastPostedAt,
        })),
      };
    },
  );

  app.get(
    '/api/v1/forum/categories/:id/threads',
    {
      schema: {
        summary: 'Threads of a category, latest activity first',
        tags: ['forum'],
        params: IdParamsSchema,
        querystring: ListQuerySchema,
        response: { 200: ThreadListResponseSchema, ...errorResponses(400, 404) },
      },
    },
    async (request) => {
      const category = await findCategory(app.db, request.params.id);
      if (!category) throw new AppError('not_found', 'There is no such category.');
      return listThreads(app.db, category.id, {
        limit: request.query.limit ?? 20,
        cursor: request.query.cursor,
      });
    },
  );

  app.post(
    '/api/v1/forum/threads',
    {
      preHandler: memberOnly,
      schema: {
        summary: 'Start a thread',
        description:
          'Creates the thread and its opening post under the name the member uses now (their username, or their anonymous username while switched on).',
        tags: ['forum'],
        security: MEMBER_SECURITY,
        body: NewThreadBodySchema,
        response: { 201: NewThreadResponseSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const member = await requireMember(request, reply);
      if (!member) return reply;
      const created = await createThread(app.db, member.id, request.body, { ip: request.ip });
      const listed = await listPosts(
        app.db,
        created.threadId,
        { limit: 1, afterPosition: 0 },
        actorOf(member),
      );
      const post = listed?.items[0];
      if (!listed || !post) throw new AppError('not_found', 'There is no such thread.');
      return reply.code(201).send({ thread: threadJson(listed.thread), post: postJson(post) });
    },
  );

  app.get(
    '/api/v1/forum/threads/:id/posts',
    {
      schema: {
        summary: 'Posts of a thread, in order',
        tags: ['forum'],
        params: IdParamsSchema,
        querystring: ListQuerySchema,
        response: { 200: PostListResponseSchema, ...errorResponses(400, 404) },
      },
    },
    async (request) => {
      const after = request.query.cursor ? decodeCursor(request.query.cursor, isPosition).after : 0;
      const listed = await listPosts(
        app.db,
        request.params.id,
        { limit: request.query.limit ?? 20, afterPosition: after },
        await currentActor(request),
      );
      if (!listed) throw new AppError('not_found', 'There is no such thread.');
      return {
        thread: threadJson(listed.thread),
        items: listed.items.map(postJson),
        ...(listed.nextPosition !== undefined
          ? { nextCursor: encodeCursor({ after: listed.nextPosition }) }
          : {}),
      };
    },
  );

  app.post(
    '/api/v1/forum/threads/:id/posts',
    {
      preHandler: memberOnly,
      schema: {
        summary: 'Reply to a thread',
        description: 'Optionally quotes another post by its id.',
        tags: ['forum'],
        security: MEMBER_SECURITY,
        params: IdParamsSchema,
        body: NewPostBodySchema,
        response: { 201: PostSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const member = await requireMember(request, reply);
      if (!member) return reply;
      const created = await createReply(app.db, member.id, request.params.id, request.body, {
        ip: request.ip,
      });
      return reply.code(201).send(postJson(created.post));
    },
  );

  app.get(
    '/api/v1/forum/posts/:id',
    {
      schema: {
        summary: 'One post',
        tags: ['forum'],
        params: IdParamsSchema,
        response: { 200: PostSchema, ...errorResponses(404) },
      },
    },
    async (request) => {
      const post = await requirePost(app.db, request.params.id, await currentActor(request));
      return postJson(post);
    },
  );

  app.patch(
    '/api/v1/forum/posts/:id',
    {
      preHandler: memberOnly,
      schema: {
        summary: 'Edit a post',
        description:
          'The author may edit for 30 minutes after writing; moderators at any time. The earlier text is kept in the post’s history, seen only by moderators.',
        tags: ['forum'],
        security: MEMBER_SECURITY,
        params: IdParamsSchema,
        body: EditPostBodySchema,
        response: { 200: PostSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const member = await requireMember(request, reply);
      if (!member) return reply;
      const actor = actorOf(member) as Actor;
      await editPost(app.db, actor, request.params.id, request.body.body);
      const post = await requirePost(app.db, request.params.id, actor);
      return postJson(post);
    },
  );

  for (const method of ['PUT', 'DELETE'] as const) {
    app.route({
      method,
      url: '/api/v1/forum/posts/:id/like',
      preHandler: memberOnly,
      schema: {
        summary: method === 'PUT' ? 'Like a post' : 'Take back a like',
        tags: ['forum'],
        security: MEMBER_SECURITY,
        params: IdParamsSchema,
        response: { 200: LikeResponseSchema, ...errorResponses(401, 404) },
      },
      handler: async (request, reply) => {
        const member = await requireMember(request, reply);
        if (!member) return reply;
        return setLike(app.db, member.id, request.params.id, method === 'PUT');
      },
    });
  }

  app.post(
    '/api/v1/forum/posts/:id/reports',
    {
      preHandler: memberOnly,
      schema: {
        summary: 'Report a post to the moderators',
        tags: ['forum'],
        security: MEMBER_SECURITY,
        params: IdParamsSchema,
        body: ReportBodySchema,
        response: { 201: ReportResponseSchema, ...errorResponses(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const member = await requireMember(request, reply);
      if (!member) return reply;
      const post = await requirePost(app.db, request.params.id, actorOf(member));
      const report = await fileReport(app.db, {
        kind: 'post',
        targetId: post.id,
        reporterId: member.id,
        reason: request.body.reason,
      });
      return reply.code(201).send(report);
    },
  );

  app.get(
    '/api/v1/forum/search',
    {
      schema: {
        summary: 'Search threads and posts',
        description:
          'Full-text search over thread titles and post text, best match first. Hidden posts are never found.',
        tags: ['forum'],
        querystring: SearchQuerySchema,
        response: { 200: SearchResponseSchema, ...errorResponses(400) },
      },
    },
    async (request) => {
      const offset = request.query.cursor ? decodeCursor(request.query.cursor, isOffset).offset : 0;
      const result = await searchForum(app.db, request.query.q, {
        limit: request.query.limit ?? 20,
        offset,
      });
      return {
        items: result.items,
        ...(result.nextOffset !== undefined
          ? { nextCursor: encodeCursor({ offset: result.nextOffset }) }
          : {}),
      };
    },
  );

  return Promise.resolve();
};
