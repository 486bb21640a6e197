/**
 * Queries of the retention engine. The engine works on any owner's table, named at run time
 * from the data map, so most queries here take the table and its column names as arguments;
 * the warnings table is the engine's own.
 */
import type { Expression, ExpressionBuilder, SqlBool } from 'kysely';
import { tablesOf, type AnyTables, type DbExecutor } from '../../platform/db/database.js';
import type { RetentionTables, RetentionWarningsTable } from './retention.tables.js';

export type Row = Record<string, unknown>;

type AnyBuilder = ExpressionBuilder<AnyTables, string>;

/** The conditions that make a row match a timed rule as of `cutoff`. */
export interface RuleMatch {
  /** The rule's time column; a row matches when its value is at or before `cutoff`. */
  from: string;
  /** ISO 8601 UTC; the boundary is inclusive. */
  cutoff: string;
  where?: Record<string, string | number | null>;
  /** For `clear`: only rows where at least one of these is still set, so that cleared rows stop matching. */
  anyNotNull?: readonly string[];
}

function matchCondition(eb: AnyBuilder, match: RuleMatch): Expression<SqlBool> {
  const conditions: Expression<SqlBool>[] = [eb(match.from, '<=', match.cutoff)];
  for (const [column, value] of Object.entries(match.where ?? {})) {
    conditions.push(value === null ? eb(column, 'is', null) : eb(column, '=', value));
  }
  if (match.anyNotNull && match.anyNotNull.length > 0) {
    conditions.push(eb.or(match.anyNotNull.map((column) => eb(column, 'is not', null))));
  }
  return eb.and(conditions);
}

/**
 * Keyset condition "primary key after `after`" for a key of one or more columns, written out as
 * `(a > x) or (a = x and b > y)` because row-value comparison is not spelled the same way by
 * every engine version.
 */
function keyAfter(eb: AnyBuilder, key: readonly string[], after: Row): Expression<SqlBool> {
  return eb.or(
    key.map((column, index) =>
      eb.and([
        ...key.slice(0, index).map((previous) => eb(previous, '=', after[previous])),
        eb(column, '>', after[column]),
      ]),
    ),
  );
}

function keyIn(eb: AnyBuilder, key: readonly string[], rows: readonly Row[]): Expression<SqlBool> {
  const [single] = key;
  if (key.length === 1 && single !== undefined) {
    return eb(
      single,
      'in',
      rows.map((row) => row[single]),
    );
  }
  return eb.or(rows.map((row) => eb.and(key.map((column) => eb(column, '=', row[column])))));
}

/** The next batch of rows matching a rule, in primary-key order, after the keyset position. */
export async function selectMatchingBatch(
  db: DbExecutor,
  table: string,
  options: {
    key: readonly string[];
    columns: readonly string[];
    match: RuleMatch;
    after: Row | null;
    limit: number;
  },
): Promise<Row[]> {
  const { key, columns, match, after, limit } = options;
  let query = db
    .selectFrom(table)
    .select([...new Set([...key, ...columns])])
    .where((eb) =>
      after
        ? eb.and([matchCondition(eb, match), keyAfter(eb, key, after)])
        : matchCondition(eb, match),
    );
  for (const column of key) query = query.orderBy(column, 'asc');
  return query.limit(limit).execute();
}

/**
 * Deletes the given rows, re-checking the rule so that a row changed since it was read (a
 * member active again, on PostgreSQL's read-committed isolation) is left alone.
 */
export async function deleteMatchingRows(
  db: DbExecutor,
  table: string,
  key: readonly string[],
  rows: readonly Row[],
  match: RuleMatch,
): Promise<number> {
  if (rows.length === 0) return 0;
  const result = await db
    .deleteFrom(table)
    .where((eb) => eb.and([keyIn(eb, key, rows), matchCondition(eb, match)]))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Sets `columns` to null in the given rows, re-checking the rule as deleteMatchingRows does. */
export async function clearMatchingRows(
  db: DbExecutor,
  table: string,
  key: readonly string[],
  rows: readonly Row[],
  columns: readonly string[],
  match: RuleMatch,
): Promise<number> {
  if (rows.length === 0) return 0;
  const result = await db
    .updateTable(table)
    .set(Object.fromEntries(columns.map((column) => [column, null])))
    .where((eb) => eb.and([keyIn(eb, key, rows), matchCondition(eb, match)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Rows of a parent table by their key, for tables reached `via` a parent. */
export async function selectRowsByColumn(
  db: DbExecutor,
  table: string,
  column: string,
  values: readonly unknown[],
  columns: readonly string[],
): Promise<Row[]> {
  if (values.length === 0) return [];
  return db
    .selectFrom(table)
    .select([...new Set([column, ...columns])])
    .where(column, 'in', [...values])
    .execute();
}

export async function findWarnings(
  db: DbExecutor,
  table: string,
  ruleIndex: number,
  subjectIds: readonly string[],
): Promise<RetentionWarningsTable[]> {
  if (subjectIds.length === 0) return [];
  return tablesOf<RetentionTables>(db)
    .selectFrom('privacy_retention_warnings')
    .selectAll()
    .where('table_name', '=', table)
    .where('rule_index', '=', ruleIndex)
    .where('subject_id', 'in', [...subjectIds])
    .execute();
}

/**
 * Records a warning unless one for the same activity (`basis_time`) is already recorded.
 * Returns whether this call recorded it: only then is the member warned, so two runs at once
 * (the schedule and an operator's `hearth retention run`) never warn twice. On PostgreSQL the
 * second insert waits for the first transaction and then finds the conflict.
 */
export async function claimWarning(
  db: DbExecutor,
  warning: RetentionWarningsTable,
): Promise<boolean> {
  const claimed = await tablesOf<RetentionTables>(db)
    .insertInto('privacy_retention_warnings')
    .values(warning)
    .onConflict((conflict) =>
      conflict
        .columns(['table_name', 'rule_index', 'subject_id'])
        .doUpdateSet((eb) => ({
          basis_time: eb.ref('excluded.basis_time'),
          warned_at: eb.ref('excluded.warned_at'),
          erases_at: eb.ref('excluded.erases_at'),
        }))
        .where('privacy_retention_warnings.basis_time', '<>', warning.basis_time),
    )
    .returning('id')
    .executeTakeFirst();
  return claimed !== undefined;
}
