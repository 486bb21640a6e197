/**
 * Moderation (issue 7, point 4; P46): the one queue of open reports, whatever kind of thing was
 * reported; hiding and restoring posts; warnings and suspensions. Every moderator action is
 * audited with opaque ids (`appendAudit`): the moderator as actor, the member concerned as
 * subject, ids of posts and reports in the detail, never text.
 */
import type { DbExecutor } from '../../platform/db/database.js';
import { tablesOf } from '../../platform/db/database.js';
import { newId } from '../../platform/db/ids.js';
import { toDbTime } from '../../platform/db/portable.js';
import { AppError } from '../../platform/http/errors.js';
import { queueMail } from '../../platform/mail/mail.outbox.js';
import { appendAudit, inTransaction } from '../../privacy/audit/audit.service.js';
import type { AccountsTables, Role } from '../accounts/index.js';
import { excerptOf, plainTextOf } from './forum.markdown.js';
import { forumTables, selectPost } from './forum.queries.js';
import { registerReportTarget, reportTargetFor, type ReportTarget } from './forum.reports.js';
import { postHref } from './forum.service.js';
import type { ReportOutcome } from './forum.tables.js';

/** Who works the queue, hides posts and sanctions members. */
export const MODERATOR_ROLES: readonly Role[] = ['moderator', 'admin'];

export function isModerator(roles: readonly string[]): boolean {
  return roles.some((role) => (MODERATOR_ROLES as readonly string[]).includes(role));
}

/** The longest suspension a moderator can give in one go. */
export const MAX_SUSPENSION_DAYS = 365;

async function setPostHidden(
  db: DbExecutor,
  postId: string,
  staffId: string,
  hidden: boolean,
): Promise<void> {
  await inTransaction(db, async (trx) => {
    const post = await selectPost(trx, postId);
    if (!post) throw new AppError('not_found', 'There is no such post.');
    const tables = forumTables(trx);
    await tables
      .updateTable('forum_posts')
      .set({ is_hidden: hidden ? 1 : 0 })
      .where('id', '=', postId)
      .execute();
    // The opening post carries the thread's title: hiding it hides the whole thread.
    if (post.position === 1) {
      await tables
        .updateTable('forum_threads')
        .set({ is_hidden: hidden ? 1 : 0 })
        .where('id', '=', post.thread_id)
        .execute();
    }
    await appendAudit(trx, {
      action: hidden ? 'forum.post-hidden' : 'forum.post-restored',
      actorId: staffId,
      subjectId: post.author_id,
      detail: { postId, threadId: post.thread_id },
    });
  });
}

/** The forum's own report target: posts. */
export const postReportTarget: ReportTarget = {
  async describe(db, targetId, viewer) {
    const post = await selectPost(db, targetId);
    if (!post) return undefined;
    await appendAudit(db, {
      action: 'forum.reported-post-viewed',
      actorId: viewer.staffId,
      subjectId: post.author_id,
      detail: { postId: post.id },
    });
    return {
      excerpt: excerptOf(plainTextOf(post.body_html), 400),
      authorId: post.author_id,
      authorName: post.author_name,
      href: postHref(post.thread_id, post.position),
    };
  },
  hide: (db, targetId, actor) => setPostHidden(db, targetId, actor.staffId, true),
  restore: (db, targetId, actor) => setPostHidden(db, targetId, actor.staffId, false),
};

registerReportTarget('post', postReportTarget);

export function hidePost(db: DbExecutor, postId: string, staffId: string): Promise<void> {
  return inTransaction(db, async (trx) => {
    await setPostHidden(trx, postId, staffId, true);
    await closeReports(trx, 'post', postId, 'hidden');
  });
}

export function restorePost(db: DbExecutor, postId: string, staffId: string): Promise<void> {
  return inTransaction(db, async (trx) => {
    await setPostHidden(trx, postId, staffId, false);
    await closeReports(trx, 'post', postId, 'restored');
  });
}

async function closeReports(
  db: DbExecutor,
  kind: string,
  targetId: string,
  outcome: ReportOutcome,
  now: Date = new Date(),
): Promise<number> {
  const result = await forumTables(db)
    .updateTable('forum_reports')
    .set({ status: 'closed', outcome, closed_at: toDbTime(now) })
    .where('kind', '=', kind)
    .where('target_id', '=', targetId)
    .where('status', '=', 'open')
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

// ---------------------------------------------------------------------------------------------
// The queue

export interface QueueItem {
  kind: string;
  targetId: string;
  reports: { id: string; reason: string; createdAt: string }[];
  firstReportedAt: string;
  /** Undefined when the reported thing no longer exists. */
  target:
    { excerpt: string; authorId: string | null; authorName: string; href?: string } | undefined;
  canHide: boolean;
  canRestore: boolean;
}

export const QUEUE_SIZE = 50;

/**
 * Open reports, grouped by what they report, oldest first. Each reported thing is described by
 * its target (which audits the moderator's look at it).
 */
export async function listQueue(db: DbExecutor, staffId: string): Promise<QueueItem[]> {
  const rows = await forumTables(db)
    .selectFrom('forum_reports')
    .select(['id', 'kind', 'target_id', 'reason', 'created_at'])
    .where('status', '=', 'open')
    .orderBy('created_at')
    .orderBy('id')
    .limit(QUEUE_SIZE * 10)
    .execute();
  const groups = new Map<string, QueueItem>();
  for (const row of rows) {
    const key = `${row.kind}:${row.target_id}`;
    let item = groups.get(key);
    if (!item) {
      if (groups.size >= QUEUE_SIZE) continue;
      const target = reportTargetFor(row.kind);
      item = {
        kind: row.kind,
        targetId: row.target_id,
        reports: [],
        firstReportedAt: row.created_at,
        target: undefined,
        canHide: target?.hide !== undefined,
        canRestore: target?.restore !== undefined,
      };
      groups.set(key, item);
    }
    item.reports.push({ id: row.id, reason: row.reason, createdAt: row.created_at });
  }
  const items = [...groups.values()];
  for (const item of items) {
    const target = reportTargetFor(item.kind);
    item.target = target ? await target.describe(db, item.targetId, { staffId }) : undefined;
  }
  return items;
}

export type QueueAction = 'hide' | 'restore' | 'dismiss';

/** Acts on every open report of one reported thing: hides, restores, or dismisses it. */
export async function resolveReports(
  db: DbExecutor,
  staffId: string,
  kind: string,
  targetId: string,
  action: QueueAction,
): Promise<void> {
  const target = reportTargetFor(kind);
  if (!target) throw new AppError('not_found', 'Nothing of that kind can be reported.');
  await inTransaction(db, async (trx) => {
    let outcome: ReportOutcome;
    switch (action) {
      case 'hide':
        if (!target.hide) throw new AppError('conflict', 'This kind of item cannot be hidden.');
        await target.hide(trx, targetId, { staffId });
        outcome = 'hidden';
        break;
      case 'restore':
        if (!target.restore)
          throw new AppError('conflict', 'This kind of item cannot be restored.');
        await target.restore(trx, targetId, { staffId });
        outcome = 'restored';
        break;
      case 'dismiss':
        outcome = 'dismissed';
        break;
    }
    const closed = await closeReports(trx, kind, targetId, outcome);
    await appendAudit(trx, {
      action: 'forum.reports-closed',
      actorId: staffId,
      detail: { kind, targetId, outcome, reports: closed },
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Sanctions

export interface Sanction {
  id: string;
  kind: 'warning' | 'suspension';
  reason: string;
  createdAt: string;
  endsAt: string | null;
  liftedAt: string | null;
}

async function recipientOf(db: DbExecutor, memberId: string) {
  const member = await tablesOf<AccountsTables>(db)
    .selectFrom('accounts_users')
    .select(['id', 'email', 'first_name', 'status'])
    .where('id', '=', memberId)
    .executeTakeFirst();
  if (!member) throw new AppError('not_found', 'There is no such member.');
  return member;
}

function reasonErrors(reason: string): Record<string, string> {
  const trimmed = reason.trim();
  if (trimmed.length === 0) return { reason: 'Say why, in words the member will read.' };
  if (trimmed.length > 1000) return { reason: 'Keep the reason under 1,000 characters.' };
  return {};
}

/** A moderator warns a member: recorded, mailed to them, audited. */
export async function warnMember(
  db: DbExecutor,
  staffId: string,
  memberId: string,
  reason: string,
  now: Date = new Date(),
): Promise<{ id: string }> {
  const errors = reasonErrors(reason);
  if (Object.keys(errors).length > 0) {
    throw new AppError('validation_failed', 'The warning needs a reason.', { fields: errors });
  }
  return inTransaction(db, async (trx) => {
    const member = await recipientOf(trx, memberId);
    const id = newId();
    await forumTables(trx)
      .insertInto('forum_sanctions')
      .values({
        id,
        member_id: memberId,
        kind: 'warning',
        reason: reason.trim(),
        created_at: toDbTime(now),
        ends_at: null,
        lifted_at: null,
      })
      .execute();
    if (member.status === 'active') {
      await queueMail(trx, {
        to: member.email,
        toName: member.first_name,
        subjectId: member.id,
        category: 'forum.warning',
        subject: 'A warning from the Hearth moderators',
        text: [
          `Hello ${member.first_name},`,
          '',
          'A moderator of the Coffeehouse has warned you about your posts:',
          '',
          reason.trim(),
          '',
          'Please keep to the community guidelines. Repeated problems can lead to a suspension.',
        ].join('\n'),
      });
    }
    await appendAudit(trx, {
      action: 'forum.member-warned',
      actorId: staffId,
      subjectId: memberId,
      detail: { sanctionId: id },
    });
    return { id };
  });
}

/**
 * A moderator suspends a member for `days` days: until then they cannot post, reply, edit or
 * send messages (`isSuspended`). Mailed to them and audited.
 */
export async function suspendMember(
  db: DbExecutor,
  staffId: string,
  memberId: string,
  input: { days: number; reason: string },
  now: Date = new Date(),
): Promise<{ id: string; endsAt: string }> {
  const errors: Record<string, string> = { ...reasonErrors(input.reason) };
  if (!Number.isInteger(input.days) || input.days < 1 || input.days > MAX_SUSPENSION_DAYS) {
    errors.days = `Enter a whole number of days from 1 to ${MAX_SUSPENSION_DAYS}.`;
  }
  if (Object.keys(errors).length > 0) {
    throw new AppError('validation_failed', 'The suspension needs fixing.', { fields: errors });
  }
  if (memberId === staffId) throw new AppError('conflict', 'You cannot suspend yourself.');
  return inTransaction(db, async (trx) => {
    const member = await recipientOf(trx, memberId);
    const id = newId();
    const endsAt = toDbTime(new Date(now.getTime() + input.days * 24 * 60 * 60 * 1000));
    await forumTables(trx)
      .insertInto('forum_sanctions')
      .values({
        id,
        member_id: memberId,
        kind: 'suspension',
        reason: input.reason.trim(),
        created_at: toDbTime(now),
        ends_at: endsAt,
        lifted_at: null,
      })
      .execute();
    if (member.status === 'active') {
      await queueMail(trx, {
        to: member.email,
        toName: member.first_name,
        subjectId: member.id,
        category: 'forum.suspension',
        subject: 'Your Hearth account is suspended from posting',
        text: [
          `Hello ${member.first_name},`,
          '',
          `A moderator has suspended you from posting and sending messages until ${endsAt.slice(0, 16).replace('T', ' ')} UTC, for this reason:`,
          '',
          input.reason.trim(),
          '',
          'You can still read the Coffeehouse and use your account.',
        ].join('\n'),
      });
    }
    await appendAudit(trx, {
      action: 'forum.member-suspended',
      actorId: staffId,
      subjectId: memberId,
      detail: { sanctionId: id, days: input.days },
    });
    return { id, endsAt };
  });
}

/** A moderator ends a running suspension early; audited. Returns the member's id. */
export async function liftSuspension(
  db: DbExecutor,
  staffId: string,
  sanctionId: string,
  now: Date = new Date(),
): Promise<string> {
  return inTransaction(db, async (trx) => {
    const tables = forumTables(trx);
    const sanction = await tables
      .selectFrom('forum_sanctions')
      .select(['id', 'member_id'])
      .where('id', '=', sanctionId)
      .where('kind', '=', 'suspension')
      .where('lifted_at', 'is', null)
      .executeTakeFirst();
    if (!sanction) throw new AppError('not_found', 'There is no such running suspension.');
    await tables
      .updateTable('forum_sanctions')
      .set({ lifted_at: toDbTime(now) })
      .where('id', '=', sanctionId)
      .execute();
    await appendAudit(trx, {
      action: 'forum.suspension-lifted',
      actorId: staffId,
      subjectId: sanction.member_id,
      detail: { sanctionId },
    });
    return sanction.member_id;
  });
}

/** A member's warnings and suspensions, newest first (moderators only; audited). */
export async function listSanctions(
  db: DbExecutor,
  staffId: string,
  memberId: string,
): Promise<Sanction[]> {
  return inTransaction(db, async (trx) => {
    const rows = await forumTables(trx)
      .selectFrom('forum_sanctions')
      .selectAll()
      .where('member_id', '=', memberId)
      .orderBy('created_at', 'desc')
      .execute();
    await appendAudit(trx, {
      action: 'forum.sanctions-viewed',
      actorId: staffId,
      subjectId: memberId,
    });
    return rows.map((row) => ({
      id: row.id,
      kind: row.kind,
      reason: row.reason,
      createdAt: row.created_at,
      endsAt: row.ends_at,
      liftedAt: row.lifted_at,
    }));
  });
}
