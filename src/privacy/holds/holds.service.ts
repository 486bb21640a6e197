/**
 * Legal and safeguarding holds (DESIGN.md §5.5, promise P34): while a hold is in force for a
 * subject, neither erasure nor retention touches their data. A hold names who placed it, why,
 * and until when; it ends when lifted or when `until` passes. Placing and lifting are audited in
 * the same transaction. Only staff see holds: they are withheld from the member's export.
 */
import { type Expression, type ExpressionBuilder, type Kysely, type SqlBool } from 'kysely';
import { tablesOf, type DbExecutor } from '../../platform/db/database.js';
import { newId } from '../../platform/db/ids.js';
import { toDbTime } from '../../platform/db/portable.js';
import { AppError } from '../../platform/http/errors.js';
import { appendAudit, inTransaction } from '../audit/audit.service.js';
import type { HoldKind, HoldsTables, PrivacyHoldsTable } from './holds.tables.js';

export type { HoldKind } from './holds.tables.js';

export const HOLD_KINDS: readonly HoldKind[] = ['legal', 'safeguarding'];
const MAX_REASON_LENGTH = 2000;
const MAX_ID_LENGTH = 200;
/** Ids per `in (…)` list: well under SQLite's bound-parameter limit. */
const ID_CHUNK = 500;

export interface Hold {
  id: string;
  subjectId: string;
  kind: HoldKind;
  reason: string;
  placedBy: string;
  placedAt: Date;
  until: Date | null;
  liftedAt: Date | null;
  liftedBy: string | null;
  liftReason: string | null;
  /** In force now: not lifted and not past `until`. */
  active: boolean;
}

export interface PlaceHoldInput {
  subjectId: string;
  kind: HoldKind;
  reason: string;
  placedBy: string;
  until?: Date | null;
}

export interface LiftHoldInput {
  holdId: string;
  liftedBy: string;
  reason: string;
}

function toHold(row: PrivacyHoldsTable, now: Date): Hold {
  const until = row.until === null ? null : new Date(row.until);
  const liftedAt = row.lifted_at === null ? null : new Date(row.lifted_at);
  return {
    id: row.id,
    subjectId: row.subject_id,
    kind: row.kind,
    reason: row.reason,
    placedBy: row.placed_by,
    placedAt: new Date(row.placed_at),
    until,
    liftedAt,
    liftedBy: row.lifted_by,
    liftReason: row.lift_reason,
    active: isInForce(liftedAt, until, now),
  };
}

function isInForce(liftedAt: Date | null, until: Date | null, at: Date): boolean {
  return (liftedAt === null || liftedAt > at) && (until === null || until > at);
}

function requireId(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > MAX_ID_LENGTH) {
    throw new AppError('validation_failed', `${field} must name someone`, {
      fields: { [field]: 'is required' },
    });
  }
  return value;
}

function requireReason(value: unknown, field: string): string {
  const reason = typeof value === 'string' ? value.trim() : '';
  if (reason === '') {
    throw new AppError('validation_failed', 'A hold needs a reason.', {
      fields: { [field]: 'is required' },
    });
  }
  if (reason.length > MAX_REASON_LENGTH) {
    throw new AppError('validation_failed', 'The reason is too long.', {
      fields: { [field]: `is longer than ${MAX_REASON_LENGTH} characters` },
    });
  }
  return reason;
}

/**
 * The condition "this hold is in force at `at`", for queries on privacy_holds. A hold counts
 * from the moment it is placed whatever `at` says: a retention run "as of" an earlier date must
 * not erase what is held today. Times are ISO 8601 text, which compares as it sorts.
 */
export function holdInForce(
  eb: ExpressionBuilder<HoldsTables, 'privacy_holds'>,
  at: Date,
): Expression<SqlBool> {
  const time = toDbTime(at);
  return eb.and([
    eb.or([eb('lifted_at', 'is', null), eb('lifted_at', '>', time)]),
    eb.or([eb('until', 'is', null), eb('until', '>', time)]),
  ]);
}

/** `select subject_id from privacy_holds where <in force>`: a subquery for other engines. */
export function heldSubjectIdsQuery(db: DbExecutor, at: Date = new Date()) {
  return tablesOf<HoldsTables>(db)
    .selectFrom('privacy_holds')
    .select('subject_id')
    .where((eb) => holdInForce(eb, at));
}

/** Places a hold and audits it, in one transaction. */
export async function placeHold(db: DbExecutor, input: PlaceHoldInput): Promise<Hold> {
  const subjectId = requireId(input.subjectId, 'subjectId');
  const placedBy = requireId(input.placedBy, 'placedBy');
  const reason = requireReason(input.reason, 'reason');
  if (!HOLD_KINDS.includes(input.kind)) {
    throw new AppError('validation_failed', 'A hold is legal or safeguarding.', {
      fields: { kind: 'must be legal or safeguarding' },
    });
  }
  const now = new Date();
  const until = input.until ?? null;
  if (until !== null) {
    if (!(until instanceof Date) || Number.isNaN(until.getTime())) {
      throw new AppError('validation_failed', 'The end of a hold must be a date.', {
        fields: { until: 'is not a date' },
      });
    }
    if (until <= now) {
      throw new AppError('validation_failed', 'A hold must end in the future.', {
        fields: { until: 'is not in the future' },
      });
    }
  }
  const row: PrivacyHoldsTable = {
    id: newId(),
    subject_id: subjectId,
    kind: input.kind,
    reason,
    placed_by: placedBy,
    placed_at: toDbTime(now),
    until: until === null ? null : toDbTime(until),
    lifted_at: null,
    lifted_by: null,
    lift_reason: null,
  };
  return inTransaction(db, async (trx) => {
    await tablesOf<HoldsTables>(trx).insertInto('privacy_holds').values(row).execute();
    // The entry names the hold, not the member: the member's own audit details are part of
    // their export, and only staff may learn of a hold.
    await appendAudit(trx, {
      action: 'hold.placed',
      actorId: placedBy,
      detail: { holdId: row.id, kind: row.kind, until: row.until },
    });
    return toHold(row, now);
  });
}

/** Lifts a hold and audits it, in one transaction. */
export async function liftHold(db: DbExecutor, input: LiftHoldInput): Promise<Hold> {
  const holdId = requireId(input.holdId, 'holdId');
  const liftedBy = requireId(input.liftedBy, 'liftedBy');
  const reason = requireReason(input.reason, 'reason');
  const now = new Date();
  return inTransaction(db, async (trx) => {
    const holds = tablesOf<HoldsTables>(trx);
    const lifted = await holds
      .updateTable('privacy_holds')
      .set({ lifted_at: toDbTime(now), lifted_by: liftedBy, lift_reason: reason })
      .where('id', '=', holdId)
      .where('lifted_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    if (!lifted) {
      const exists = await holds
        .selectFrom('privacy_holds')
        .select('id')
        .where('id', '=', holdId)
        .executeTakeFirst();
      // Lifting twice would rewrite who lifted the hold and why.
      throw exists
        ? new AppError('conflict', 'This hold was lifted already.')
        : new AppError('not_found', 'There is no hold with this id.');
    }
    await appendAudit(trx, { action: 'hold.lifted', actorId: liftedBy, detail: { holdId } });
    return toHold(lifted, now);
  });
}

/** Whether a hold is in force for the subject at `at` (now by default). */
export async function isUnderHold(
  db: DbExecutor,
  subjectId: string,
  at: Date = new Date(),
): Promise<boolean> {
  const found = await tablesOf<HoldsTables>(db)
    .selectFrom('privacy_holds')
    .select('id')
    .where('subject_id', '=', subjectId)
    .where((eb) => holdInForce(eb, at))
    .limit(1)
    .executeTakeFirst();
  return found !== undefined;
}

/** The subjects among `subjectIds` that a hold keeps at `at`: one query per 500 ids. */
export async function heldSubjects(
  db: DbExecutor,
  subjectIds: readonly string[],
  at: Date = new Date(),
): Promise<Set<string>> {
  const held = new Set<string>();
  const unique = [...new Set(subjectIds)];
  const holds: Kysely<HoldsTables> = tablesOf<HoldsTables>(db);
  for (let start = 0; start < unique.length; start += ID_CHUNK) {
    const chunk = unique.slice(start, start + ID_CHUNK);
    const rows = await holds
      .selectFrom('privacy_holds')
      .select('subject_id')
      .distinct()
      .where('subject_id', 'in', chunk)
      .where((eb) => holdInForce(eb, at))
      .execute();
    for (const row of rows) held.add(row.subject_id);
  }
  return held;
}

/** Every hold ever placed on the subject, newest first. */
export async function listHolds(db: DbExecutor, subjectId: string): Promise<Hold[]> {
  const rows = await tablesOf<HoldsTables>(db)
    .selectFrom('privacy_holds')
    .selectAll()
    .where('subject_id', '=', subjectId)
    .orderBy('placed_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  const now = new Date();
  return rows.map((row) => toHold(row, now));
}
