/**
 * The database seam: Kysely over better-sqlite3 (the default, one file under DATA_DIR) or over
 * `pg` when DATABASE_URL is a PostgreSQL URL. Everything above this file speaks Kysely; what
 * differs between the engines lives in portable.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import {
  CompiledQuery,
  Kysely,
  PostgresAdapter,
  PostgresDialect,
  SqliteDialect,
  sql,
  type Compilable,
  type QueryResult,
  type RawBuilder,
  type Transaction,
} from 'kysely';
import pg from 'pg';
import type { DatabaseConfig } from '../../config/config.js';

export type Dialect = 'sqlite' | 'postgres';

/**
 * The application's handle. Owners type it for their own tables with `tablesOf<T>(db)`; the
 * platform holds it untyped because no single file may know every owner's tables.
 */
export type AnyTables = Record<string, Record<string, unknown>>;
export type Database = Kysely<AnyTables>;
export type DbExecutor<T = AnyTables> = Kysely<T> | Transaction<T>;

export interface DatabaseHandle {
  db: Database;
  dialect: Dialect;
  destroy(): Promise<void>;
}

/**
 * Views a handle (or a transaction) as an owner's typed tables. Sound because every owner's
 * tables are created by the same migrations; the integrity test proves each declared table exists.
 */
export function tablesOf<T>(db: Kysely<AnyTables> | Transaction<AnyTables>): Kysely<T> {
  return db as unknown as Kysely<T>;
}

/** The dialect behind a handle or transaction, read from the adapter Kysely holds. */
export function dialectOf<T>(db: Kysely<T>): Dialect {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}

/**
 * A bound value the query planner must not look at: `cast(? as text)` (or `integer`) rather
 * than a bare `?`. SQLite (better-sqlite3 is built with STAT4) plans a lookup on an indexed
 * column with the bound value in hand once ANALYZE has run, and then prepares the statement
 * again every time that value changes: a page view paid for two full re-preparations (measured:
 * 144 µs → 69 µs for a page of posts, 22 µs → 5 µs for a thread by id; same plans). Use it in
 * hot lookups by key, where the plan does not depend on the value. Both engines accept the cast.
 */
export function fixedPlanValue<T extends string | number>(
  value: T,
  type: 'text' | 'integer',
): RawBuilder<T> {
  return type === 'text' ? sql<T>`cast(${value} as text)` : sql<T>`cast(${value} as integer)`;
}

/** Stand-ins for a precompiled query's values: typed `never` so they fit any column. */
export type StandIns<K extends string> = { readonly [P in K]: never };

let precompiledCount = 0;

/**
 * A query that Kysely builds and compiles once per engine, then runs with each call's values.
 * Building and compiling a query costs more than running a point lookup on SQLite (measured:
 * 30–80 µs against 10–20 µs), and hot paths (a page view, a reply) run several. `build` gets a
 * stand-in for each named value and must use it only where a value goes (never in an identifier
 * or raw SQL text) and must not branch on it.
 */
export function precompiledQuery<K extends string, R>(
  names: readonly K[],
  build: (db: Database, values: StandIns<K>) => Compilable<R>,
): <T>(db: DbExecutor<T>, values: Readonly<Record<K, unknown>>) => Promise<QueryResult<R>> {
  precompiledCount += 1;
  const prefix = `\u0000value ${precompiledCount}:`;
  const standIns = Object.fromEntries(names.map((name) => [name, `${prefix}${name}`]));
  const compiled = new Map<Dialect, { sql: string; slots: (K | null)[]; constants: unknown[] }>();
  return async (db, values) => {
    const dialect = dialectOf(db);
    let entry = compiled.get(dialect);
    if (!entry) {
      const query = build(db as unknown as Database, standIns as StandIns<K>).compile();
      const slots = query.parameters.map((value) =>
        typeof value === 'string' && value.startsWith(prefix)
          ? (value.slice(prefix.length) as K)
          : null,
      );
      if (query.sql.includes(prefix)) throw new Error('A stand-in was used outside a value');
      entry = { sql: query.sql, slots, constants: [...query.parameters] };
      compiled.set(dialect, entry);
    }
    const { slots, constants } = entry;
    const parameters = slots.map((slot, index) =>
      slot === null ? constants[index] : values[slot],
    );
    return db.executeQuery<R>(CompiledQuery.raw(entry.sql, parameters));
  };
}

type SqliteStatement = BetterSqlite3.Statement<unknown[]>;

/** What Kysely's SQLite driver calls on a prepared statement. */
interface DriverStatement {
  readonly reader: boolean;
  all(parameters: readonly unknown[]): unknown[];
  run(parameters: readonly unknown[]): BetterSqlite3.RunResult;
  iterate(parameters: readonly unknown[]): IterableIterator<unknown>;
}

/**
 * A statement whose rows are read as arrays and made into objects here. better-sqlite3 builds
 * each row object through V8's C++ API, one property at a time with an interned name; for a
 * page of posts that was a third of the statement's cost (measured: ~170 µs against ~115 µs for
 * the thread page's 20 posts). The objects are the same: one own property per column, named as
 * the column, in column order, a later column of the same name winning as before.
 */
function rowObjectStatement(statement: SqliteStatement): DriverStatement {
  if (!statement.reader) return statement;
  const names = statement.columns().map((column) => column.name);
  // A column named like a prototype accessor would not become an own property: leave those to
  // the driver's own row objects.
  if (names.includes('__proto__')) return statement;
  statement.raw(true);
  const toObject = (values: unknown[]): Record<string, unknown> => {
    const row: Record<string, unknown> = {};
    for (let index = 0; index < names.length; index += 1)
      row[names[index] as string] = values[index];
    return row;
  };
  return {
    reader: true,
    all: (parameters) => (statement.all(parameters) as unknown[][]).map(toObject),
    run: (parameters) => statement.run(parameters),
    *iterate(parameters) {
      for (const values of statement.iterate(parameters) as IterableIterator<unknown[]>) {
        yield toObject(values);
      }
    },
  };
}

/**
 * Kysely's SQLite driver prepares every statement anew. Preparing is a large share of a point
 * lookup's cost (measured here: +31% throughput with a cache), so statements are kept in a
 * small LRU keyed by SQL text. Kysely runs one statement at a time on the single connection,
 * so a cached statement is never used by two callers at once.
 */
export function withStatementCache(database: BetterSqlite3.Database, capacity = 500) {
  const cache = new Map<string, DriverStatement>();
  return {
    close(): void {
      cache.clear();
      database.close();
    },
    prepare(sql: string): DriverStatement {
      const cached = cache.get(sql);
      if (cached) {
        cache.delete(sql);
        cache.set(sql, cached);
        return cached;
      }
      const statement = rowObjectStatement(database.prepare<unknown[]>(sql));
      cache.set(sql, statement);
      if (cache.size > capacity) {
        const oldest = cache.keys().next().value;
        if (oldest !== undefined) cache.delete(oldest);
      }
      return statement;
    },
  };
}

/**
 * Reads map the file instead of copying each page through a system call (measured: ~20% of a
 * page of posts). 1 GiB of address space, not of memory: the kernel's page cache backs it.
 */
const MMAP_BYTES = 1024 * 1024 * 1024;

export function openSqlite(file: string): BetterSqlite3.Database {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
  const database = new BetterSqlite3(file);
  database.pragma('journal_mode = WAL');
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  database.pragma('synchronous = NORMAL');
  database.pragma(`mmap_size = ${MMAP_BYTES}`);
  return database;
}

export interface OpenOptions {
  /** PostgreSQL only: a schema to put first on the search path (tests use one per file). */
  searchPath?: string;
}

export function openDatabase(config: DatabaseConfig, options: OpenOptions = {}): DatabaseHandle {
  if (config.dialect === 'sqlite') {
    const raw = openSqlite(config.file);
    const db = new Kysely<AnyTables>({
      dialect: new SqliteDialect({ database: withStatementCache(raw) }),
    });
    return { db, dialect: 'sqlite', destroy: () => db.destroy() };
  }
  const pool = new pg.Pool({
    connectionString: config.url,
    max: config.poolSize,
    ...(options.searchPath ? { options: `-c search_path=${options.searchPath}` } : {}),
  });
  const db = new Kysely<AnyTables>({ dialect: new PostgresDialect({ pool }) });
  return { db, dialect: 'postgres', destroy: () => db.destroy() };
}
