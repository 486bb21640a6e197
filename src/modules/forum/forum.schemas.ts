/**
 * Request and response schemas of the forum API (`/api/v1/forum/…`); they also document it in
 * the OpenAPI document. Lengths are checked again by the service, whose messages name the field.
 */
import { Type } from 'typebox';
import { MAX_BODY_LENGTH } from './forum.markdown.js';
import { MAX_REPORT_REASON } from './forum.reports.js';
import { MAX_TITLE_LENGTH } from './forum.service.js';

export const ListQuerySchema = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
    cursor: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);

export const SearchQuerySchema = Type.Object(
  {
    q: Type.String({ minLength: 1, maxLength: 200, description: 'Words to look for.' }),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, default: 20 })),
    cursor: Type.Optional(Type.String({ maxLength: 100 })),
  },
  { additionalProperties: false },
);

export const IdParamsSchema = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

export const CategorySchema = Type.Object({
  id: Type.String(),
  slug: Type.String(),
  name: Type.String(),
  description: Type.String(),
  threadCount: Type.Integer(),
  lastPostedAt: Type.Union([Type.String(), Type.Null()]),
});

export const CategoriesResponseSchema = Type.Object({ items: Type.Array(CategorySchema) });

export const ThreadSummarySchema = Type.Object({
  id: Type.String(),
  title: Type.String(),
  authorName: Type.String({ description: 'The name the thread was started under.' }),
  postCount: Type.Integer(),
  createdAt: Type.String(),
  lastPostedAt: Type.String(),
});

export const ThreadListResponseSchema = Type.Object({
  items: Type.Array(ThreadSummarySchema),
  nextCursor: Type.Optional(Type.String()),
});

export const ThreadSchema = Type.Object({
  id: Type.String(),
  categoryId: Type.String(),
  categoryName: Type.String(),
  title: Type.String(),
  authorName: Type.String(),
  postCount: Type.Integer(),
  hidden: Type.Boolean(),
  createdAt: Type.String(),
  lastPostedAt: Type.String(),
});

export const QuoteSchema = Type.Object({
  postId: Type.String(),
  authorName: Type.String({
    description: 'The quoted post’s name as recorded now ("former member" once anonymised).',
  }),
  excerpt: Type.String({ description: 'Plain text; empty when the quoted post is hidden.' }),
  hidden: Type.Boolean(),
});

export const PostSchema = Type.Object({
  id: Type.String(),
  threadId: Type.String(),
  position: Type.Integer({ description: 'The post’s place in its thread, from 1.' }),
  authorName: Type.String({ description: 'The name the post was written under (P37).' }),
  html: Type.String({ description: 'Sanitised HTML of the post; empty when hidden.' }),
  hidden: Type.Boolean(),
  createdAt: Type.String(),
  editedAt: Type.Union([Type.String(), Type.Null()]),
  quote: Type.Union([QuoteSchema, Type.Null()]),
  likes: Type.Integer(),
  likedByMe: Type.Boolean(),
  canEdit: Type.Boolean(),
});

export const PostListResponseSchema = Type.Object({
  thread: ThreadSchema,
  items: Type.Array(PostSchema),
  nextCursor: Type.Optional(Type.String()),
});

export const NewThreadBodySchema = Type.Object(
  {
    categoryId: Type.String({ minLength: 1, maxLength: 64 }),
    title: Type.String({ maxLength: MAX_TITLE_LENGTH * 2 }),
    body: Type.String({ maxLength: MAX_BODY_LENGTH, description: 'Markdown.' }),
  },
  { additionalProperties: false },
);

export const NewThreadResponseSchema = Type.Object({
  thread: ThreadSchema,
  post: PostSchema,
});

export const NewPostBodySchema = Type.Object(
  {
    body: Type.String({ maxLength: MAX_BODY_LENGTH, description: 'Markdown.' }),
    quotedPostId: Type.Optional(
      Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()]),
    ),
  },
  { additionalProperties: false },
);

export const EditPostBodySchema = Type.Object(
  { body: Type.String({ maxLength: MAX_BODY_LENGTH, description: 'Markdown.' }) },
  { additionalProperties: false },
);

export const LikeResponseSchema = Type.Object({ liked: Type.Boolean(), likes: Type.Integer() });

export const ReportBodySchema = Type.Object(
  { reason: Type.String({ maxLength: MAX_REPORT_REASON }) },
  { additionalProperties: false },
);

export const ReportResponseSchema = Type.Object({ id: Type.String() });

export const SearchResponseSchema = Type.Object({
  items: Type.Array(
    Type.Object({
      postId: Type.String(),
      threadId: Type.String(),
      threadTitle: Type.String(),
      position: Type.Integer(),
      authorName: Type.String(),
      excerpt: Type.String(),
      createdAt: Type.String(),
      href: Type.String(),
    }),
  ),
  nextCursor: Type.Optional(Type.String()),
});
