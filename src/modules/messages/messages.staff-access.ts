/**
 * Staff read private messages only through a report (a moderator opens a reported message in
 * the forum's queue) or a Parent Supporter case. Each reading is written to
 * `messages_staff_access` and to the audit chain in the same transaction, and the DPO reviews
 * the list in /admin. Nothing else in Hearth shows a private message to staff.
 */
import { tablesOf, type DbExecutor } from '../../platform/db/database.js';
import { newId } from '../../platform/db/ids.js';
import { nowTime } from '../../platform/db/portable.js';
import { appendAudit, inTransaction } from '../../privacy/audit/audit.service.js';
import type { AccountsTables } from '../accounts/index.js';
import type { ReportTarget } from '../forum/index.js';
import type { MessagesTables, StaffAccessReason } from './messages.tables.js';

type Tables = MessagesTables & AccountsTables;

/** How much of a reported message the moderation queue shows. */
export const REPORT_EXCERPT_LENGTH = 2000;

export interface StaffAccessInput {
  staffId: string;
  reason: StaffAccessReason;
  conversationId?: string | null;
  messageId?: string | null;
  caseId?: string | null;
}

/** Records one staff reading, in the caller's transaction, with its audit entry. */
export async function recordStaffAccess(db: DbExecutor, input: StaffAccessInput): Promise<void> {
  await inTransaction(db, async (trx) => {
    const id = newId();
    await tablesOf<Tables>(trx)
      .insertInto('messages_staff_access')
      .values({
        id,
        staff_id: input.staffId,
        reason: input.reason,
        conversation_id: input.conversationId ?? null,
        message_id: input.messageId ?? null,
        case_id: input.caseId ?? null,
        accessed_at: nowTime(),
      })
      .execute();
    await appendAudit(trx, {
      action: 'messages.staff-read',
      actorId: input.staffId,
      detail: {
        accessId: id,
        reason: input.reason,
        conversationId: input.conversationId ?? null,
        messageId: input.messageId ?? null,
        caseId: input.caseId ?? null,
      },
    });
  });
}

/** The `message` kind of the forum's moderation queue. */
export const messageReportTarget: ReportTarget = {
  async describe(db, targetId, viewer) {
    return inTransaction(db, async (trx) => {
      const message = await tablesOf<Tables>(trx)
        .selectFrom('messages_messages as m')
        .innerJoin('accounts_users as u', 'u.id', 'm.sender_id')
        .select(['m.id', 'm.conversation_id', 'm.sender_id', 'm.body', 'u.username'])
        .where('m.id', '=', targetId)
        .executeTakeFirst();
      // Deleted by everyone, or with its sender's account: nothing to read, nothing to log.
      if (!message) return undefined;
      await recordStaffAccess(trx, {
        staffId: viewer.staffId,
        reason: 'report',
        conversationId: message.conversation_id,
        messageId: message.id,
      });
      const excerpt =
        message.body.length > REPORT_EXCERPT_LENGTH
          ? `${message.body.slice(0, REPORT_EXCERPT_LENGTH)}…`
          : message.body;
      return { excerpt, authorId: message.sender_id, authorName: message.username };
    });
  },
};

export interface StaffAccessEntry {
  id: string;
  staffName: string;
  reason: StaffAccessReason;
  conversationId: string | null;
  messageId: string | null;
  caseId: string | null;
  accessedAt: string;
}

export const STAFF_ACCESS_PAGE = 100;

/** The access log for the DPO, newest first, a page at a time (keyset on time and id). */
export async function listStaffAccess(
  db: DbExecutor,
  options: { before?: { accessedAt: string; id: string } } = {},
): Promise<{ entries: StaffAccessEntry[]; next: { accessedAt: string; id: string } | null }> {
  let query = tablesOf<Tables>(db)
    .selectFrom('messages_staff_access as a')
    .leftJoin('accounts_users as u', 'u.id', 'a.staff_id')
    .select([
      'a.id',
      'a.staff_id',
      'a.reason',
      'a.conversation_id',
      'a.message_id',
      'a.case_id',
      'a.accessed_at',
      'u.username',
    ]);
  const before = options.before;
  if (before) {
    query = query.where((eb) =>
      eb.or([
        eb('a.accessed_at', '<', before.accessedAt),
        eb.and([eb('a.accessed_at', '=', before.accessedAt), eb('a.id', '<', before.id)]),
      ]),
    );
  }
  const rows = await query
    .orderBy('a.accessed_at', 'desc')
    .orderBy('a.id', 'desc')
    .limit(STAFF_ACCESS_PAGE + 1)
    .execute();
  const page = rows.slice(0, STAFF_ACCESS_PAGE);
  const last = page[page.length - 1];
  return {
    entries: page.map((row) => ({
      id: row.id,
      // A staff member whose account is gone is named by the id the audit chain also holds.
      staffName: row.username ?? `former staff member ${row.staff_id}`,
      reason: row.reason,
      conversationId: row.conversation_id,
      messageId: row.message_id,
      caseId: row.case_id,
      accessedAt: row.accessed_at,
    })),
    next:
      rows.length > STAFF_ACCESS_PAGE && last
        ? { accessedAt: last.accessed_at, id: last.id }
        : null,
  };
}
