/**
 * The Parent Supporter service (P24): a member starts a supported conversation on a topic; the
 * parent supporters (role `parent_supporter`) work from a queue: claim, reply, close, and when
 * someone may be at risk, escalate to safeguarding, which places a hold on the member so that
 * neither erasure nor retention touches their data while it lasts.
 *
 * Supporters open any case (they cover for each other), and every opening is logged as staff
 * access for the DPO; claiming, replying, closing and escalating are audited.
 */
import { tablesOf, type DbExecutor } from '../../platform/db/database.js';
import { newId } from '../../platform/db/ids.js';
import { nowTime } from '../../platform/db/portable.js';
import { AppError } from '../../platform/http/errors.js';
import { appendAudit, inTransaction } from '../../privacy/audit/audit.service.js';
import { placeHold } from '../../privacy/holds/holds.service.js';
import type { AccountsTables } from '../accounts/index.js';
import { requireBody } from './messages.service.js';
import { recordStaffAccess } from './messages.staff-access.js';
import type { MessagesTables, SupportStatus } from './messages.tables.js';

type Tables = MessagesTables & AccountsTables;

/** The fixed topics: one dimension of the published statistics, so never changed lightly. */
export const SUPPORT_TOPICS = [
  'feeding',
  'sleep',
  'mental-health',
  'relationships',
  'pregnancy',
  'development',
  'other',
] as const;

export type SupportTopic = (typeof SUPPORT_TOPICS)[number];

export const TOPIC_LABELS: Readonly<Record<SupportTopic, string>> = {
  feeding: 'Feeding',
  sleep: 'Sleep',
  'mental-health': 'Mental health',
  relationships: 'Relationships',
  pregnancy: 'Pregnancy',
  development: 'Child development',
  other: 'Something else',
};

export function isSupportTopic(value: unknown): value is SupportTopic {
  return typeof value === 'string' && (SUPPORT_TOPICS as readonly string[]).includes(value);
}

export const MAX_ESCALATION_REASON = 2000;

function tables(db: DbExecutor) {
  return tablesOf<Tables>(db);
}

export interface SupportCaseSummary {
  id: string;
  topic: SupportTopic;
  status: SupportStatus;
  createdAt: string;
  lastMessageAt: string;
  supporterName: string | null;
  escalated: boolean;
}

export interface SupportMessageView {
  id: string;
  fromSupporter: boolean;
  authorName: string;
  isMine: boolean;
  body: string;
  sentAt: string;
}

export interface SupportCaseView extends SupportCaseSummary {
  memberName: string;
  memberId: string;
  supporterId: string | null;
  messages: SupportMessageView[];
}

type CaseRow = Tables['messages_support_cases'];

function summaryOf(row: CaseRow, supporterName: string | null): SupportCaseSummary {
  return {
    id: row.id,
    topic: isSupportTopic(row.topic) ? row.topic : 'other',
    status: row.status,
    createdAt: row.created_at,
    lastMessageAt: row.last_message_at,
    supporterName,
    escalated: row.escalated_at !== null,
  };
}

/** A member asks the parent supporters for help on a topic. */
export async function startSupportCase(
  db: DbExecutor,
  input: { memberId: string; topic: string; body: string },
): Promise<{ caseId: string }> {
  if (!isSupportTopic(input.topic)) {
    throw new AppError('validation_failed', 'Choose a topic.', {
      fields: { topic: 'Choose the topic closest to what you want to talk about.' },
    });
  }
  const body = requireBody(input.body);
  return inTransaction(db, async (trx) => {
    const now = nowTime();
    const caseId = newId();
    await tables(trx)
      .insertInto('messages_support_cases')
      .values({
        id: caseId,
        member_id: input.memberId,
        topic: input.topic,
        status: 'waiting',
        supporter_id: null,
        created_at: now,
        claimed_at: null,
        closed_at: null,
        last_message_at: now,
        member_read_at: now,
        escalated_at: null,
        escalated_by: null,
        hold_id: null,
      })
      .execute();
    await tables(trx)
      .insertInto('messages_support_messages')
      .values({
        id: newId(),
        case_id: caseId,
        author_id: input.memberId,
        from_supporter: 0,
        body,
        created_at: now,
      })
      .execute();
    return { caseId };
  });
}

async function caseMessages(
  db: DbExecutor,
  caseId: string,
  viewerId: string,
): Promise<SupportMessageView[]> {
  const rows = await tables(db)
    .selectFrom('messages_support_messages as m')
    .leftJoin('accounts_users as u', 'u.id', 'm.author_id')
    .select(['m.id', 'm.author_id', 'm.from_supporter', 'm.body', 'm.created_at', 'u.username'])
    .where('m.case_id', '=', caseId)
    .orderBy('m.created_at')
    .orderBy('m.id')
    .execute();
  return rows.map((row) => ({
    id: row.id,
    fromSupporter: row.from_supporter === 1,
    // Members see "Parent Supporter", not the supporter's username: the service speaks as one.
    authorName: row.from_supporter === 1 ? 'Parent Supporter' : (row.username ?? 'a former member'),
    isMine: row.author_id === viewerId,
    body: row.body,
    sentAt: row.created_at,
  }));
}

async function loadCase(db: DbExecutor, caseId: string): Promise<CaseRow> {
  const row = await tables(db)
    .selectFrom('messages_support_cases')
    .selectAll()
    .where('id', '=', caseId)
    .executeTakeFirst();
  if (!row) throw new AppError('not_found', 'There is no such conversation.');
  return row;
}

async function usernameOf(db: DbExecutor, id: string | null): Promise<string | null> {
  if (id === null) return null;
  const row = await tables(db)
    .selectFrom('accounts_users')
    .select('username')
    .where('id', '=', id)
    .executeTakeFirst();
  return row?.username ?? null;
}

/** The member's own supported conversations, latest first. */
export async function listMemberCases(
  db: DbExecutor,
  memberId: string,
): Promise<(SupportCaseSummary & { unread: boolean })[]> {
  const rows = await tables(db)
    .selectFrom('messages_support_cases')
    .selectAll()
    .where('member_id', '=', memberId)
    .orderBy('last_message_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  return rows.map((row) => ({
    ...summaryOf(row, null),
    unread: row.member_read_at === null || row.member_read_at < row.last_message_at,
  }));
}

/** A member reads their own supported conversation (others' are a 404); marks it read. */
export async function readCaseAsMember(
  db: DbExecutor,
  memberId: string,
  caseId: string,
): Promise<SupportCaseView> {
  return inTransaction(db, async (trx) => {
    const row = await loadCase(trx, caseId);
    if (row.member_id !== memberId)
      throw new AppError('not_found', 'There is no such conversation.');
    await tables(trx)
      .updateTable('messages_support_cases')
      .set({ member_read_at: nowTime() })
      .where('id', '=', caseId)
      .execute();
    return {
      ...summaryOf(row, null),
      memberName: (await usernameOf(trx, memberId)) ?? '',
      memberId,
      supporterId: null,
      messages: await caseMessages(trx, caseId, memberId),
    };
  });
}

export async function replyAsMember(
  db: DbExecutor,
  input: { memberId: string; caseId: string; body: string },
): Promise<void> {
  const body = requireBody(input.body);
  await inTransaction(db, async (trx) => {
    const row = await loadCase(trx, input.caseId);
    if (row.member_id !== input.memberId) {
      throw new AppError('not_found', 'There is no such conversation.');
    }
    if (row.status === 'closed') {
      throw new AppError(
        'conflict',
        'This conversation is closed. Start a new one and a supporter will answer.',
      );
    }
    const now = nowTime();
    await tables(trx)
      .insertInto('messages_support_messages')
      .values({
        id: newId(),
        case_id: input.caseId,
        author_id: input.memberId,
        from_supporter: 0,
        body,
        created_at: now,
      })
      .execute();
    await tables(trx)
      .updateTable('messages_support_cases')
      .set({ last_message_at: now, member_read_at: now })
      .where('id', '=', input.caseId)
      .execute();
  });
}

export interface SupportQueue {
  waiting: SupportCaseSummary[];
  mine: SupportCaseSummary[];
  others: SupportCaseSummary[];
}

/** The supporters' queue: waiting cases oldest first, then open ones. No message content. */
export async function listSupportQueue(db: DbExecutor, supporterId: string): Promise<SupportQueue> {
  const rows = await tables(db)
    .selectFrom('messages_support_cases as c')
    .leftJoin('accounts_users as u', 'u.id', 'c.supporter_id')
    .selectAll('c')
    .select('u.username as supporter_name')
    .where('c.status', 'in', ['waiting', 'open'])
    .orderBy('c.created_at')
    .orderBy('c.id')
    .execute();
  const queue: SupportQueue = { waiting: [], mine: [], others: [] };
  for (const row of rows) {
    const summary = summaryOf(row, row.supporter_name);
    if (row.status === 'waiting') queue.waiting.push(summary);
    else if (row.supporter_id === supporterId) queue.mine.push(summary);
    else queue.others.push(summary);
  }
  return queue;
}

/** A supporter opens a case: logged as staff access to a private conversation. */
export async function readCaseAsSupporter(
  db: DbExecutor,
  supporterId: string,
  caseId: string,
): Promise<SupportCaseView> {
  return inTransaction(db, async (trx) => {
    const row = await loadCase(trx, caseId);
    await recordStaffAccess(trx, { staffId: supporterId, reason: 'support-case', caseId });
    return {
      ...summaryOf(row, await usernameOf(trx, row.supporter_id)),
      memberName: (await usernameOf(trx, row.member_id)) ?? 'a former member',
      memberId: row.member_id,
      supporterId: row.supporter_id,
      messages: await caseMessages(trx, caseId, supporterId),
    };
  });
}

export async function claimCase(
  db: DbExecutor,
  input: { supporterId: string; caseId: string },
): Promise<void> {
  await inTransaction(db, async (trx) => {
    const now = nowTime();
    const claimed = await tables(trx)
      .updateTable('messages_support_cases')
      .set({ status: 'open', supporter_id: input.supporterId, claimed_at: now })
      .where('id', '=', input.caseId)
      .where('status', '=', 'waiting')
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) === 0) {
      await loadCase(trx, input.caseId);
      throw new AppError('conflict', 'Another supporter has taken this conversation already.');
    }
    await appendAudit(trx, {
      action: 'messages.support.claimed',
      actorId: input.supporterId,
      detail: { caseId: input.caseId },
    });
  });
}

async function requireOwnOpenCase(
  db: DbExecutor,
  supporterId: string,
  caseId: string,
): Promise<CaseRow> {
  const row = await loadCase(db, caseId);
  if (row.status === 'closed') throw new AppError('conflict', 'This conversation is closed.');
  if (row.supporter_id !== supporterId) {
    throw new AppError('forbidden', 'Take this conversation first: it is not yours to answer.');
  }
  return row;
}

export async function replyAsSupporter(
  db: DbExecutor,
  input: { supporterId: string; caseId: string; body: string },
): Promise<void> {
  const body = requireBody(input.body);
  await inTransaction(db, async (trx) => {
    await requireOwnOpenCase(trx, input.supporterId, input.caseId);
    const now = nowTime();
    const messageId = newId();
    await tables(trx)
      .insertInto('messages_support_messages')
      .values({
        id: messageId,
        case_id: input.caseId,
        author_id: input.supporterId,
        from_supporter: 1,
        body,
        created_at: now,
      })
      .execute();
    await tables(trx)
      .updateTable('messages_support_cases')
      .set({ last_message_at: now })
      .where('id', '=', input.caseId)
      .execute();
    await appendAudit(trx, {
      action: 'messages.support.replied',
      actorId: input.supporterId,
      detail: { caseId: input.caseId, messageId },
    });
  });
}

export async function closeCase(
  db: DbExecutor,
  input: { supporterId: string; caseId: string },
): Promise<void> {
  await inTransaction(db, async (trx) => {
    await requireOwnOpenCase(trx, input.supporterId, input.caseId);
    await tables(trx)
      .updateTable('messages_support_cases')
      .set({ status: 'closed', closed_at: nowTime() })
      .where('id', '=', input.caseId)
      .execute();
    await appendAudit(trx, {
      action: 'messages.support.closed',
      actorId: input.supporterId,
      detail: { caseId: input.caseId },
    });
  });
}

/**
 * Escalates to safeguarding: a safeguarding hold on the member (erasure and retention of their
 * data stop until it is lifted), recorded on the case and audited, in one transaction. Any
 * supporter may escalate: someone at risk must not wait for the case's owner.
 */
export async function escalateCase(
  db: DbExecutor,
  input: { supporterId: string; caseId: string; reason: string },
): Promise<{ holdId: string }> {
  const reason = input.reason.trim();
  if (reason === '' || reason.length > MAX_ESCALATION_REASON) {
    throw new AppError('validation_failed', 'Say why this needs safeguarding.', {
      fields: {
        reason:
          reason === ''
            ? 'Say why this needs safeguarding.'
            : `Keep it under ${MAX_ESCALATION_REASON} characters.`,
      },
    });
  }
  return inTransaction(db, async (trx) => {
    const row = await loadCase(trx, input.caseId);
    if (row.escalated_at !== null) {
      throw new AppError('conflict', 'This conversation was escalated to safeguarding already.');
    }
    const hold = await placeHold(trx, {
      subjectId: row.member_id,
      kind: 'safeguarding',
      reason: `Parent Supporter case ${row.id}: ${reason}`,
      placedBy: input.supporterId,
    });
    await tables(trx)
      .updateTable('messages_support_cases')
      .set({ escalated_at: nowTime(), escalated_by: input.supporterId, hold_id: hold.id })
      .where('id', '=', input.caseId)
      .execute();
    await appendAudit(trx, {
      action: 'messages.support.escalated',
      actorId: input.supporterId,
      detail: { caseId: input.caseId, holdId: hold.id },
    });
    return { holdId: hold.id };
  });
}
