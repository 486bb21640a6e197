/**
 * The DIALECTS matrix (STYLE.md point 14): every database test runs on SQLite and, when
 * TEST_DATABASE_URL is set, on PostgreSQL, each in a fresh database: a temp file for SQLite, a
 * fresh schema for PostgreSQL, with the real migrations applied.
 */
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { DatabaseConfig } from '../../src/config/config.js';
import {
  openDatabase,
  type Database,
  type DatabaseHandle,
  type Dialect,
} from '../../src/platform/db/database.js';
import { MigrationFailedError, migrateToLatest } from '../../src/platform/db/migrator.js';
import { makeTempDir } from './config.js';

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? '';

if (process.env.CI === 'true' && TEST_DATABASE_URL === '') {
  throw new Error('CI=true but TEST_DATABASE_URL is not set: PostgreSQL tests must run in CI');
}

export const DIALECTS: readonly Dialect[] = TEST_DATABASE_URL ? ['sqlite', 'postgres'] : ['sqlite'];

export interface TestDatabase {
  dialect: Dialect;
  handle: DatabaseHandle;
  db: Database;
  /** A config that reaches the same database (for a second process or connection pool). */
  databaseConfig: DatabaseConfig;
  /** PostgreSQL: the schema; SQLite: undefined. */
  schema?: string;
  /** Opens another handle on the same database (a second "process"). */
  openAnother(): DatabaseHandle;
  destroy(): Promise<void>;
}

export interface CreateTestDatabaseOptions {
  migrate?: boolean;
  /** Extra migration folders (fixture owners in tests). */
  extraMigrationFolders?: readonly string[];
  /** describeEachDialect only: run on these dialects (of those available) instead of all. */
  dialects?: readonly Dialect[];
}

/**
 * A migration run that fails before any migration starts (the error names none) is tried
 * again: nothing was changed yet. migrator.ts reads only the current schema's tables, so other
 * test files' DDL on the shared PostgreSQL no longer breaks its catalogue listing (it did with
 * Kysely's own introspector); this keeps a passing hiccup on a loaded machine from failing a file.
 */
export async function retryCatalogRace<T>(step: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await step();
    } catch (error) {
      const beforeAnyMigration =
        error instanceof MigrationFailedError && error.migration === undefined;
      if (attempt >= 5 || !beforeAnyMigration) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
    }
  }
}

export async function createTestDatabase(
  dialect: Dialect,
  options: CreateTestDatabaseOptions = {},
): Promise<TestDatabase> {
  let databaseConfig: DatabaseConfig;
  let schema: string | undefined;
  if (dialect === 'sqlite') {
    databaseConfig = { dialect: 'sqlite', file: path.join(makeTempDir(), 'test.sqlite') };
  } else {
    // Named after the run so global-setup.ts drops it when the run ends.
    const run = process.env.HEARTH_TEST_RUN ?? Math.floor(Date.now() / 1000).toString(36) + '0000';
    schema = `t_${run}_${randomBytes(6).toString('hex')}`;
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    await client.query(`create schema ${schema}`);
    await client.end();
    databaseConfig = { dialect: 'postgres', url: TEST_DATABASE_URL, poolSize: 10 };
  }
  const open = () => openDatabase(databaseConfig, schema ? { searchPath: schema } : {});
  const handle = open();
  const others: DatabaseHandle[] = [];
  if (options.migrate !== false) {
    await retryCatalogRace(() => migrateToLatest(handle.db, options.extraMigrationFolders ?? []));
  }
  return {
    dialect,
    handle,
    db: handle.db,
    databaseConfig,
    ...(schema ? { schema } : {}),
    openAnother() {
      const another = open();
      others.push(another);
      return another;
    },
    async destroy() {
      await Promise.all(others.map((other) => other.destroy()));
      // The schema itself is dropped after the whole run (test/helpers/global-setup.ts).
      await handle.destroy();
    },
  };
}

/**
 * Runs a describe block once per dialect with a fresh, migrated database. `current()` returns
 * it inside tests.
 */
export function describeEachDialect(
  title: string,
  body: (current: () => TestDatabase, dialect: Dialect) => void,
  options: CreateTestDatabaseOptions = {},
): void {
  for (const dialect of DIALECTS.filter((each) => options.dialects?.includes(each) ?? true)) {
    describe(`${title} [${dialect}]`, () => {
      let database: TestDatabase | undefined;
      beforeAll(async () => {
        database = await createTestDatabase(dialect, options);
      });
      afterAll(async () => {
        await database?.destroy();
      });
      body(() => {
        if (!database) throw new Error('test database not ready');
        return database;
      }, dialect);
    });
  }
}

/**
 * Declares a test only on PostgreSQL: concurrent writers from two connections are PostgreSQL's
 * case (two SQLite connections in one test process would only block each other's synchronous
 * driver; across processes SQLite serialises writers on the file lock).
 */
export function postgresOnly(dialect: Dialect): (title: string, fn: () => Promise<void>) => void {
  return (title, fn) => {
    if (dialect === 'postgres') it(title, fn);
  };
}
