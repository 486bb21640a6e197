/**
 * Request and response schemas of the messages API; they also document it (OpenAPI). Types and
 * sizes are checked here; the rules (who may write to whom, blocks, suspensions) in the service,
 * whose messages name the field to fix.
 */
import { Type } from 'typebox';
import {
  DEFAULT_CONVERSATION_PAGE,
  MAX_BODY_LENGTH,
  MAX_CONVERSATION_PAGE,
  MAX_MESSAGE_PAGE,
  MAX_PARTICIPANTS,
} from './messages.service.js';
import { SUPPORT_TOPICS } from './messages.support.js';

const Id = Type.String({ minLength: 1, maxLength: 64 });
const Username = Type.String({ minLength: 1, maxLength: 64 });
const Body = Type.String({ minLength: 1, maxLength: MAX_BODY_LENGTH });

export const ConversationParams = Type.Object({ id: Id });
export const MessageParams = Type.Object({ id: Id, messageId: Id });
export const UsernameParams = Type.Object({ username: Username });
export const PeriodParams = Type.Object({
  period: Type.String({ pattern: '^[0-9]{4}-Q[1-4]$', description: 'A quarter: 2026-Q3.' }),
});

export const ConversationListQuery = Type.Object({
  limit: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: MAX_CONVERSATION_PAGE,
      default: DEFAULT_CONVERSATION_PAGE,
    }),
  ),
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
});

export const ConversationReadQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_MESSAGE_PAGE })),
  before: Type.Optional(
    Type.Integer({ minimum: 1, description: 'Only messages before this position (`seq`).' }),
  ),
});

export const ConversationSummarySchema = Type.Object({
  id: Type.String(),
  with: Type.Array(Type.String(), { description: 'The other participants’ usernames.' }),
  lastMessageAt: Type.String({ description: 'ISO 8601 UTC.' }),
  unread: Type.Integer({ minimum: 0 }),
});

export const ConversationListResponse = Type.Object({
  items: Type.Array(ConversationSummarySchema),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
  unread: Type.Integer({ minimum: 0, description: 'Unread messages over every conversation.' }),
});

export const NewConversationBody = Type.Object(
  {
    to: Type.Array(Username, {
      minItems: 1,
      maxItems: MAX_PARTICIPANTS - 1,
      description: `Usernames of the other members (at most ${MAX_PARTICIPANTS - 1}).`,
    }),
    body: Body,
  },
  { additionalProperties: false },
);

export const ReplyBody = Type.Object({ body: Body }, { additionalProperties: false });

export const ReportBody = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: 1000 }) },
  { additionalProperties: false },
);

export const CreatedConversation = Type.Object({
  id: Type.String(),
  messageId: Type.String(),
});

export const CreatedMessage = Type.Object({ id: Type.String(), seq: Type.Integer() });

export const CreatedReport = Type.Object({ id: Type.String() });

export const CreatedSupportCase = Type.Object({ id: Type.String() });

export const MessageSchema = Type.Object({
  id: Type.String(),
  seq: Type.Integer(),
  sender: Type.String({ description: 'The sender’s username.' }),
  isMine: Type.Boolean(),
  body: Type.String(),
  sentAt: Type.String(),
});

export const ConversationResponse = Type.Object({
  id: Type.String(),
  with: Type.Array(Type.String()),
  messages: Type.Array(MessageSchema),
  earlierBefore: Type.Union([Type.Integer(), Type.Null()], {
    description: 'Pass as `before` to read earlier messages; null when there are none.',
  }),
  canReply: Type.Boolean(),
  replyRefusal: Type.Union([Type.String(), Type.Null()]),
});

export const BlocksResponse = Type.Object({
  items: Type.Array(Type.Object({ username: Type.String(), blockedAt: Type.String() })),
});

export const UnreadResponse = Type.Object({ unread: Type.Integer({ minimum: 0 }) });

export const SupportTopicSchema = Type.Union(SUPPORT_TOPICS.map((topic) => Type.Literal(topic)));

export const NewSupportCaseBody = Type.Object(
  { topic: SupportTopicSchema, body: Body },
  { additionalProperties: false },
);

export const StatisticsListResponse = Type.Object({
  items: Type.Array(Type.Object({ period: Type.String(), href: Type.String() })),
});

const Figure = Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], {
  description:
    'null when suppressed: it would describe fewer than k people, or reveal one that does.',
});

export const StatisticsResponse = Type.Object({
  period: Type.String(),
  publishedAt: Type.String(),
  unit: Type.String(),
  k: Type.Integer(),
  rows: Type.Array(Type.String(), { description: 'Topics.' }),
  columns: Type.Array(Type.String(), { description: 'Months, YYYY-MM.' }),
  cells: Type.Array(Type.Array(Figure)),
  rowTotals: Type.Array(Figure),
  columnTotals: Type.Array(Figure),
  total: Figure,
});

const TopicOf = Type.String({ description: 'One of the fixed topics.' });

export const SupportCaseSummarySchema = Type.Object({
  id: Type.String(),
  topic: TopicOf,
  status: Type.Union([Type.Literal('waiting'), Type.Literal('open'), Type.Literal('closed')]),
  createdAt: Type.String(),
  lastMessageAt: Type.String(),
  unread: Type.Boolean({ description: 'A supporter wrote since you last read it.' }),
});

export const SupportCaseListResponse = Type.Object({
  items: Type.Array(SupportCaseSummarySchema),
});

export const SupportCaseResponse = Type.Object({
  id: Type.String(),
  topic: TopicOf,
  status: Type.Union([Type.Literal('waiting'), Type.Literal('open'), Type.Literal('closed')]),
  messages: Type.Array(
    Type.Object({
      id: Type.String(),
      from: Type.Union([Type.Literal('you'), Type.Literal('parent-supporter')]),
      body: Type.String(),
      sentAt: Type.String(),
    }),
  ),
});
