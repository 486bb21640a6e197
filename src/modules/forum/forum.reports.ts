/**
 * Reports and sanctions: the one moderation queue (issue 7, point 4).
 *
 * Members report things; each kind of thing (`post` here, `message` in the messages module) is a
 * ReportTarget that knows how to show itself to a moderator and, optionally, how to hide and
 * restore itself. The queue, the reports table and the sanctions belong to the forum; other
 * modules plug in with `registerReportTarget` and file reports with `fileReport`.
 */
import {
  fixedPlanValue,
  precompiledQuery,
  tablesOf,
  type DbExecutor,
} from '../../platform/db/database.js';
import { newId } from '../../platform/db/ids.js';
import { nowTime, toDbTime } from '../../platform/db/portable.js';
import { AppError } from '../../platform/http/errors.js';
import type { ForumTables } from './forum.tables.js';

export interface ReportTarget {
  /** What a moderator sees for a reported item; the implementation audits the staff access. */
  describe(
    db: DbExecutor,
    targetId: string,
    viewer: { staffId: string },
  ): Promise<
    { excerpt: string; authorId: string | null; authorName: string; href?: string } | undefined
  >;
  hide?(db: DbExecutor, targetId: string, actor: { staffId: string }): Promise<void>;
  restore?(db: DbExecutor, targetId: string, actor: { staffId: string }): Promise<void>;
}

const targets = new Map<string, ReportTarget>();

const KIND = /^[a-z][a-z0-9-]{0,31}$/;

/**
 * Makes reports of `kind` possible and tells the queue how to show them. A module registers at
 * import time ('post' is the forum's, 'message' the messages module's); registering a kind again
 * replaces it (tests build several apps in one process).
 */
export function registerReportTarget(kind: string, target: ReportTarget): void {
  if (!KIND.test(kind)) throw new Error(`Report kind must be a short lower-case word: ${kind}`);
  targets.set(kind, target);
}

export function reportTargetFor(kind: string): ReportTarget | undefined {
  return targets.get(kind);
}

export const MAX_REPORT_REASON = 1000;

/**
 * Files a member's report into the moderation queue. The caller has already checked that the
 * reporter may see the target (a post is public; a message only to its participants). A second
 * report by the same member on the same item while the first is open returns the first.
 */
export async function fileReport(
  db: DbExecutor,
  input: { kind: string; targetId: string; reporterId: string; reason: string },
): Promise<{ id: string }> {
  if (!targets.has(input.kind)) {
    throw new AppError('validation_failed', `Nothing of kind "${input.kind}" can be reported.`, {
      fields: { kind: 'Unknown kind of report.' },
    });
  }
  const reason = input.reason.trim();
  if (reason.length === 0) {
    throw new AppError('validation_failed', 'Please say what is wrong.', {
      fields: { reason: 'Please say what is wrong.' },
    });
  }
  if (reason.length > MAX_REPORT_REASON) {
    throw new AppError('validation_failed', 'The reason is too long.', {
      fields: { reason: `Please keep it under ${MAX_REPORT_REASON} characters.` },
    });
  }
  const tables = tablesOf<ForumTables>(db);
  const existing = await tables
    .selectFrom('forum_reports')
    .select('id')
    .where('kind', '=', input.kind)
    .where('target_id', '=', input.targetId)
    .where('reporter_id', '=', input.reporterId)
    .where('status', '=', 'open')
    .executeTakeFirst();
  if (existing) return { id: existing.id };
  const id = newId();
  await tables
    .insertInto('forum_reports')
    .values({
      id,
      kind: input.kind,
      target_id: input.targetId,
      reporter_id: input.reporterId,
      reason,
      status: 'open',
      outcome: null,
      created_at: nowTime(),
      closed_at: null,
    })
    .execute();
  return { id };
}

/**
 * True while a suspension of the member runs: they cannot post, reply, edit, like or send
 * messages until its end (or until a moderator lifts it).
 */
export async function isSuspended(
  db: DbExecutor,
  memberId: string,
  now: Date = new Date(),
): Promise<boolean> {
  const row = await tablesOf<ForumTables>(db)
    .selectFrom('forum_sanctions')
    .select('id')
    .where('member_id', '=', memberId)
    .where('kind', '=', 'suspension')
    .where('lifted_at', 'is', null)
    .where('ends_at', '>', toDbTime(now))
    .executeTakeFirst();
  return row !== undefined;
}

const suspensionQuery = precompiledQuery(['memberId', 'now'], (db, values) =>
  tablesOf<ForumTables>(db)
    .selectFrom('forum_sanctions')
    .select('ends_at')
    .where('member_id', '=', fixedPlanValue<string>(values.memberId, 'text'))
    .where('kind', '=', 'suspension')
    .where('lifted_at', 'is', null)
    .where('ends_at', '>', fixedPlanValue<string>(values.now, 'text'))
    .orderBy('ends_at', 'desc')
    .limit(1),
);

/** Refuses an act of a suspended member with a 403 that says until when. */
export async function assertNotSuspended(
  db: DbExecutor,
  memberId: string,
  now: Date = new Date(),
): Promise<void> {
  const { rows } = await suspensionQuery(db, { memberId, now: toDbTime(now) });
  const row = rows[0];
  if (row?.ends_at) {
    throw new AppError(
      'forbidden',
      `Your account is suspended from posting until ${row.ends_at.slice(0, 16).replace('T', ' ')} UTC.`,
    );
  }
}
