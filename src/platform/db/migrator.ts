/**
 * One ordered folder of migrations for both engines (STYLE.md point 8). Each file exports
 * `up(db)` and `down(db)`, takes `Kysely<unknown>` and imports nothing from the app but the
 * dialect helpers in portable.ts. Files are found at run time, so the same code serves the
 * TypeScript sources (tests, `tsx`) and the compiled `dist/`.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dialectOf } from './database.js';
import {
  Migrator,
  sql,
  type DatabaseIntrospector,
  type Kysely,
  type Migration,
  type MigrationProvider,
  type MigrationResultSet,
} from 'kysely';

export const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

const MIGRATION_FILE = /^\d{8}_\d{4}_[a-z0-9_]+\.(ts|js)$/;

export class FolderMigrationProvider implements MigrationProvider {
  constructor(private readonly folders: readonly string[]) {}

  async getMigrations(): Promise<Record<string, Migration>> {
    const migrations: Record<string, Migration> = {};
    for (const folder of this.folders) {
      const files = (await fs.readdir(folder)).filter((file) => MIGRATION_FILE.test(file)).sort();
      for (const file of files) {
        const name = file.replace(/\.(ts|js)$/, '');
        if (migrations[name]) throw new Error(`Migration ${name} exists twice`);
        const loaded = (await import(pathToFileURL(path.join(folder, file)).href)) as Migration;
        migrations[name] = loaded;
      }
    }
    return migrations;
  }
}

/**
 * Kysely's migrator only asks whether its two bookkeeping tables exist. On PostgreSQL its own
 * introspector answers by listing every column of every table in every schema of the database,
 * calling a function per column that fails when another installation (or a parallel test) drops
 * that table during the listing. This one reads the current schema's table names from the
 * catalogue, with no per-object function, so another schema's DDL cannot make it fail.
 */
function withSchemaIntrospection<T>(db: Kysely<T>, schema: string): Kysely<T> {
  const getTables = async () =>
    (
      await sql<{ name: string; kind: string }>`select c.relname as name, c.relkind as kind
        from pg_catalog.pg_class c
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where n.nspname = ${schema} and c.relkind in ('r', 'p', 'v', 'm')`.execute(db)
    ).rows.map((row) => ({ name: row.name, schema, isView: row.kind === 'v', columns: [] }));
  const introspection: DatabaseIntrospector = {
    getSchemas: () => db.introspection.getSchemas(),
    getTables,
    getMetadata: async () => ({ tables: await getTables() }),
  };
  return new Proxy(db, {
    get(target, property) {
      if (property === 'introspection') return introspection;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
    },
  });
}

export async function createMigrator<T>(
  db: Kysely<T>,
  extraFolders: readonly string[] = [],
): Promise<Migrator> {
  // Kysely looks for its bookkeeping tables in every schema it can see; naming the current one
  // keeps two Hearth installations (or test schemas) in one PostgreSQL database apart.
  const schema =
    dialectOf(db) === 'postgres'
      ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]
          ?.schema
      : undefined;
  return new Migrator({
    db: schema ? withSchemaIntrospection(db, schema) : db,
    provider: new FolderMigrationProvider([MIGRATIONS_DIR, ...extraFolders]),
    // Tests add fixture migrations from another folder that sort among the app's own.
    allowUnorderedMigrations: extraFolders.length > 0,
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
}

export class MigrationFailedError extends Error {
  constructor(
    readonly migration: string | undefined,
    override readonly cause: unknown,
  ) {
    super(
      `Migration ${migration ?? '(unknown)'} failed: ${cause instanceof Error ? cause.message : String(cause)}`,
    );
    this.name = 'MigrationFailedError';
  }
}

function check(result: MigrationResultSet): string[] {
  if (result.error !== undefined) {
    const failed = result.results?.find((entry) => entry.status === 'Error');
    throw new MigrationFailedError(failed?.migrationName, result.error);
  }
  return (result.results ?? []).map((entry) => entry.migrationName);
}

export async function migrateToLatest<T>(
  db: Kysely<T>,
  extraFolders: readonly string[] = [],
): Promise<string[]> {
  return check(await (await createMigrator(db, extraFolders)).migrateToLatest());
}

export async function migrateDown<T>(db: Kysely<T>, steps = 1): Promise<string[]> {
  const migrator = await createMigrator(db);
  const undone: string[] = [];
  for (let step = 0; step < steps; step += 1) {
    const names = check(await migrator.migrateDown());
    if (names.length === 0) break;
    undone.push(...names);
  }
  return undone;
}

export async function migrationStatus<T>(
  db: Kysely<T>,
): Promise<{ name: string; executedAt: Date | null }[]> {
  const list = await (await createMigrator(db)).getMigrations();
  return list.map((migration) => ({
    name: migration.name,
    executedAt: migration.executedAt ?? null,
  }));
}
