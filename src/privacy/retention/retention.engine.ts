/**
 * The retention engine (DESIGN.md §5.6, promises P33 and P34): applies every timed retention
 * rule of every personal table in the data map, in batches, skipping rows whose subjects are
 * under a legal or safeguarding hold.
 *
 * Boundary: a rule `{ after: P90D, from: created_at }` run as of time T matches rows whose
 * `created_at` is at or before T − 90 days. The boundary is inclusive: the rule fires once the
 * whole period has elapsed, not a millisecond later. Rows whose `from` is null never match.
 *
 * Each batch of `delete` and `clear` runs in its own transaction, so a long run holds no lock
 * for long and a failure loses at most one batch. `erase-subject` hands each subject to the
 * erasure engine, which runs its own transactions (one per owner) and audits the erasure.
 */
import type { Database, DbExecutor } from '../../platform/db/database.js';
import { newId } from '../../platform/db/ids.js';
import { toDbTime } from '../../platform/db/portable.js';
import {
  addDuration,
  isPersonalTable,
  type PersonalTable,
  type RetentionRule,
} from '../../platform/datamap.js';
import { appendAudit } from '../audit/audit.service.js';
import { eraseSubject } from '../erasure/erasure.engine.js';
import { heldSubjects } from '../holds/holds.service.js';
import type { PrivacyRegistry } from '../registry.js';
import {
  claimWarning,
  clearMatchingRows,
  deleteMatchingRows,
  findWarnings,
  selectMatchingBatch,
  selectRowsByColumn,
  type Row,
  type RuleMatch,
} from './retention.queries.js';

export type RetentionAction = 'delete' | 'clear' | 'erase-subject' | 'keep';

export interface RetentionRuleReport {
  table: string;
  owner: string;
  /** Position of the rule in the table's `retention` list, from 0. */
  ruleIndex: number;
  action: RetentionAction;
  /** Rows that matched the rule (for `erase-subject` with a warning: due for warning or erasure). */
  matched: number;
  /** Rows deleted or cleared, or subjects erased. In a dry run: what would be. */
  applied: number;
  /** Rows left alone because a subject of the row is under a hold. */
  skippedForHold: number;
  /** `erase-subject` with `warnBefore`: subjects warned by this run. */
  warned: number;
  /** `erase-subject` with `warnBefore`: subjects warned earlier, whose waiting period runs on. */
  waiting: number;
  /** Set when the rule failed; the run goes on with the other rules. */
  error?: string;
}

export interface RetentionReport {
  asOf: string;
  dryRun: boolean;
  startedAt: string;
  finishedAt: string;
  rules: RetentionRuleReport[];
  /** True when any rule failed. */
  failed: boolean;
}

export interface RetentionProgress {
  table: string;
  ruleIndex: number;
  action: RetentionAction;
  /** Rows examined so far for this rule. */
  processed: number;
}

export interface RetentionOptions {
  /** The time the run acts as of: now for the schedule, a chosen date for `--as-of`. */
  asOf: Date;
  /** Report what would happen and change nothing. */
  dryRun: boolean;
  /** Rows per batch (and per transaction). */
  batchSize?: number;
  /** Who started the run, for the audit log (absent for the schedule and the CLI). */
  actorId?: string;
  onProgress?: (progress: RetentionProgress) => void;
  /** Called with each rule's counts as soon as the rule is done. */
  onRule?: (report: RetentionRuleReport) => void;
  /** The real clock; tests replace it. */
  now?: () => Date;
}

export const DEFAULT_BATCH_SIZE = 500;
export const MAX_BATCH_SIZE = 5000;

interface RunContext {
  db: Database;
  registry: PrivacyRegistry;
  asOf: Date;
  now: Date;
  dryRun: boolean;
  batchSize: number;
  actorId: string | undefined;
  onProgress: ((progress: RetentionProgress) => void) | undefined;
}

type TimedRule = Exclude<RetentionRule, { keep: unknown }>;

export async function runRetention(
  db: Database,
  registry: PrivacyRegistry,
  options: RetentionOptions,
): Promise<RetentionReport> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH_SIZE) {
    throw new RangeError(`batchSize must be a whole number from 1 to ${MAX_BATCH_SIZE}`);
  }
  if (Number.isNaN(options.asOf.getTime())) throw new RangeError('asOf is not a valid time');
  const startedAt = (options.now ?? (() => new Date()))();
  const context: RunContext = {
    db,
    registry,
    asOf: options.asOf,
    now: startedAt,
    dryRun: options.dryRun,
    batchSize,
    actorId: options.actorId,
    onProgress: options.onProgress,
  };

  const reports: RetentionRuleReport[] = [];
  for (const [tableName, { owner, table }] of registry.tables) {
    if (!isPersonalTable(table)) continue;
    for (const [ruleIndex, rule] of table.retention.entries()) {
      const report = emptyReport(
        tableName,
        owner,
        ruleIndex,
        'keep' in rule ? 'keep' : rule.action,
      );
      if (!('keep' in rule)) {
        try {
          await applyRule(context, tableName, owner, table, ruleIndex, rule, report);
        } catch (error) {
          report.error = error instanceof Error ? error.message : String(error);
        }
      }
      reports.push(report);
      options.onRule?.(report);
    }
  }

  const finishedAt = (options.now ?? (() => new Date()))();
  const result: RetentionReport = {
    asOf: toDbTime(options.asOf),
    dryRun: options.dryRun,
    startedAt: toDbTime(startedAt),
    finishedAt: toDbTime(finishedAt),
    rules: reports,
    failed: reports.some((report) => report.error !== undefined),
  };
  if (!options.dryRun) {
    // The audit entry is the lasting evidence that the periodic review ran (P33), with what it
    // did per rule; rules that did nothing are left out to keep the entry short.
    await appendAudit(db, {
      action: 'retention.run',
      ...(options.actorId ? { actorId: options.actorId } : {}),
      detail: {
        asOf: result.asOf,
        failed: result.failed,
        rules: reports
          .filter((report) => report.matched > 0 || report.error !== undefined)
          .map((report) => ({
            table: report.table,
            rule: report.ruleIndex,
            action: report.action,
            matched: report.matched,
            applied: report.applied,
            skippedForHold: report.skippedForHold,
            warned: report.warned,
            waiting: report.waiting,
            ...(report.error ? { error: report.error } : {}),
          })),
      },
    });
  }
  return result;
}

function emptyReport(
  table: string,
  owner: string,
  ruleIndex: number,
  action: RetentionAction,
): RetentionRuleReport {
  return {
    table,
    owner,
    ruleIndex,
    action,
    matched: 0,
    applied: 0,
    skippedForHold: 0,
    warned: 0,
    waiting: 0,
  };
}

function applyRule(
  context: RunContext,
  tableName: string,
  owner: string,
  table: PersonalTable,
  ruleIndex: number,
  rule: TimedRule,
  report: RetentionRuleReport,
): Promise<void> {
  switch (rule.action) {
    case 'delete':
    case 'clear':
      return applyRowRule(context, tableName, table, ruleIndex, rule, report);
    case 'erase-subject':
      return applyEraseSubjectRule(context, tableName, owner, table, ruleIndex, rule, report);
  }
}

/** Columns to read so that a row's subjects can be named. */
function subjectColumns(table: PersonalTable): string[] {
  return [
    ...table.subjects.map((subject) => subject.column),
    ...(table.via ? [table.via.column] : []),
  ];
}

async function applyRowRule(
  context: RunContext,
  tableName: string,
  table: PersonalTable,
  ruleIndex: number,
  rule: TimedRule,
  report: RetentionRuleReport,
): Promise<void> {
  const key = table.primaryKey ?? ['id'];
  const clearColumns = rule.action === 'clear' ? (rule.columns ?? []) : [];
  if (rule.action === 'clear' && clearColumns.length === 0) {
    throw new Error('a clear rule must list the columns it clears');
  }
  const match: RuleMatch = {
    from: rule.from,
    cutoff: toDbTime(addDuration(context.asOf, rule.after, -1)),
    ...(rule.where ? { where: rule.where } : {}),
    ...(clearColumns.length > 0 ? { anyNotNull: clearColumns } : {}),
  };

  let after: Row | null = null;
  let processed = 0;
  for (;;) {
    // Counts are added to the report only once the batch's transaction has committed.
    const batch = async (
      executor: DbExecutor,
    ): Promise<{ rows: Row[]; held: number; applied: number }> => {
      const rows = await selectMatchingBatch(executor, tableName, {
        key,
        columns: subjectColumns(table),
        match,
        after,
        limit: context.batchSize,
      });
      if (rows.length === 0) return { rows, held: 0, applied: 0 };
      const subjects = await subjectsOfRows(executor, context.registry, table, rows);
      const held = await heldAmong(executor, subjects.flat(), context);
      const free = rows.filter(
        (_row, index) => !(subjects[index] ?? []).some((id) => held.has(id)),
      );
      // A dry run changes nothing: `applied` then says what a real run would do.
      const applied = context.dryRun
        ? free.length
        : rule.action === 'delete'
          ? await deleteMatchingRows(executor, tableName, key, free, match)
          : await clearMatchingRows(executor, tableName, key, free, clearColumns, match);
      return { rows, held: rows.length - free.length, applied };
    };
    const result = context.dryRun
      ? await batch(context.db)
      : await context.db.transaction().execute(batch);
    if (result.rows.length === 0) break;
    after = result.rows[result.rows.length - 1] ?? null;
    report.matched += result.rows.length;
    report.skippedForHold += result.held;
    report.applied += result.applied;
    processed += result.rows.length;
    context.onProgress?.({ table: tableName, ruleIndex, action: rule.action, processed });
    if (result.rows.length < context.batchSize) break;
  }
}

async function applyEraseSubjectRule(
  context: RunContext,
  tableName: string,
  owner: string,
  table: PersonalTable,
  ruleIndex: number,
  rule: TimedRule,
  report: RetentionRuleReport,
): Promise<void> {
  const key = table.primaryKey ?? ['id'];
  const eraseCutoff = toDbTime(addDuration(context.asOf, rule.after, -1));
  // With a warning period, rows are read from the moment their warning falls due.
  const readCutoff = rule.warnBefore
    ? toDbTime(addDuration(addDuration(context.asOf, rule.warnBefore), rule.after, -1))
    : eraseCutoff;
  const match: RuleMatch = {
    from: rule.from,
    cutoff: readCutoff,
    ...(rule.where ? { where: rule.where } : {}),
  };
  const hooks = context.registry.owners.find((candidate) => candidate.owner === owner)?.hooks;
  const reason = `retention rule ${ruleIndex} of ${tableName}`;
  // A subject named by several rows is dealt with once per run.
  const seen = new Set<string>();

  let after: Row | null = null;
  let processed = 0;
  for (;;) {
    const rows = await selectMatchingBatch(context.db, tableName, {
      key,
      columns: [...subjectColumns(table), rule.from],
      match,
      after,
      limit: context.batchSize,
    });
    if (rows.length === 0) break;
    after = rows[rows.length - 1] ?? null;
    report.matched += rows.length;
    const subjects = await subjectsOfRows(context.db, context.registry, table, rows);
    const held = await heldAmong(context.db, subjects.flat(), context);

    // What each subject's latest activity says: warn now, wait, or erase.
    const toWarn: { subjectId: string; basis: string; erasesAt: Date }[] = [];
    const toErase: string[] = [];
    const candidates: { subjectId: string; basis: string }[] = [];
    for (const [index, row] of rows.entries()) {
      const rowSubjects = subjects[index] ?? [];
      if (rowSubjects.some((id) => held.has(id))) {
        report.skippedForHold += 1;
        continue;
      }
      for (const subjectId of rowSubjects) {
        if (seen.has(subjectId)) continue;
        seen.add(subjectId);
        candidates.push({ subjectId, basis: String(row[rule.from]) });
      }
    }
    const warnings = rule.warnBefore
      ? new Map(
          (
            await findWarnings(
              context.db,
              tableName,
              ruleIndex,
              candidates.map((candidate) => candidate.subjectId),
            )
          ).map((warning) => [warning.subject_id, warning]),
        )
      : new Map<string, never>();
    for (const { subjectId, basis } of candidates) {
      const isDue = basis <= eraseCutoff;
      if (!rule.warnBefore) {
        if (isDue) toErase.push(subjectId);
        continue;
      }
      const warning = warnings.get(subjectId);
      // A warning counts only for the activity it was sent about: a member who came back and
      // went quiet again is warned again.
      if (!warning || warning.basis_time !== basis) {
        // A run back-dated with --as-of never shortens the real notice period.
        const warnedAt = context.asOf > context.now ? context.asOf : context.now;
        const dueAt = addDuration(new Date(basis), rule.after);
        const waitedUntil = addDuration(warnedAt, rule.warnBefore);
        toWarn.push({ subjectId, basis, erasesAt: dueAt > waitedUntil ? dueAt : waitedUntil });
        continue;
      }
      const hasWaited = addDuration(new Date(warning.warned_at), rule.warnBefore) <= context.asOf;
      if (isDue && hasWaited) toErase.push(subjectId);
      else report.waiting += 1;
    }

    if (toWarn.length > 0) {
      if (context.dryRun) {
        report.warned += toWarn.length;
      } else {
        const warnedAt = toDbTime(context.asOf > context.now ? context.asOf : context.now);
        report.warned += await context.db.transaction().execute(async (tx) => {
          let warned = 0;
          for (const { subjectId, basis, erasesAt } of toWarn) {
            const isClaimed = await claimWarning(tx, {
              id: newId(),
              table_name: tableName,
              rule_index: ruleIndex,
              subject_id: subjectId,
              basis_time: basis,
              warned_at: warnedAt,
              erases_at: toDbTime(erasesAt),
            });
            if (!isClaimed) continue;
            await hooks?.warnBeforeErasure?.(tx, subjectId, erasesAt);
            warned += 1;
          }
          return warned;
        });
      }
    }

    for (const subjectId of toErase) {
      if (context.dryRun) {
        report.applied += 1;
        continue;
      }
      const outcome = await eraseSubject(context.db, context.registry, subjectId, {
        ...(context.actorId ? { actorId: context.actorId } : {}),
        reason,
      });
      if (outcome.status === 'held') {
        report.skippedForHold += 1;
        continue;
      }
      report.applied += 1;
      await appendAudit(context.db, {
        action: 'retention.subject-erased',
        // The erasure run names whose erasure it was; a detail row naming the erased person
        // would outlive their erasure.
        subjectId: null,
        ...(context.actorId ? { actorId: context.actorId } : {}),
        detail: { table: tableName, rule: ruleIndex, erasureRunId: outcome.runId },
      });
    }

    processed += rows.length;
    context.onProgress?.({ table: tableName, ruleIndex, action: rule.action, processed });
    if (rows.length < context.batchSize) break;
  }
}

/**
 * Subjects held now or at the run's as-of time: a hold placed today protects the data even in
 * a run dated later, and a hold dated to start later protects it in that run too.
 */
async function heldAmong(
  db: DbExecutor,
  subjectIds: readonly string[],
  context: RunContext,
): Promise<Set<string>> {
  const unique = [...new Set(subjectIds)];
  if (unique.length === 0) return new Set();
  const held = await heldSubjects(db, unique, context.asOf);
  if (context.asOf.getTime() !== context.now.getTime()) {
    for (const id of await heldSubjects(db, unique, context.now)) held.add(id);
  }
  return held;
}

const MAX_VIA_DEPTH = 8;

/**
 * The subjects each row names: its own subject columns, and for a table reached `via` a parent,
 * the parent row's subjects (followed up the chain).
 */
export async function subjectsOfRows(
  db: DbExecutor,
  registry: PrivacyRegistry,
  table: PersonalTable,
  rows: readonly Row[],
  depth = 0,
): Promise<string[][]> {
  const subjects = rows.map((row) =>
    table.subjects
      .map((subject) => row[subject.column])
      .filter((value) => value !== null && value !== undefined && value !== '')
      .map(String),
  );
  const via = table.via;
  if (via && depth < MAX_VIA_DEPTH) {
    const parent = registry.tables.get(via.table)?.table;
    if (parent && isPersonalTable(parent)) {
      const parentKey = via.parentColumn ?? 'id';
      const parentIds = [
        ...new Set(
          rows
            .map((row) => row[via.column])
            .filter((value) => value !== null && value !== undefined),
        ),
      ];
      const parentRows = await selectRowsByColumn(
        db,
        via.table,
        parentKey,
        parentIds,
        subjectColumns(parent),
      );
      const parentSubjects = await subjectsOfRows(db, registry, parent, parentRows, depth + 1);
      const byKey = new Map(
        parentRows.map((row, index) => [String(row[parentKey]), parentSubjects[index] ?? []]),
      );
      for (const [index, row] of rows.entries()) {
        const inherited = byKey.get(String(row[via.column])) ?? [];
        subjects[index]?.push(...inherited);
      }
    }
  }
  return subjects.map((list) => [...new Set(list)]);
}
