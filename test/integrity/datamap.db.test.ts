import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { collectOwners } from '../../src/app.js';
import { listLiveTables } from '../../src/platform/db/introspect.js';
import { checkIntegrity } from '../../src/privacy/integrity.js';
import { createPrivacyRegistry } from '../../src/privacy/registry.js';
import { DIALECTS, createTestDatabase, describeEachDialect } from '../helpers/dialects.js';

describeEachDialect('data-map integrity', (current) => {
  const registry = createPrivacyRegistry(collectOwners());

  it('declares every live table and column, and every declared one exists', async () => {
    const live = await listLiveTables(current().db);
    expect(live.length).toBeGreaterThan(1);
    expect(checkIntegrity(live, registry.tables)).toEqual([]);
  });
});

describe('data-map integrity catches what it must', () => {
  for (const dialect of DIALECTS) {
    it(`fails when an undeclared column or table is added [${dialect}]`, async () => {
      const database = await createTestDatabase(dialect);
      try {
        const registry = createPrivacyRegistry(collectOwners());
        await sql`alter table platform_settings add column favourite_colour text`.execute(
          database.db,
        );
        await sql`create table shadow_list (id text primary key, email text)`.execute(database.db);
        const problems = checkIntegrity(await listLiveTables(database.db), registry.tables);
        expect(problems).toContainEqual({
          table: 'platform_settings',
          column: 'favourite_colour',
          problem: 'column is not declared',
        });
        expect(problems).toContainEqual({
          table: 'shadow_list',
          problem: 'table is not declared in any data map',
        });
      } finally {
        await database.destroy();
      }
    });

    it(`fails when a declared table is missing [${dialect}]`, async () => {
      const database = await createTestDatabase(dialect);
      try {
        const registry = createPrivacyRegistry([
          ...collectOwners(),
          {
            owner: 'ghost',
            tables: {
              ghost_rows: {
                subjects: [{ column: 'member_id', role: 'member' }],
                purpose: 'account',
                columns: { id: 'system.id', member_id: 'user.id' },
                erasure: 'delete',
                retention: [{ keep: 'while-account' }],
              },
            },
          },
        ]);
        const problems = checkIntegrity(await listLiveTables(database.db), registry.tables);
        expect(problems).toContainEqual({
          table: 'ghost_rows',
          problem: 'declared but missing from the database',
        });
      } finally {
        await database.destroy();
      }
    });
  }
});
