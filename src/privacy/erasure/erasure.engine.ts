/**
 * The erasure engine (DESIGN.md §5.5): applies every owner's declared `erasure` to the rows
 * about one subject.
 *
 * - **Order** comes from the live foreign keys and `via` declarations (erasure.plan.ts):
 *   children before parents, owners whose tables reference another owner's before it.
 * - **One transaction per owner.** Each owner's part ends by writing its step row in the same
 *   transaction, so after a crash a rerun finds the open run, skips the owners done and does
 *   the rest; a run after completion finds nothing left to remove.
 * - **Holds.** Nothing is changed while a hold applies to the subject (checked at the start and
 *   again inside each owner's transaction); the run stays open and resumes once the hold ends.
 * - **Audit.** Start, refusal, pause, resumption and completion are audited; the entries name
 *   the run, never the person (see startRun).
 *
 * **Rows that name several people.** A table's first `subjects` column is the row's principal
 * (the author, sender, requester); later ones name other people (recipient, actor, reporter).
 * - Where the erased member is the principal, the table's declared erasure applies to the row:
 *   `delete` removes it, `anonymise` sets the declared values, `retain` keeps it.
 * - Where they appear only in another role, the row belongs to someone else and is kept: only
 *   their own column is changed, to the value `anonymise` declares for it, else null (so such
 *   columns must be nullable). `retain` tables are left as they are.
 * - A row that also names someone under a hold is left whole, principal or not: the hold keeps
 *   what the row shows about both of them.
 * So a private message declared `delete` disappears when its sender is erased and loses only
 * the recipient's link when the recipient is; declared `{ anonymise: { sender_id: null } }` it
 * would stay with the recipient instead. Per-role copies of personal data (a recipient's name
 * copied into the row) are outside this rule; an owner that keeps them uses an `eraseFor` hook.
 * `via` rows follow their parent's principal: they are erased (by their own declaration) when
 * the parent row is the subject's, before the parent.
 *
 * **Rows still referenced.** A row to delete that a kept row still references through a
 * restricting foreign key (a message kept under someone else's hold still names its sender) is
 * kept too, and reported, rather than failing the whole owner's transaction. A later run (the
 * retention engine's, or a new request once the hold ends) finishes it.
 */
import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { PersonalTable } from '../../platform/datamap.js';
import { tablesOf, type Database, type DbExecutor } from '../../platform/db/database.js';
import { newId } from '../../platform/db/ids.js';
import { listForeignKeys, type ForeignKey } from '../../platform/db/introspect.js';
import { nowTime, toNumber } from '../../platform/db/portable.js';
import { AppError } from '../../platform/http/errors.js';
import type { ErasureReport } from '../../platform/module.js';
import { appendAudit } from '../audit/audit.service.js';
import { heldSubjectIdsQuery, isUnderHold } from '../holds/holds.service.js';
import { durationWords } from '../notice/notice.words.js';
import type { PrivacyRegistry } from '../registry.js';
import { planErasure, type OwnerStep } from './erasure.plan.js';
import type { ErasureTables } from './erasure.tables.js';
import {
  namedInOtherRole,
  namesNoOtherHeldPerson,
  personalTable,
  principalOf,
  type DeclaredTables,
} from './subject-scope.js';

export interface RetainedItem {
  table: string;
  count: number;
  reason: string;
}

export interface RemovedItem {
  table: string;
  count: number;
  action: 'deleted' | 'anonymised' | 'hook';
}

export interface ErasureOutcome {
  status: 'completed' | 'held';
  runId: string;
  /** Rows deleted or anonymised (and items an owner's hook removed), over the whole run. */
  removed: number;
  retained: RetainedItem[];
  /** What `removed` is made of, per table. */
  removedByTable: RemovedItem[];
}

export interface EraseOptions {
  actorId?: string | null;
  reason?: string;
  /**
   * Stops the run, as a crash would, right after this owner's transaction commits: how tests
   * prove that a rerun resumes.
   */
  interruptAfterOwner?: string;
}

/** Thrown by `interruptAfterOwner`: the run is left open for a rerun to finish. */
export class ErasureInterruptedError extends Error {
  constructor(
    readonly runId: string,
    readonly owner: string,
  ) {
    super(`erasure run ${runId} interrupted after owner ${owner}`);
    this.name = 'ErasureInterruptedError';
  }
}

interface StepReport {
  removed: RemovedItem[];
  retained: RetainedItem[];
}

const SHARED_ROW_REASON = 'Kept for the other person named in it; your link to it was removed.';
const HELD_ROW_REASON =
  'Kept whole: it also concerns another person whose data is under a legal or safeguarding hold.';
const REFERENCED_ROW_REASON =
  'Kept for now: other data that has to be kept (listed here) still refers to it.';

function retainReason(table: PersonalTable): string {
  if (typeof table.erasure !== 'object' || !('retain' in table.erasure)) return '';
  const { basis, reason, for: duration } = table.erasure.retain;
  return `${reason} Legal basis: ${basis}; kept for ${durationWords(duration)}.`;
}

function countOf(result: { numDeletedRows?: bigint; numUpdatedRows?: bigint }): number {
  return Number(result.numDeletedRows ?? result.numUpdatedRows ?? 0n);
}

/**
 * Rows not yet in their anonymised state, so that anonymising twice changes (and counts)
 * nothing the second time.
 */
function differsFrom(values: Record<string, string | number | null>): RawBuilder<SqlBool> {
  const differences = Object.entries(values).map(([column, value]) =>
    value === null
      ? sql<SqlBool>`${sql.ref(column)} is not null`
      : sql<SqlBool>`(${sql.ref(column)} is null or ${sql.ref(column)} <> ${value})`,
  );
  if (differences.length === 0) return sql<SqlBool>`1 = 0`;
  return sql<SqlBool>`(${sql.join(differences, sql` or `)})`;
}

/**
 * Rows no kept row refers to: for each restricting foreign key into this table, no row of the
 * referencing table (other than rows being deleted with it, when the table refers to itself)
 * holds the key. Referencing tables were processed before this one, children first, so
 * whatever still refers here is being kept. `not exists` lets the referencing column's index
 * answer each probe.
 */
function notReferencedByKeptRows(
  name: string,
  foreignKeys: readonly ForeignKey[],
  deleting: RawBuilder<SqlBool>,
): RawBuilder<SqlBool> {
  const conditions = foreignKeys
    .filter(
      (key) =>
        key.referencedTable === name &&
        (key.onDelete === 'no action' || key.onDelete === 'restrict'),
    )
    .map((key) => {
      // Inside the subquery, unqualified names (those of `deleting`) resolve to the alias.
      const refersHere = sql<SqlBool>`${sql.ref(`referencing.${key.column}`)} = ${sql.ref(
        `${name}.${key.referencedColumn}`,
      )}`;
      const referencing = sql`${sql.table(key.table)} as referencing`;
      return key.table === name
        ? sql<SqlBool>`not exists (select 1 from ${referencing} where ${refersHere} and not ${deleting})`
        : sql<SqlBool>`not exists (select 1 from ${referencing} where ${refersHere})`;
    });
  if (conditions.length === 0) return sql<SqlBool>`1 = 1`;
  return sql<SqlBool>`(${sql.join(conditions, sql` and `)})`;
}

/** Applies one table's declaration to the subject's rows, inside the owner's transaction. */
async function eraseTable(
  trx: DbExecutor,
  tables: DeclaredTables,
  foreignKeys: readonly ForeignKey[],
  name: string,
  subjectId: string,
  report: StepReport,
): Promise<void> {
  const table = personalTable(tables, name);
  const heldSubjects = heldSubjectIdsQuery(trx);
  const principal = principalOf(tables, table, subjectId, { heldSubjects });
  const principalIgnoringHolds = principalOf(tables, table, subjectId);

  const count = async (...conditions: RawBuilder<SqlBool>[]): Promise<number> => {
    let query = trx.selectFrom(name).select((eb) => eb.fn.countAll().as('count'));
    for (const condition of conditions) query = query.where(condition);
    return toNumber((await query.executeTakeFirst())?.count);
  };

  const heldRows = (await count(principalIgnoringHolds)) - (await count(principal));
  if (heldRows > 0) report.retained.push({ table: name, count: heldRows, reason: HELD_ROW_REASON });

  const erasure = table.erasure;
  if (typeof erasure === 'object' && 'retain' in erasure) {
    // Kept as declared, in every role: nothing is changed, everything is reported.
    const kept =
      (await count(principal)) +
      (await count(
        namedInOtherRole(table, subjectId),
        sql<SqlBool>`not ${principalIgnoringHolds}`,
      ));
    if (kept > 0) report.retained.push({ table: name, count: kept, reason: retainReason(table) });
    return;
  }

  if (erasure === 'delete') {
    const candidates = await count(principal);
    const deleted = countOf(
      await trx
        .deleteFrom(name)
        .where(principal)
        .where(notReferencedByKeptRows(name, foreignKeys, principal))
        .executeTakeFirst(),
    );
    if (deleted > 0) report.removed.push({ table: name, count: deleted, action: 'deleted' });
    if (candidates > deleted) {
      report.retained.push({
        table: name,
        count: candidates - deleted,
        reason: REFERENCED_ROW_REASON,
      });
    }
  } else {
    const values: Record<string, string | number | null> = { ...erasure.anonymise };
    // However the table is declared, an anonymised row must stop naming its principal.
    const principalColumn = table.subjects[0]?.column;
    if (principalColumn !== undefined && !(principalColumn in values)) {
      values[principalColumn] = null;
    }
    const anonymised = countOf(
      await trx
        .updateTable(name)
        .set(values)
        .where(principal)
        .where(differsFrom(values))
        .executeTakeFirst(),
    );
    if (anonymised > 0) {
      report.removed.push({ table: name, count: anonymised, action: 'anonymised' });
    }
  }

  // The subject named in another role: the row is its principal's; only the link goes.
  const declaredValues = typeof erasure === 'object' ? erasure.anonymise : {};
  let unlinked = 0;
  for (const subject of table.subjects.slice(1)) {
    unlinked += countOf(
      await trx
        .updateTable(name)
        .set({ [subject.column]: declaredValues[subject.column] ?? null })
        .where(sql<SqlBool>`${sql.ref(subject.column)} = ${subjectId}`)
        .where(namesNoOtherHeldPerson(table, subjectId, heldSubjects))
        .executeTakeFirst(),
    );
  }
  if (unlinked > 0) {
    report.retained.push({ table: name, count: unlinked, reason: SHARED_ROW_REASON });
  }
}

type StepResult = 'done' | 'skipped' | 'held' | 'closed';

/** One owner's part, in one transaction that ends by recording the step. */
async function runOwnerStep(
  db: Database,
  registry: PrivacyRegistry,
  runId: string,
  step: OwnerStep,
  subjectId: string,
  foreignKeys: readonly ForeignKey[],
): Promise<StepResult> {
  return db.transaction().execute(async (trx) => {
    const runs = tablesOf<ErasureTables>(trx);
    const now = nowTime();
    // Locking the run row first makes two processes resuming the same run take turns; the
    // second then sees the step done and skips it.
    const locked = await runs
      .updateTable('privacy_erasure_runs')
      .set({ updated_at: now })
      .where('id', '=', runId)
      .where('status', '=', 'running')
      .returning('id')
      .executeTakeFirst();
    if (!locked) return 'closed';
    const done = await runs
      .selectFrom('privacy_erasure_steps')
      .select('owner')
      .where('run_id', '=', runId)
      .where('owner', '=', step.owner)
      .executeTakeFirst();
    if (done) return 'skipped';
    // A hold placed since the run began stops it here, before this owner changes anything.
    if (await isUnderHold(trx, subjectId)) return 'held';

    const report: StepReport = { removed: [], retained: [] };
    const hooks = registry.owners.find((owner) => owner.owner === step.owner)?.hooks;
    if (hooks?.eraseFor) {
      // The hook goes first: it may need the rows the declarative part is about to remove.
      const hookReport: ErasureReport = await hooks.eraseFor(trx, subjectId);
      if (hookReport.removed > 0) {
        report.removed.push({ table: step.owner, count: hookReport.removed, action: 'hook' });
      }
      report.retained.push(...hookReport.retained.filter((item) => item.count > 0));
    }
    for (const table of step.tables) {
      await eraseTable(trx, registry.tables, foreignKeys, table, subjectId, report);
    }
    await runs
      .insertInto('privacy_erasure_steps')
      .values({
        run_id: runId,
        owner: step.owner,
        finished_at: now,
        removed: report.removed.reduce((sum, item) => sum + item.count, 0),
        report: JSON.stringify(report),
      })
      .execute();
    return 'done';
  });
}

type RunStart =
  | { kind: 'refused'; runId: string }
  | { kind: 'paused'; runId: string }
  | { kind: 'running'; runId: string; actorId: string | null };

/**
 * Finds the subject's open run or opens one, in one transaction with its audit entry. Every
 * erasure entry names the run, whose row says whose erasure it is, and never the member: their
 * pseudonym and audit details are about to be erased (an entry naming them would only be
 * erased in turn), and entries that would reveal a hold must not reach the member's export.
 */
async function startRun(db: Database, subjectId: string, options: EraseOptions): Promise<RunStart> {
  return db.transaction().execute(async (trx) => {
    const runs = tablesOf<ErasureTables>(trx);
    const now = nowTime();
    const actorId = options.actorId ?? null;
    const findOpen = () =>
      runs
        .selectFrom('privacy_erasure_runs')
        .select(['id', 'actor_id'])
        .where('open_subject_id', '=', subjectId)
        .executeTakeFirst();
    const held = await isUnderHold(trx, subjectId);
    const open = await findOpen();
    if (open) {
      await appendAudit(trx, {
        action: held ? 'erasure.held' : 'erasure.resumed',
        actorId,
        detail: { runId: open.id },
      });
      return held
        ? { kind: 'paused', runId: open.id }
        : { kind: 'running', runId: open.id, actorId: open.actor_id ?? actorId };
    }
    const runId = newId();
    const row = {
      id: runId,
      subject_id: subjectId,
      actor_id: actorId,
      reason: options.reason ?? null,
      started_at: now,
      updated_at: now,
      removed: 0,
      report: null,
    };
    if (held) {
      await runs
        .insertInto('privacy_erasure_runs')
        .values({ ...row, status: 'refused', open_subject_id: null, finished_at: now })
        .execute();
      await appendAudit(trx, { action: 'erasure.refused', actorId, detail: { runId } });
      return { kind: 'refused', runId };
    }
    await runs
      .insertInto('privacy_erasure_runs')
      .values({ ...row, status: 'running', open_subject_id: subjectId, finished_at: null })
      .onConflict((conflict) => conflict.column('open_subject_id').doNothing())
      .execute();
    const opened = await findOpen();
    if (!opened) throw new Error('erasure run could not be opened');
    if (opened.id === runId) {
      await appendAudit(trx, { action: 'erasure.started', actorId, detail: { runId } });
    }
    return { kind: 'running', runId: opened.id, actorId: opened.actor_id ?? actorId };
  });
}

function mergeReports(reports: readonly StepReport[]): StepReport {
  const removed = new Map<string, RemovedItem>();
  const retained = new Map<string, RetainedItem>();
  for (const report of reports) {
    for (const item of report.removed) {
      const key = `${item.table}\u0000${item.action}`;
      const existing = removed.get(key);
      removed.set(key, { ...item, count: (existing?.count ?? 0) + item.count });
    }
    for (const item of report.retained) {
      const key = `${item.table}\u0000${item.reason}`;
      const existing = retained.get(key);
      retained.set(key, { ...item, count: (existing?.count ?? 0) + item.count });
    }
  }
  return { removed: [...removed.values()], retained: [...retained.values()] };
}

async function runReport(db: DbExecutor, runId: string): Promise<StepReport> {
  const steps = await tablesOf<ErasureTables>(db)
    .selectFrom('privacy_erasure_steps')
    .select('report')
    .where('run_id', '=', runId)
    .orderBy('finished_at')
    .execute();
  return mergeReports(steps.map((step) => JSON.parse(step.report) as StepReport));
}

function outcome(
  status: ErasureOutcome['status'],
  runId: string,
  report: StepReport,
): ErasureOutcome {
  return {
    status,
    runId,
    removed: report.removed.reduce((sum, item) => sum + item.count, 0),
    retained: report.retained,
    removedByTable: report.removed,
  };
}

/** Closes the run with its totals and audits the completion, in one transaction. */
async function completeRun(
  db: Database,
  runId: string,
  actorId: string | null,
): Promise<ErasureOutcome> {
  return db.transaction().execute(async (trx) => {
    const runs = tablesOf<ErasureTables>(trx);
    const now = nowTime();
    const locked = await runs
      .updateTable('privacy_erasure_runs')
      .set({ updated_at: now })
      .where('id', '=', runId)
      .where('status', '=', 'running')
      .returning('id')
      .executeTakeFirst();
    const report = await runReport(trx, runId);
    const result = outcome('completed', runId, report);
    if (locked) {
      await runs
        .updateTable('privacy_erasure_runs')
        .set({
          status: 'completed',
          open_subject_id: null,
          finished_at: now,
          removed: result.removed,
          report: JSON.stringify(report),
        })
        .where('id', '=', runId)
        .execute();
      // The subject's pseudonym is gone by now; the entry names the run, whose row says whose.
      await appendAudit(trx, {
        action: 'erasure.completed',
        actorId,
        detail: {
          runId,
          removed: result.removed,
          retained: result.retained.map((item) => ({ table: item.table, count: item.count })),
        },
      });
    }
    return result;
  });
}

/**
 * Erases one subject across every owner. Returns `held`, changing nothing more, while a hold
 * applies; otherwise runs (or resumes) the subject's run to completion.
 */
export async function eraseSubject(
  db: Database,
  registry: PrivacyRegistry,
  subjectId: string,
  options: EraseOptions = {},
): Promise<ErasureOutcome> {
  if (typeof subjectId !== 'string' || subjectId.trim() === '') {
    throw new AppError('validation_failed', 'An erasure needs the id of whom to erase.', {
      fields: { subjectId: 'is required' },
    });
  }
  const start = await startRun(db, subjectId, options);
  if (start.kind === 'refused') return outcome('held', start.runId, { removed: [], retained: [] });
  if (start.kind === 'paused')
    return outcome('held', start.runId, await runReport(db, start.runId));

  const foreignKeys = await listForeignKeys(db);
  const plan = planErasure(registry, foreignKeys);
  for (const step of plan) {
    const result = await runOwnerStep(db, registry, start.runId, step, subjectId, foreignKeys);
    if (result === 'held') return outcome('held', start.runId, await runReport(db, start.runId));
    if (result === 'closed') break;
    if (result === 'done' && options.interruptAfterOwner === step.owner) {
      throw new ErasureInterruptedError(start.runId, step.owner);
    }
  }
  return completeRun(db, start.runId, start.actorId);
}
