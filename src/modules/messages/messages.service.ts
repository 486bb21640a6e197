/**
 * Private messages: one-to-one and small-group conversations, replies, unread counts, deleting
 * for oneself (P43) and blocking. Every write runs in one transaction; routes and pages call
 * these functions after authenticating the member.
 *
 * Deletion: a member's deletion only hides (a `messages_hidden` row for one message, or
 * `cleared_through_seq` for the whole conversation so far). `purgeConversations` then removes
 * the content nobody can see any more: a message every participant has deleted, and a
 * conversation with no message or no participant left.
 */
import { sql, type SqlBool } from 'kysely';
import { tablesOf, type DbExecutor } from '../../platform/db/database.js';
import { newId } from '../../platform/db/ids.js';
import { inTextList, nowTime, toNumber } from '../../platform/db/portable.js';
import { AppError } from '../../platform/http/errors.js';
import { inTransaction } from '../../privacy/audit/audit.service.js';
import type { AccountsTables } from '../accounts/index.js';
import { fileReport, isSuspended } from '../forum/index.js';
import type { MessagesTables } from './messages.tables.js';

type Tables = MessagesTables & AccountsTables;

/** Everyone in a conversation, the sender included: "small groups" (issue 7). */
export const MAX_PARTICIPANTS = 8;
export const MAX_BODY_LENGTH = 10_000;
export const MAX_CONVERSATION_PAGE = 100;
export const DEFAULT_CONVERSATION_PAGE = 20;
export const MAX_MESSAGE_PAGE = 200;

/** The name other members see for someone whose account is gone from a conversation. */
export const FORMER_PARTICIPANT = 'a former member';

function tables(db: DbExecutor) {
  return tablesOf<Tables>(db);
}

/** A message body, trimmed, or a 400 naming the field. */
export function requireBody(value: unknown, field = 'body'): string {
  const body = typeof value === 'string' ? value.trim() : '';
  if (body === '') {
    throw new AppError('validation_failed', 'Write a message.', {
      fields: { [field]: 'Write a message.' },
    });
  }
  if (body.length > MAX_BODY_LENGTH) {
    throw new AppError('validation_failed', 'The message is too long.', {
      fields: { [field]: `Keep it under ${MAX_BODY_LENGTH.toLocaleString('en-GB')} characters.` },
    });
  }
  return body;
}

/** Splits "sam, alex priya" into distinct usernames, in order. */
export function parseUsernames(value: unknown): string[] {
  const list = Array.isArray(value) ? value : [value];
  const names = list
    .flatMap((item) => (typeof item === 'string' ? item.split(/[\s,;]+/) : []))
    .map((name) => name.replace(/^@/, '').trim())
    .filter((name) => name !== '');
  const seen = new Set<string>();
  return names.filter((name) => {
    const key = name.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

async function assertMaySend(db: DbExecutor, memberId: string): Promise<void> {
  if (await isSuspended(db, memberId)) {
    throw new AppError('forbidden', 'Your account is suspended: you cannot send messages for now.');
  }
}

/** Active members by username (case-insensitive), or a 400 naming the unknown ones. */
async function resolveRecipients(
  db: DbExecutor,
  senderId: string,
  usernames: readonly string[],
  field: string,
): Promise<{ id: string; username: string }[]> {
  if (usernames.length === 0) {
    throw new AppError('validation_failed', 'Say who the message is for.', {
      fields: { [field]: 'Enter the username of at least one member.' },
    });
  }
  if (usernames.length > MAX_PARTICIPANTS - 1) {
    throw new AppError('validation_failed', 'Too many people for one conversation.', {
      fields: { [field]: `A conversation has at most ${MAX_PARTICIPANTS - 1} other members.` },
    });
  }
  const lowered = usernames.map((name) => name.toLowerCase());
  const found = await tables(db)
    .selectFrom('accounts_users')
    .select(['id', 'username'])
    .where('status', '=', 'active')
    .where((eb) => eb(eb.fn('lower', ['username']), 'in', lowered))
    .execute();
  const byName = new Map(found.map((row) => [row.username.toLowerCase(), row]));
  const missing = usernames.filter((name) => !byName.has(name.toLowerCase()));
  if (missing.length > 0) {
    throw new AppError('validation_failed', 'Some names are not members.', {
      fields: { [field]: `There is no member called ${missing.join(', ')}.` },
    });
  }
  const recipients = lowered.map((name) => byName.get(name)!);
  if (recipients.some((recipient) => recipient.id === senderId)) {
    throw new AppError('validation_failed', 'You cannot send a message to yourself.', {
      fields: { [field]: 'Leave out your own username.' },
    });
  }
  return recipients;
}

/**
 * Refuses when any of `otherIds` blocked the sender. The message does not say who, in a group,
 * so a block stays the blocker's business.
 */
async function assertNotBlocked(
  db: DbExecutor,
  senderId: string,
  otherIds: readonly string[],
  field?: string,
): Promise<void> {
  if (otherIds.length === 0) return;
  const block = await tables(db)
    .selectFrom('messages_blocks')
    .select('blocker_id')
    .where('blocked_id', '=', senderId)
    .where('blocker_id', 'in', [...otherIds])
    .limit(1)
    .executeTakeFirst();
  if (block) {
    const message = 'You cannot send messages to this conversation: a member in it blocked you.';
    throw new AppError('forbidden', message, field ? { fields: { [field]: message } } : {});
  }
}

/**
 * Runs field checks in order and throws one validation error carrying every field's message
 * when any fail; other errors pass through at once.
 */
async function allFieldsOf<A, B>(
  checks: readonly [() => Promise<A>, () => Promise<B>],
): Promise<[A, B]> {
  const fields: Record<string, string> = {};
  const results: unknown[] = [];
  for (const check of checks) {
    try {
      results.push(await check());
    } catch (error) {
      if (!(error instanceof AppError) || error.code !== 'validation_failed' || !error.fields) {
        throw error;
      }
      Object.assign(fields, error.fields);
      results.push(undefined);
    }
  }
  if (Object.keys(fields).length > 0) {
    throw new AppError('validation_failed', 'Some answers need changing.', { fields });
  }
  return results as [A, B];
}

export interface StartConversationInput {
  senderId: string;
  /** Usernames of the other members. */
  to: readonly string[];
  body: string;
}

/** Starts a conversation with its first message. */
export async function startConversation(
  db: DbExecutor,
  input: StartConversationInput,
): Promise<{ conversationId: string; messageId: string }> {
  return inTransaction(db, async (trx) => {
    await assertMaySend(trx, input.senderId);
    // Both fields are checked before either refusal, so a form shows every problem at once.
    const [body, recipients] = await allFieldsOf([
      () => Promise.resolve(requireBody(input.body)),
      () => resolveRecipients(trx, input.senderId, input.to, 'to'),
    ] as const);
    await assertNotBlocked(
      trx,
      input.senderId,
      recipients.map((recipient) => recipient.id),
      'to',
    );
    const now = nowTime();
    const conversationId = newId();
    const messageId = newId();
    const db = tables(trx);
    await db
      .insertInto('messages_conversations')
      .values({ id: conversationId, created_at: now, last_message_at: now, message_count: 1 })
      .execute();
    await db
      .insertInto('messages_participants')
      .values([
        {
          conversation_id: conversationId,
          member_id: input.senderId,
          joined_at: now,
          last_read_seq: 1,
          cleared_through_seq: 0,
        },
        ...recipients.map((recipient) => ({
          conversation_id: conversationId,
          member_id: recipient.id,
          joined_at: now,
          last_read_seq: 0,
          cleared_through_seq: 0,
        })),
      ])
      .execute();
    await db
      .insertInto('messages_messages')
      .values({
        id: messageId,
        conversation_id: conversationId,
        seq: 1,
        sender_id: input.senderId,
        body,
        created_at: now,
      })
      .execute();
    return { conversationId, messageId };
  });
}

/** The member's participation, or a 404 (a conversation one is not in does not exist for one). */
async function requireParticipant(db: DbExecutor, memberId: string, conversationId: string) {
  const participant = await tables(db)
    .selectFrom('messages_participants')
    .selectAll()
    .where('conversation_id', '=', conversationId)
    .where('member_id', '=', memberId)
    .executeTakeFirst();
  if (!participant) throw new AppError('not_found', 'There is no such conversation.');
  return participant;
}

async function otherParticipantIds(
  db: DbExecutor,
  memberId: string,
  conversationId: string,
): Promise<string[]> {
  const rows = await tables(db)
    .selectFrom('messages_participants')
    .select('member_id')
    .where('conversation_id', '=', conversationId)
    .where('member_id', '<>', memberId)
    .execute();
  return rows.map((row) => row.member_id);
}

/** Adds a reply. The conversation row is updated first: it hands out the message's `seq`. */
export async function replyToConversation(
  db: DbExecutor,
  input: { senderId: string; conversationId: string; body: string },
): Promise<{ messageId: string; seq: number }> {
  const body = requireBody(input.body);
  return inTransaction(db, async (trx) => {
    await requireParticipant(trx, input.senderId, input.conversationId);
    await assertMaySend(trx, input.senderId);
    const others = await otherParticipantIds(trx, input.senderId, input.conversationId);
    if (others.length === 0) {
      throw new AppError('conflict', 'Nobody else is left in this conversation to read a reply.');
    }
    await assertNotBlocked(trx, input.senderId, others, 'body');
    const now = nowTime();
    const db = tables(trx);
    const counter = await db
      .updateTable('messages_conversations')
      .set((eb) => ({ message_count: eb('message_count', '+', 1), last_message_at: now }))
      .where('id', '=', input.conversationId)
      .returning('message_count')
      .executeTakeFirstOrThrow();
    const seq = toNumber(counter.message_count);
    const messageId = newId();
    await db
      .insertInto('messages_messages')
      .values({
        id: messageId,
        conversation_id: input.conversationId,
        seq,
        sender_id: input.senderId,
        body,
        created_at: now,
      })
      .execute();
    await db
      .updateTable('messages_participants')
      .set({ last_read_seq: seq })
      .where('conversation_id', '=', input.conversationId)
      .where('member_id', '=', input.senderId)
      .execute();
    return { messageId, seq };
  });
}

export interface ConversationSummary {
  id: string;
  /** The other participants' usernames; empty when everyone else has left. */
  with: string[];
  lastMessageAt: string;
  unread: number;
}

export interface ConversationCursor {
  lastMessageAt: string;
  id: string;
}

export function encodeCursor(cursor: ConversationCursor): string {
  return Buffer.from(JSON.stringify([cursor.lastMessageAt, cursor.id])).toString('base64url');
}

export function decodeCursor(value: string | undefined): ConversationCursor | null {
  if (value === undefined || value === '') return null;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    if (
      Array.isArray(parsed) &&
      parsed.length === 2 &&
      typeof parsed[0] === 'string' &&
      typeof parsed[1] === 'string'
    ) {
      return { lastMessageAt: parsed[0], id: parsed[1] };
    }
  } catch {
    // Fall through to the 400 below.
  }
  throw new AppError('validation_failed', 'The cursor is not one this list gave out.', {
    fields: { cursor: 'is not valid' },
  });
}

/** Messages the member has not seen, from others, not deleted by them: per conversation. */
function unreadQuery(db: DbExecutor, memberId: string) {
  return tables(db)
    .selectFrom('messages_participants as p')
    .innerJoin('messages_messages as m', (join) =>
      join
        .onRef('m.conversation_id', '=', 'p.conversation_id')
        .onRef('m.seq', '>', 'p.last_read_seq')
        .onRef('m.seq', '>', 'p.cleared_through_seq')
        .onRef('m.sender_id', '<>', 'p.member_id'),
    )
    .where('p.member_id', '=', memberId)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('messages_hidden as h')
            .select('h.message_id')
            .whereRef('h.message_id', '=', 'm.id')
            .where('h.member_id', '=', memberId),
        ),
      ),
    );
}

/** How many unread messages the member has, over every conversation. */
export async function countUnread(db: DbExecutor, memberId: string): Promise<number> {
  const row = await unreadQuery(db, memberId)
    .select((eb) => eb.fn.countAll().as('count'))
    .executeTakeFirst();
  return toNumber(row?.count);
}

/** The member's conversations with something left to see, latest first, a page at a time. */
export async function listConversations(
  db: DbExecutor,
  memberId: string,
  options: { limit?: number; cursor?: string } = {},
): Promise<{ items: ConversationSummary[]; nextCursor: string | null }> {
  const limit = Math.min(
    Math.max(options.limit ?? DEFAULT_CONVERSATION_PAGE, 1),
    MAX_CONVERSATION_PAGE,
  );
  const after = decodeCursor(options.cursor);
  let query = tables(db)
    .selectFrom('messages_participants as p')
    .innerJoin('messages_conversations as c', 'c.id', 'p.conversation_id')
    .select(['c.id', 'c.last_message_at'])
    .where('p.member_id', '=', memberId)
    .whereRef('c.message_count', '>', 'p.cleared_through_seq');
  if (after) {
    query = query.where((eb) =>
      eb.or([
        eb('c.last_message_at', '<', after.lastMessageAt),
        eb.and([eb('c.last_message_at', '=', after.lastMessageAt), eb('c.id', '<', after.id)]),
      ]),
    );
  }
  const rows = await query
    .orderBy('c.last_message_at', 'desc')
    .orderBy('c.id', 'desc')
    .limit(limit + 1)
    .execute();
  const page = rows.slice(0, limit);
  const ids = page.map((row) => row.id);
  const names = await participantNames(db, ids, memberId);
  const unread = new Map<string, number>();
  if (ids.length > 0) {
    const counts = await unreadQuery(db, memberId)
      .where(inTextList(db, 'p.conversation_id', ids))
      .select((eb) => ['p.conversation_id', eb.fn.countAll().as('count')])
      .groupBy('p.conversation_id')
      .execute();
    for (const count of counts) unread.set(count.conversation_id, toNumber(count.count));
  }
  const last = page[page.length - 1];
  return {
    items: page.map((row) => ({
      id: row.id,
      with: names.get(row.id) ?? [],
      lastMessageAt: row.last_message_at,
      unread: unread.get(row.id) ?? 0,
    })),
    nextCursor:
      rows.length > limit && last
        ? encodeCursor({ lastMessageAt: last.last_message_at, id: last.id })
        : null,
  };
}

/** The usernames of everyone but `memberId` in each conversation: one query for the page. */
async function participantNames(
  db: DbExecutor,
  conversationIds: readonly string[],
  memberId: string,
): Promise<Map<string, string[]>> {
  const names = new Map<string, string[]>();
  if (conversationIds.length === 0) return names;
  const rows = await tables(db)
    .selectFrom('messages_participants as p')
    .innerJoin('accounts_users as u', 'u.id', 'p.member_id')
    .select(['p.conversation_id', 'u.username'])
    .where(inTextList(db, 'p.conversation_id', conversationIds))
    .where('p.member_id', '<>', memberId)
    .orderBy('u.username')
    .execute();
  for (const row of rows) {
    const list = names.get(row.conversation_id) ?? [];
    list.push(row.username);
    names.set(row.conversation_id, list);
  }
  return names;
}

export interface MessageView {
  id: string;
  seq: number;
  senderName: string;
  isMine: boolean;
  body: string;
  sentAt: string;
}

export interface ConversationView {
  id: string;
  with: string[];
  messages: MessageView[];
  /** The `seq` before the first message shown, when earlier messages exist. */
  earlierBefore: number | null;
  /** Whether a reply can be sent: someone else is still in it and nobody blocked the viewer. */
  canReply: boolean;
  /** Why not, in words, when `canReply` is false. */
  replyRefusal: string | null;
}

/**
 * The conversation as the member sees it: messages after what they deleted, minus the ones they
 * hid, the latest `limit` (before `beforeSeq` when given). Reading marks it read.
 */
export async function readConversation(
  db: DbExecutor,
  memberId: string,
  conversationId: string,
  options: { limit?: number; beforeSeq?: number; markRead?: boolean } = {},
): Promise<ConversationView> {
  const limit = Math.min(Math.max(options.limit ?? MAX_MESSAGE_PAGE, 1), MAX_MESSAGE_PAGE);
  return inTransaction(db, async (trx) => {
    const participant = await requireParticipant(trx, memberId, conversationId);
    let query = tables(trx)
      .selectFrom('messages_messages as m')
      .innerJoin('accounts_users as u', 'u.id', 'm.sender_id')
      .select(['m.id', 'm.seq', 'm.sender_id', 'm.body', 'm.created_at', 'u.username'])
      .where('m.conversation_id', '=', conversationId)
      .where('m.seq', '>', participant.cleared_through_seq)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('messages_hidden as h')
              .select('h.message_id')
              .whereRef('h.message_id', '=', 'm.id')
              .where('h.member_id', '=', memberId),
          ),
        ),
      );
    if (options.beforeSeq !== undefined) query = query.where('m.seq', '<', options.beforeSeq);
    const rows = await query
      .orderBy('m.seq', 'desc')
      .limit(limit + 1)
      .execute();
    const shown = rows.slice(0, limit).reverse();
    const first = shown[0];
    const names = await participantNames(trx, [conversationId], memberId);
    const others = await otherParticipantIds(trx, memberId, conversationId);
    let replyRefusal: string | null = null;
    if (others.length === 0) {
      replyRefusal = 'Everyone else has left this conversation.';
    } else {
      const blocked = await tables(trx)
        .selectFrom('messages_blocks')
        .select('blocker_id')
        .where('blocked_id', '=', memberId)
        .where('blocker_id', 'in', others)
        .limit(1)
        .executeTakeFirst();
      if (blocked) replyRefusal = 'A member in this conversation blocked you.';
    }
    if (options.markRead !== false) {
      await tables(trx)
        .updateTable('messages_participants')
        .set((eb) => ({
          last_read_seq: eb
            .selectFrom('messages_conversations')
            .select('message_count')
            .where('id', '=', conversationId),
        }))
        .where('conversation_id', '=', conversationId)
        .where('member_id', '=', memberId)
        .execute();
    }
    return {
      id: conversationId,
      with: names.get(conversationId) ?? [],
      messages: shown.map((row) => ({
        id: row.id,
        seq: toNumber(row.seq),
        senderName: row.username,
        isMine: row.sender_id === memberId,
        body: row.body,
        sentAt: row.created_at,
      })),
      earlierBefore: rows.length > limit && first ? toNumber(first.seq) : null,
      canReply: replyRefusal === null,
      replyRefusal,
    };
  });
}

/** A message the member can see in this conversation, or a 404. */
async function requireVisibleMessage(
  db: DbExecutor,
  memberId: string,
  conversationId: string,
  messageId: string,
) {
  const participant = await requireParticipant(db, memberId, conversationId);
  const message = await tables(db)
    .selectFrom('messages_messages')
    .select(['id', 'seq', 'sender_id'])
    .where('id', '=', messageId)
    .where('conversation_id', '=', conversationId)
    .where('seq', '>', participant.cleared_through_seq)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('messages_hidden as h')
            .select('h.message_id')
            .where('h.message_id', '=', messageId)
            .where('h.member_id', '=', memberId),
        ),
      ),
    )
    .executeTakeFirst();
  if (!message) throw new AppError('not_found', 'There is no such message.');
  return message;
}

/**
 * Removes what no participant can see any more, in `conversationIds`: messages every
 * participant deleted, then conversations left with no message or no participant.
 * Set-based: three statements whatever the number of conversations.
 */
export async function purgeConversations(
  db: DbExecutor,
  conversationIds: readonly string[],
): Promise<number> {
  if (conversationIds.length === 0) return 0;
  const messages = await tables(db)
    .deleteFrom('messages_messages')
    .where(inTextList(db, 'messages_messages.conversation_id', conversationIds))
    .where(
      sql<SqlBool>`not exists (select 1 from messages_participants p
        where p.conversation_id = messages_messages.conversation_id
          and p.cleared_through_seq < messages_messages.seq
          and not exists (select 1 from messages_hidden h
            where h.message_id = messages_messages.id and h.member_id = p.member_id))`,
    )
    .executeTakeFirst();
  const conversations = await tables(db)
    .deleteFrom('messages_conversations')
    .where(inTextList(db, 'messages_conversations.id', conversationIds))
    .where(
      sql<SqlBool>`(not exists (select 1 from messages_messages m
          where m.conversation_id = messages_conversations.id)
        or not exists (select 1 from messages_participants p
          where p.conversation_id = messages_conversations.id))`,
    )
    .executeTakeFirst();
  return Number(messages.numDeletedRows) + Number(conversations.numDeletedRows);
}

/** Deletes one message for the member: hidden for them at once, removed once all deleted it. */
export async function deleteMessageFor(
  db: DbExecutor,
  input: { memberId: string; conversationId: string; messageId: string },
): Promise<void> {
  await inTransaction(db, async (trx) => {
    await requireVisibleMessage(trx, input.memberId, input.conversationId, input.messageId);
    await tables(trx)
      .insertInto('messages_hidden')
      .values({ message_id: input.messageId, member_id: input.memberId, hidden_at: nowTime() })
      .onConflict((conflict) => conflict.columns(['message_id', 'member_id']).doNothing())
      .execute();
    await purgeConversations(trx, [input.conversationId]);
  });
}

/**
 * Deletes the whole conversation for the member: every message so far is hidden for them; a
 * later message brings the conversation back with that message only.
 */
export async function deleteConversationFor(
  db: DbExecutor,
  input: { memberId: string; conversationId: string },
): Promise<void> {
  await inTransaction(db, async (trx) => {
    await requireParticipant(trx, input.memberId, input.conversationId);
    const count = tables(trx)
      .selectFrom('messages_conversations')
      .select('message_count')
      .where('id', '=', input.conversationId);
    await tables(trx)
      .updateTable('messages_participants')
      .set({ cleared_through_seq: count, last_read_seq: count })
      .where('conversation_id', '=', input.conversationId)
      .where('member_id', '=', input.memberId)
      .execute();
    // Marks for single messages are covered by the clearing now.
    await tables(trx)
      .deleteFrom('messages_hidden')
      .where('member_id', '=', input.memberId)
      .where('message_id', 'in', (eb) =>
        eb
          .selectFrom('messages_messages')
          .select('id')
          .where('conversation_id', '=', input.conversationId),
      )
      .execute();
    await purgeConversations(trx, [input.conversationId]);
  });
}

/** Reports a message someone else sent to the member into the forum's moderation queue. */
export async function reportMessage(
  db: DbExecutor,
  input: { memberId: string; conversationId: string; messageId: string; reason: string },
): Promise<{ id: string }> {
  return inTransaction(db, async (trx) => {
    const message = await requireVisibleMessage(
      trx,
      input.memberId,
      input.conversationId,
      input.messageId,
    );
    if (message.sender_id === input.memberId) {
      throw new AppError('validation_failed', 'You cannot report your own message.', {
        fields: { reason: 'You cannot report your own message; delete it instead.' },
      });
    }
    return fileReport(trx, {
      kind: 'message',
      targetId: input.messageId,
      reporterId: input.memberId,
      reason: input.reason,
    });
  });
}

export interface BlockedMember {
  username: string;
  blockedAt: string;
}

/** Blocks a member: they can no longer start or continue a conversation with the blocker. */
export async function blockMember(
  db: DbExecutor,
  input: { blockerId: string; username: string },
): Promise<void> {
  await inTransaction(db, async (trx) => {
    const own = await tables(trx)
      .selectFrom('accounts_users')
      .select('username')
      .where('id', '=', input.blockerId)
      .executeTakeFirst();
    if (own && own.username.toLowerCase() === input.username.trim().toLowerCase()) {
      throw new AppError('validation_failed', 'You cannot block yourself.', {
        fields: { username: 'Enter the username of someone else.' },
      });
    }
    const [blocked] = await resolveRecipients(trx, input.blockerId, [input.username], 'username');
    if (!blocked) return;
    await tables(trx)
      .insertInto('messages_blocks')
      .values({ blocker_id: input.blockerId, blocked_id: blocked.id, created_at: nowTime() })
      .onConflict((conflict) => conflict.columns(['blocker_id', 'blocked_id']).doNothing())
      .execute();
  });
}

/** Unblocks a member by username; unblocking someone not blocked is a 404. */
export async function unblockMember(
  db: DbExecutor,
  input: { blockerId: string; username: string },
): Promise<void> {
  const result = await tables(db)
    .deleteFrom('messages_blocks')
    .where('blocker_id', '=', input.blockerId)
    .where('blocked_id', 'in', (eb) =>
      eb
        .selectFrom('accounts_users')
        .select('id')
        .where((inner) =>
          inner(inner.fn('lower', ['username']), '=', input.username.toLowerCase()),
        ),
    )
    .executeTakeFirst();
  if (Number(result.numDeletedRows) === 0) {
    throw new AppError('not_found', 'You have not blocked a member of that name.');
  }
}

export async function listBlocks(db: DbExecutor, blockerId: string): Promise<BlockedMember[]> {
  const rows = await tables(db)
    .selectFrom('messages_blocks as b')
    .innerJoin('accounts_users as u', 'u.id', 'b.blocked_id')
    .select(['u.username', 'b.created_at'])
    .where('b.blocker_id', '=', blockerId)
    .orderBy('u.username')
    .execute();
  return rows.map((row) => ({ username: row.username, blockedAt: row.created_at }));
}
