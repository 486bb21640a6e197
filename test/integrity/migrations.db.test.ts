import { describe, expect, it } from 'vitest';
import { listLiveTables, isEngineTable } from '../../src/platform/db/introspect.js';
import { migrateDown, migrateToLatest, migrationStatus } from '../../src/platform/db/migrator.js';
import { DIALECTS, createTestDatabase, retryCatalogRace } from '../helpers/dialects.js';

const BOOKKEEPING = new Set(['kysely_migration', 'kysely_migration_lock']);

describe('migrations', () => {
  for (const dialect of DIALECTS) {
    it(`run up, down and up again [${dialect}]`, async () => {
      const database = await createTestDatabase(dialect, { migrate: false });
      try {
        const applied = await retryCatalogRace(() => migrateToLatest(database.db));
        expect(applied.length).toBeGreaterThan(0);
        const first = await listLiveTables(database.db);

        // One step at a time, each retried alone if another file's DDL races the catalog listing.
        const undone: string[] = [];
        for (;;) {
          const step = await retryCatalogRace(() => migrateDown(database.db));
          if (step.length === 0) break;
          undone.push(...step);
        }
        expect(undone).toEqual([...applied].reverse());
        const afterDown = (await listLiveTables(database.db)).filter(
          (table) => !BOOKKEEPING.has(table.name) && !isEngineTable(table.name),
        );
        expect(afterDown).toEqual([]);

        expect(await retryCatalogRace(() => migrateToLatest(database.db))).toEqual(applied);
        expect(await listLiveTables(database.db)).toEqual(first);
        const status = await migrationStatus(database.db);
        expect(status.every((entry) => entry.executedAt !== null)).toBe(true);
      } finally {
        await database.destroy();
      }
      // Three whole passes over every migration: on a loaded PostgreSQL this takes far longer
      // than one test's usual 30 s.
    }, 180_000);
  }
});
