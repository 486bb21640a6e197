/**
 * Restrictions (Art. 18) and objections (Art. 21), per subject and purpose. `can()` and
 * `filterAllowed()` read them: an active restriction or objection stops processing for its
 * purpose. An objection stops processing until a DPO records a compelling legitimate reason to
 * continue (Art. 21(1), promise P53); that override is kept with the objection, with who and why.
 */
import type { Kysely } from 'kysely';
import { tablesOf, type AnyTables, type DbExecutor } from '../../platform/db/database.js';
import { newId } from '../../platform/db/ids.js';
import { forUpdate, toDbTime } from '../../platform/db/portable.js';
import { appendAudit } from '../audit/audit.service.js';
import { getPurpose, type PurposeKey } from '../purposes.js';
import {
  InvalidProcessingLimitError,
  ObjectionNotApplicableError,
  ProcessingLimitNotFoundError,
  ProcessingLimitStateError,
} from './consent.errors.js';
import type {
  ConsentTables,
  ProcessingLimitKind,
  ProcessingLimitStatus,
  ProcessingLimitsTable,
} from './consent.tables.js';
import { inTransaction } from './in-transaction.js';

/** A restriction of every purpose at once (Art. 18(1)(a): while accuracy is contested). */
export const ALL_PURPOSES = '*';

const MAX_REASON_LENGTH = 4000;

export interface ProcessingLimit {
  id: string;
  subjectId: string;
  kind: ProcessingLimitKind;
  purpose: PurposeKey | typeof ALL_PURPOSES;
  status: ProcessingLimitStatus;
  reason: string;
  recordedBy: string;
  recordedAt: string;
  override: { reason: string; by: string; at: string } | null;
  closed: { reason: string | null; by: string; at: string } | null;
}

function toProcessingLimit(row: ProcessingLimitsTable): ProcessingLimit {
  return {
    id: row.id,
    subjectId: row.subject_id,
    kind: row.kind,
    purpose: row.purpose as PurposeKey | typeof ALL_PURPOSES,
    status: row.status,
    reason: row.reason,
    recordedBy: row.recorded_by,
    recordedAt: row.recorded_at,
    override:
      row.override_reason !== null && row.override_by !== null && row.override_at !== null
        ? { reason: row.override_reason, by: row.override_by, at: row.override_at }
        : null,
    closed:
      row.closed_by !== null && row.closed_at !== null
        ? { reason: row.closed_reason, by: row.closed_by, at: row.closed_at }
        : null,
  };
}

function requireText(value: string, field: string): string {
  const trimmed = value.trim();
  if (trimmed === '') throw new InvalidProcessingLimitError(`${field} is required`, field);
  if (trimmed.length > MAX_REASON_LENGTH) {
    throw new InvalidProcessingLimitError(
      `${field} is longer than ${MAX_REASON_LENGTH} characters`,
      field,
    );
  }
  return trimmed;
}

function requireId(value: string, field: string): string {
  if (!/^[A-Za-z0-9._:-]{1,200}$/.test(value)) {
    throw new InvalidProcessingLimitError(`${field} is not a valid id`, field);
  }
  return value;
}

function validTime(at: Date | undefined): string {
  const time = at ?? new Date();
  if (Number.isNaN(time.getTime())) throw new InvalidProcessingLimitError('invalid time', 'at');
  return toDbTime(time);
}

/**
 * Opens a limit unless one of the same kind is already open for the subject and purpose; then
 * that one is returned unchanged. The partial unique index makes this safe under concurrency.
 */
async function openLimit(
  executor: DbExecutor<AnyTables>,
  row: ProcessingLimitsTable,
): Promise<ProcessingLimit> {
  return inTransaction(executor, async (trx) => {
    const db = tablesOf<ConsentTables>(trx);
    const inserted = await db
      .insertInto('privacy_processing_limits')
      .values(row)
      .onConflict((conflict) =>
        conflict
          .columns(['subject_id', 'kind', 'purpose'])
          .where('closed_at', 'is', null)
          .doNothing(),
      )
      .executeTakeFirst();
    const open = await db
      .selectFrom('privacy_processing_limits')
      .selectAll()
      .where('subject_id', '=', row.subject_id)
      .where('kind', '=', row.kind)
      .where('purpose', '=', row.purpose)
      .where('closed_at', 'is', null)
      .executeTakeFirst();
    if (!open) {
      // Closed by someone else between our insert attempt and our read.
      throw new ProcessingLimitStateError(
        `The ${row.kind} for ${row.purpose} changed while it was being recorded; try again`,
      );
    }
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1) {
      await appendAudit(trx, {
        action: `${row.kind}.recorded`,
        actorId: row.recorded_by,
        subjectId: row.subject_id,
        detail: { limitId: row.id, purpose: row.purpose },
      });
    }
    return toProcessingLimit(open);
  });
}

export interface RecordRestrictionInput {
  subjectId: string;
  /** A purpose key, or `*` to restrict every purpose. */
  purpose: string;
  reason: string;
  /** The member themself, or the staff member who recorded the request. */
  recordedBy: string;
  at?: Date;
}

/** Records an Art. 18 restriction: processing for the purpose stops until it is lifted. */
export async function recordRestriction(
  executor: DbExecutor<AnyTables>,
  input: RecordRestrictionInput,
): Promise<ProcessingLimit> {
  const purpose = input.purpose === ALL_PURPOSES ? ALL_PURPOSES : getPurpose(input.purpose).key;
  return openLimit(executor, {
    id: newId(),
    subject_id: requireId(input.subjectId, 'subjectId'),
    kind: 'restriction',
    purpose,
    status: 'active',
    reason: requireText(input.reason, 'reason'),
    recorded_by: requireId(input.recordedBy, 'recordedBy'),
    recorded_at: validTime(input.at),
    override_reason: null,
    override_by: null,
    override_at: null,
    closed_reason: null,
    closed_by: null,
    closed_at: null,
  });
}

export interface RecordObjectionInput {
  subjectId: string;
  purpose: string;
  /** The person's grounds relating to their particular situation (Art. 21(1)). */
  reason: string;
  recordedBy: string;
  at?: Date;
}

/**
 * Records an Art. 21 objection. Only purposes relying on legitimate interests or public task
 * can be objected to; consent is withdrawn through the ledger instead.
 */
export async function recordObjection(
  executor: DbExecutor<AnyTables>,
  input: RecordObjectionInput,
): Promise<ProcessingLimit> {
  const purpose = getPurpose(input.purpose);
  if (!purpose.canObject) throw new ObjectionNotApplicableError(purpose.key, purpose.basis);
  return openLimit(executor, {
    id: newId(),
    subject_id: requireId(input.subjectId, 'subjectId'),
    kind: 'objection',
    purpose: purpose.key,
    status: 'active',
    reason: requireText(input.reason, 'reason'),
    recorded_by: requireId(input.recordedBy, 'recordedBy'),
    recorded_at: validTime(input.at),
    override_reason: null,
    override_by: null,
    override_at: null,
    closed_reason: null,
    closed_by: null,
    closed_at: null,
  });
}

async function lockLimit(
  db: Kysely<ConsentTables>,
  trx: Kysely<AnyTables>,
  id: string,
): Promise<ProcessingLimitsTable> {
  const row = await db
    .selectFrom('privacy_processing_limits')
    .selectAll()
    .where('id', '=', id)
    .modifyEnd(forUpdate(trx))
    .executeTakeFirst();
  if (!row) throw new ProcessingLimitNotFoundError(id);
  return row;
}

/** Applies a status change under a row lock and audits it with the person who made it. */
async function changeLimit(
  executor: DbExecutor<AnyTables>,
  id: string,
  audit: { action: string; actorId: string },
  change: (row: ProcessingLimitsTable) => Partial<ProcessingLimitsTable>,
): Promise<ProcessingLimit> {
  return inTransaction(executor, async (trx) => {
    const db = tablesOf<ConsentTables>(trx);
    const row = await lockLimit(db, trx, id);
    const update = change(row);
    await db.updateTable('privacy_processing_limits').set(update).where('id', '=', id).execute();
    await appendAudit(trx, {
      action: audit.action,
      actorId: audit.actorId,
      subjectId: row.subject_id,
      detail: { limitId: row.id, purpose: row.purpose },
    });
    return toProcessingLimit({ ...row, ...update });
  });
}

/**
 * A DPO's recorded compelling legitimate reason to continue despite an objection (Art. 21(1),
 * P53). Processing for the purpose resumes; the objection stays on record with the reason.
 */
export async function recordObjectionOverride(
  executor: DbExecutor<AnyTables>,
  input: { objectionId: string; dpoId: string; reason: string; at?: Date },
): Promise<ProcessingLimit> {
  const reason = requireText(input.reason, 'reason');
  const dpoId = requireId(input.dpoId, 'dpoId');
  const at = validTime(input.at);
  return changeLimit(
    executor,
    input.objectionId,
    { action: 'objection.overridden', actorId: dpoId },
    (row) => {
      if (row.kind !== 'objection') {
        throw new ProcessingLimitStateError(`${row.id} is a restriction, not an objection`);
      }
      if (row.status !== 'active') {
        throw new ProcessingLimitStateError(`Objection ${row.id} is ${row.status}, not active`);
      }
      return { status: 'overridden', override_reason: reason, override_by: dpoId, override_at: at };
    },
  );
}

/** The person withdraws their objection; processing may resume. */
export async function withdrawObjection(
  executor: DbExecutor<AnyTables>,
  input: { objectionId: string; withdrawnBy: string; reason?: string; at?: Date },
): Promise<ProcessingLimit> {
  const withdrawnBy = requireId(input.withdrawnBy, 'withdrawnBy');
  const reason = input.reason === undefined ? null : requireText(input.reason, 'reason');
  const at = validTime(input.at);
  return changeLimit(
    executor,
    input.objectionId,
    { action: 'objection.withdrawn', actorId: withdrawnBy },
    (row) => {
      if (row.kind !== 'objection') {
        throw new ProcessingLimitStateError(`${row.id} is a restriction, not an objection`);
      }
      if (row.closed_at !== null) {
        throw new ProcessingLimitStateError(`Objection ${row.id} is already ${row.status}`);
      }
      return { status: 'withdrawn', closed_reason: reason, closed_by: withdrawnBy, closed_at: at };
    },
  );
}

/**
 * Lifts a restriction. Art. 18(3): the person must be told before it is lifted; the caller
 * (the rights-request flow) sends that notice in the same transaction.
 */
export async function liftRestriction(
  executor: DbExecutor<AnyTables>,
  input: { restrictionId: string; liftedBy: string; reason: string; at?: Date },
): Promise<ProcessingLimit> {
  const reason = requireText(input.reason, 'reason');
  const liftedBy = requireId(input.liftedBy, 'liftedBy');
  const at = validTime(input.at);
  return changeLimit(
    executor,
    input.restrictionId,
    { action: 'restriction.lifted', actorId: liftedBy },
    (row) => {
      if (row.kind !== 'restriction') {
        throw new ProcessingLimitStateError(`${row.id} is an objection, not a restriction`);
      }
      if (row.closed_at !== null) {
        throw new ProcessingLimitStateError(`Restriction ${row.id} is already ${row.status}`);
      }
      return { status: 'lifted', closed_reason: reason, closed_by: liftedBy, closed_at: at };
    },
  );
}

/** Every restriction and objection of the subject, newest first. */
export async function listProcessingLimits(
  executor: DbExecutor<AnyTables>,
  subjectId: string,
): Promise<ProcessingLimit[]> {
  const rows = await tablesOf<ConsentTables>(executor)
    .selectFrom('privacy_processing_limits')
    .selectAll()
    .where('subject_id', '=', subjectId)
    .orderBy('recorded_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  return rows.map(toProcessingLimit);
}
