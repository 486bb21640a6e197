/**
 * Everything that differs between SQLite and PostgreSQL, in one place (STYLE.md point 7).
 *
 * Representations, the same on both engines:
 * - times are ISO 8601 UTC text (`2026-11-29T14:35:00.000Z`), which sorts as it reads;
 * - booleans are integers 0/1;
 * - JSON is text;
 * - ids are text (see ids.ts).
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { dialectOf, type Dialect } from './database.js';

export function toDbTime(time: Date): string {
  return time.toISOString();
}

export function nowTime(): string {
  return new Date().toISOString();
}

export function toDbBool(value: boolean): 0 | 1 {
  return value ? 1 : 0;
}

export function fromDbBool(value: unknown): boolean {
  return value === 1 || value === true || value === '1';
}

/** Count results come back as strings on PostgreSQL (bigint) and numbers on SQLite. */
export function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string') return Number(value);
  return 0;
}

/** Column type names for migrations. */
export function columnTypes(dialect: Dialect) {
  return {
    /** Autoincrementing integer key (jobs, audit sequence). */
    serial: dialect === 'postgres' ? ('bigserial' as const) : ('integer' as const),
    bigint: dialect === 'postgres' ? ('bigint' as const) : ('integer' as const),
    blob: dialect === 'postgres' ? ('bytea' as const) : ('blob' as const),
  };
}

/**
 * `FOR UPDATE SKIP LOCKED` on PostgreSQL, where many workers claim rows at once. SQLite has a
 * single writer, and the claim runs inside an immediate write transaction, so nothing is needed.
 */
export function skipLocked<T>(db: Kysely<T>): RawBuilder<unknown> {
  return dialectOf(db) === 'postgres' ? sql`for update skip locked` : sql``;
}

/**
 * `FOR UPDATE` on PostgreSQL, so that a read-then-write on one row waits for a concurrent
 * writer instead of acting on a stale read. SQLite has one writer at a time, so the write
 * transaction already serialises it.
 */
export function forUpdate<T>(db: Kysely<T>): RawBuilder<unknown> {
  return dialectOf(db) === 'postgres' ? sql`for update` : sql``;
}

/**
 * `column IN (values)` with the whole list bound as ONE parameter, so 100,000 ids fit in one
 * statement (SQLite allows at most 32,766 bound parameters, PostgreSQL 65,535). PostgreSQL
 * receives a text array: `= any($1)` is planned with the array's value and probed through a
 * hash table, whereas `in (select unnest($1))` is estimated at 10 rows and looped over (100,000
 * ids: ~0.3 s against ~30 s on fresh tables). SQLite receives a JSON array and builds a
 * temporary index from `json_each`.
 */
export function inTextList<T>(
  db: Kysely<T>,
  column: string,
  values: readonly string[],
): RawBuilder<boolean> {
  if (dialectOf(db) === 'postgres') {
    return sql<boolean>`${sql.ref(column)} = any(${[...values]}::text[])`;
  }
  return sql<boolean>`${sql.ref(column)} in (select value from json_each(${JSON.stringify(values)}))`;
}

/**
 * True when `error` is a unique-constraint violation: PostgreSQL's SQLSTATE 23505, or SQLite's
 * SQLITE_CONSTRAINT_UNIQUE / SQLITE_CONSTRAINT_PRIMARYKEY. Lets a caller that raced another
 * writer for a unique value (a username, an email) try again instead of failing.
 */
/**
 * PostgreSQL: `insert into table (columns) select * from unnest(...)`, the rows travelling as one
 * array per column. One short statement to parse and plan with a parameter per column, however
 * many rows, where a VALUES list needs a parameter per value and must be cut to fit the
 * parameter limit (part of bringing a 100,000-subscriber edition under 30 s). Columns are sent
 * as text arrays (Hearth's times, ids and JSON are text) except those named in `integers`;
 * append `on conflict` or `returning` to the result with sql``.
 */
export function unnestInsert<R>(
  table: string,
  columns: readonly (keyof R & string)[],
  rows: readonly R[],
  integers: readonly (keyof R & string)[] = [],
): RawBuilder<unknown> {
  const arrays = columns.map((column) => {
    const values = rows.map((row) => row[column]);
    return integers.includes(column) ? sql`${values}::integer[]` : sql`${values}::text[]`;
  });
  return sql`insert into ${sql.table(table)} (${sql.join(columns.map((column) => sql.ref(column)))})
    select * from unnest(${sql.join(arrays)})`;
}

export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  return (
    code === '23505' ||
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  );
}
