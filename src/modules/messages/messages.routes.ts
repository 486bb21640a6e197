/**
 * The messages API under /api/v1/messages: conversations (list, start, read, reply, delete a
 * message or the whole conversation for oneself, report a message), blocks, the unread count,
 * starting a Parent Supporter conversation, and the published Parent Supporter statistics.
 * Routes authenticate and call one service function; a conversation the caller is not in is a
 * 404, never a 403, so its existence does not leak.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { errorResponses } from '../../platform/http/errors.js';
import { memberOnly, requireMember } from '../accounts/index.js';
import {
  BlocksResponse,
  ConversationListQuery,
  ConversationListResponse,
  ConversationParams,
  ConversationReadQuery,
  ConversationResponse,
  CreatedConversation,
  CreatedMessage,
  CreatedReport,
  CreatedSupportCase,
  MessageParams,
  NewConversationBody,
  NewSupportCaseBody,
  PeriodParams,
  ReplyBody,
  ReportBody,
  StatisticsListResponse,
  SupportCaseListResponse,
  SupportCaseResponse,
  StatisticsResponse,
  UnreadResponse,
  UsernameParams,
} from './messages.schemas.js';
import {
  blockMember,
  countUnread,
  deleteConversationFor,
  deleteMessageFor,
  listBlocks,
  listConversations,
  readConversation,
  replyToConversation,
  reportMessage,
  startConversation,
  unblockMember,
} from './messages.service.js';
import { endedQuarters, publishedSupportStatistics } from './messages.statistics.js';
import {
  listMemberCases,
  readCaseAsMember,
  replyAsMember,
  startSupportCase,
} from './messages.support.js';

const MEMBER_SECURITY: { [scheme: string]: string[] }[] = [{ bearer: [] }, { cookie: [] }];
const TAGS = ['messages'];

export const STATISTICS_UNIT =
  'Members who started at least one Parent Supporter conversation on the topic in the month (each member counted once per topic and month).';

export const messagesRoutes: FastifyPluginAsync = (fastify) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const member = { preHandler: memberOnly };

  app.addHook('onSend', async (request, reply) => {
    // Private messages must never sit in a shared cache.
    if (!request.url.startsWith('/api/v1/messages/support/statistics')) {
      void reply.header('cache-control', 'no-store');
    }
  });

  app.get(
    '/api/v1/messages/conversations',
    {
      ...member,
      schema: {
        summary: 'Your private conversations, latest first',
        tags: TAGS,
        security: MEMBER_SECURITY,
        querystring: ConversationListQuery,
        response: { 200: ConversationListResponse, ...errorResponses(400, 401) },
      },
    },
    async (request, reply) => {
      const viewer = await requireMember(request, reply);
      if (!viewer) return reply;
      const page = await listConversations(app.db, viewer.id, {
        ...(request.query.limit !== undefined ? { limit: request.query.limit } : {}),
        ...(request.query.cursor !== undefined ? { cursor: request.query.cursor } : {}),
      });
      return { ...page, unread: await countUnread(app.db, viewer.id) };
    },
  );

  app.post(
    '/api/v1/messages/conversations',
    {
      ...member,
      schema: {
        summary: 'Start a private conversation',
        description:
          'Sends the first message to one member or a small group (usernames). Refused (403) when a recipient blocked you or your account is suspended.',
        tags: TAGS,
        security: MEMBER_SECURITY,
        body: NewConversationBody,
        response: { 201: CreatedConversation, ...errorResponses(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const viewer = await requireMember(request, reply);
      if (!viewer) return reply;
      const created = await startConversation(app.db, {
        senderId: viewer.id,
        to: request.body.to,
        body: request.body.body,
      });
      return reply.code(201).send({ id: created.conversationId, messageId: created.messageId });
    },
  );

  app.get(
    '/api/v1/messages/conversations/:id',
    {
      ...member,
      schema: {
        summary: 'Read a conversation (marks it read)',
        tags: TAGS,
        security: MEMBER_SECURITY,
        params: ConversationParams,
        querystring: ConversationReadQuery,
        response: { 200: ConversationResponse, ...errorResponses(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const viewer = await requireMember(request, reply);
      if (!viewer) return reply;
      const view = await readConversation(app.db, viewer.id, request.params.id, {
        ...(request.query.limit !== undefined ? { limit: request.query.limit } : {}),
        ...(request.query.before !== undefined ? { beforeSeq: request.query.before } : {}),
      });
      return {
        ...view,
        messages: view.messages.map((message) => ({
          id: message.id,
          seq: message.seq,
          sender: message.senderName,
          isMine: message.isMine,
          body: message.body,
          sentAt: message.sentAt,
        })),
      };
    },
  );

  app.post(
    '/api/v1/messages/conversations/:id/messages',
    {
      ...member,
      schema: {
        summary: 'Reply in a conversation',
        tags: TAGS,
        security: MEMBER_SECURITY,
        params: ConversationParams,
        body: ReplyBody,
        response: { 201: CreatedMessage, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const viewer = await requireMember(request, reply);
      if (!viewer) return reply;
      const sent = await replyToConversation(app.db, {
        senderId: viewer.id,
        conversationId: request.params.id,
        body: request.body.body,
      });
      return reply.code(201).send({ id: sent.messageId, seq: sent.seq });
    },
  );

  app.delete(
    '/api/v1/messages/conversations/:id/messages/:messageId',
    {
      ...member,
      schema: {
        summary: 'Delete a message for yourself',
        description:
          'Hidden for you at once; removed from the database once every participant has deleted it (P43).',
        tags: TAGS,
        security: MEMBER_SECURITY,
        params: MessageParams,
        response: { 204: { type: 'null' }, ...errorResponses(401, 404) },
      },
    },
    async (request, reply) => {
      const viewer = await requireMember(request, reply);
      if (!viewer) return reply;
      await deleteMessageFor(app.db, {
        memberId: viewer.id,
        conversationId: request.params.id,
        messageId: request.params.messageId,
      });
      return reply.code(204).send(null);
    },
  );

  app.delete(
    '/api/v1/messages/conversations/:id',
    {
      ...member,
      schema: {
        summary: 'Delete a whole conversation for yourself',
        description:
          'Every message so far is hidden for you; content is removed once every participant has deleted it (P43). A later message brings the conversation back with that message only.',
        tags: TAGS,
        security: MEMBER_SECURITY,
        params: ConversationParams,
        response: { 204: { type: 'null' }, ...errorResponses(401, 404) },
      },
    },
    async (request, reply) => {
      const viewer = await requireMember(request, reply);
      if (!viewer) return reply;
      await deleteConversationFor(app.db, {
        memberId: viewer.id,
        conversationId: request.params.id,
      });
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/api/v1/messages/conversations/:id/messages/:messageId/report',
    {
      ...member,
      schema: {
        summary: 'Report a message to the moderators',
        description:
          'A moderator then reads that message (and only it); the reading is logged for the data-protection officer.',
        tags: TAGS,
        security: MEMBER_SECURITY,
        params: MessageParams,
        body: ReportBody,
        response: { 201: CreatedReport, ...errorResponses(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const viewer = await requireMember(request, reply);
      if (!viewer) return reply;
      const report = await reportMessage(app.db, {
        memberId: viewer.id,
        conversationId: request.params.id,
        messageId: request.params.messageId,
        reason: request.body.reason,
      });
      return reply.code(201).send(report);
    },
  );

  app.get(
    '/api/v1/messages/unread',
    {
      ...member,
      schema: {
        summary: 'How many private messages you have not read',
        tags: TAGS,
        security: MEMBER_SECURITY,
        response: { 200: UnreadResponse, ...errorResponses(401) },
      },
    },
    async (request, reply) => {
      const viewer = await requireMember(request, reply);
      if (!viewer) return reply;
      return { unread: await countUnread(app.db, viewer.id) };
    },
  );

  app.get(
    '/api/v1/messages/blocks',
    {
      ...member,
      schema: {
        summary: 'Members you blocked',
        tags: TAGS,
        security: MEMBER_SECURITY,
        response: { 200: BlocksResponse, ...errorResponses(401) },
      },
    },
    async (request, reply) => {
      const viewer = await requireMember(request, reply);
      if (!viewer) return reply;
      return { items: await listBlocks(app.db, viewer.id) };
    },
  );

  app.put(
    '/api/v1/messages/blocks/:username',
    {
      ...member,
      schema: {
        summary: 'Block a member',
        description: 'They can no longer start or continue a conversation with you.',
        tags: TAGS,
        security: MEMBER_SECURITY,
        params: UsernameParams,
        response: { 204: { type: 'null' }, ...errorResponses(400, 401) },
      },
    },
    async (request, reply) => {
      const viewer = await requireMember(request, reply);
      if (!viewer) return reply;
      await blockMember(app.db, { blockerId: viewer.id, username: request.params.username });
      return reply.code(204).send(null);
    },
  );

  app.delete(
    '/api/v1/messages/blocks/:username',
    {
      ...member,
      schema: {
        summary: 'Unblock a member',
        tags: TAGS,
        security: MEMBER_SECURITY,
        params: UsernameParams,
        response: { 204: { type: 'null' }, ...errorResponses(401, 404) },
      },
    },
    async (request, reply) => {
      const viewer = await requireMember(request, reply);
      if (!viewer) return reply;
      await unblockMember(app.db, { blockerId: viewer.id, username: request.params.username });
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/api/v1/messages/support',
    {
      ...member,
      schema: {
        summary: 'Start a conversation with the Parent Supporters',
        description:
          'Kept for the protection of individuals (safeguarding), also after your account is deleted (P24).',
        tags: TAGS,
        security: MEMBER_SECURITY,
        body: NewSupportCaseBody,
        response: { 201: CreatedSupportCase, ...errorResponses(400, 401) },
      },
    },
    async (request, reply) => {
      const viewer = await requireMember(request, reply);
      if (!viewer) return reply;
      const created = await startSupportCase(app.db, {
        memberId: viewer.id,
        topic: request.body.topic,
        body: request.body.body,
      });
      return reply.code(201).send({ id: created.caseId });
    },
  );

  app.get(
    '/api/v1/messages/support',
    {
      ...member,
      schema: {
        summary: 'Your conversations with the Parent Supporters',
        tags: TAGS,
        security: MEMBER_SECURITY,
        response: { 200: SupportCaseListResponse, ...errorResponses(401) },
      },
    },
    async (request, reply) => {
      const viewer = await requireMember(request, reply);
      if (!viewer) return reply;
      const cases = await listMemberCases(app.db, viewer.id);
      return {
        items: cases.map((entry) => ({
          id: entry.id,
          topic: entry.topic,
          status: entry.status,
          createdAt: entry.createdAt,
          lastMessageAt: entry.lastMessageAt,
          unread: entry.unread,
        })),
      };
    },
  );

  app.get(
    '/api/v1/messages/support/:id',
    {
      ...member,
      schema: {
        summary: 'Read a conversation with the Parent Supporters (marks it read)',
        tags: TAGS,
        security: MEMBER_SECURITY,
        params: ConversationParams,
        response: { 200: SupportCaseResponse, ...errorResponses(401, 404) },
      },
    },
    async (request, reply) => {
      const viewer = await requireMember(request, reply);
      if (!viewer) return reply;
      const view = await readCaseAsMember(app.db, viewer.id, request.params.id);
      return {
        id: view.id,
        topic: view.topic,
        status: view.status,
        messages: view.messages.map((message) => ({
          id: message.id,
          from: message.fromSupporter ? ('parent-supporter' as const) : ('you' as const),
          body: message.body,
          sentAt: message.sentAt,
        })),
      };
    },
  );

  app.post(
    '/api/v1/messages/support/:id/messages',
    {
      ...member,
      schema: {
        summary: 'Write in a conversation with the Parent Supporters',
        tags: TAGS,
        security: MEMBER_SECURITY,
        params: ConversationParams,
        body: ReplyBody,
        response: { 204: { type: 'null' }, ...errorResponses(400, 401, 404, 409) },
      },
    },
    async (request, reply) => {
      const viewer = await requireMember(request, reply);
      if (!viewer) return reply;
      await replyAsMember(app.db, {
        memberId: viewer.id,
        caseId: request.params.id,
        body: request.body.body,
      });
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/v1/messages/support/statistics',
    {
      schema: {
        summary: 'Published Parent Supporter statistics',
        description:
          'The ended quarters whose statistics can be read. Anonymous: no figure describes fewer than k people (P25).',
        tags: TAGS,
        response: { 200: StatisticsListResponse },
      },
    },
    () =>
      Promise.resolve({
        items: endedQuarters(new Date(), app.config.timezone).map((quarter) => ({
          period: quarter.period,
          href: `/api/v1/messages/support/statistics/${quarter.period}`,
        })),
      }),
  );

  app.get(
    '/api/v1/messages/support/statistics/:period',
    {
      schema: {
        summary: 'Parent Supporter statistics of one quarter',
        description: `${STATISTICS_UNIT} Figures of 1 to k−1 are suppressed (null), and so are further figures where they would let a suppressed one be worked out from the totals (complementary suppression). A quarter is published once it has ended and never changes afterwards.`,
        tags: TAGS,
        params: PeriodParams,
        response: { 200: StatisticsResponse, ...errorResponses(400, 404) },
      },
    },
    async (request, reply) => {
      const statistics = await publishedSupportStatistics(app.db, request.params.period, {
        timeZone: app.config.timezone,
      });
      void reply.header('cache-control', 'public, max-age=3600');
      return {
        period: statistics.period,
        publishedAt: statistics.publishedAt,
        unit: STATISTICS_UNIT,
        k: statistics.table.k,
        rows: [...statistics.table.rows],
        columns: [...statistics.table.columns],
        cells: statistics.table.cells,
        rowTotals: statistics.table.rowTotals,
        columnTotals: statistics.table.columnTotals,
        total: statistics.table.total,
      };
    },
  );

  return Promise.resolve();
};
