import { sql } from 'kysely';
import { beforeAll, expect, it } from 'vitest';
import type { Database, DbExecutor } from '../../../src/platform/db/database.js';
import { inTransaction } from '../../../src/platform/db/transactions.js';
import { describeEachDialect } from '../../helpers/dialects.js';

/**
 * inTransaction on SQLite shares commits between work that arrives together (transactions.ts);
 * on PostgreSQL each gets its own transaction. Either way each caller keeps all-or-nothing.
 */
describeEachDialect(
  'transactions that arrive together',
  (current) => {
    let db: Database;

    beforeAll(async () => {
      db = current().db;
      await sql`create table probe_rows (
      id integer primary key,
      label text not null,
      parent integer references probe_rows (id) deferrable initially immediate
    )`.execute(db);
    });

    const insert = (trx: DbExecutor, id: number, label: string) =>
      sql`insert into probe_rows (id, label) values (${id}, ${label})`.execute(trx);
    const labels = async (from: DbExecutor) =>
      (
        await sql<{ label: string }>`select label from probe_rows order by id`.execute(from)
      ).rows.map((row) => row.label);

    it('many at once: each keeps its own outcome; a failing one leaves nothing and only its caller sees the error', async () => {
      const outcomes = await Promise.allSettled(
        Array.from({ length: 20 }, (_, index) =>
          inTransaction(db, async (trx) => {
            await insert(trx, 100 + index, `row ${index}`);
            // Sees the rows of those that ran before it in the same commit.
            const before = (await labels(trx)).length;
            if (index === 7) throw new Error('seven refuses');
            await insert(trx, 200 + index, `second of ${index}`);
            return before;
          }),
        ),
      );
      expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(19);
      const refused = outcomes[7];
      expect(refused?.status).toBe('rejected');
      expect((refused as PromiseRejectedResult).reason).toEqual(new Error('seven refuses'));
      const kept = await labels(db);
      expect(kept).toHaveLength(38);
      expect(kept).not.toContain('row 7');
      expect(kept).not.toContain('second of 7');
    });

    it("a caller's work is visible to another connection by the time its promise settles", async () => {
      const other = current().openAnother();
      const checks = await Promise.all(
        Array.from({ length: 10 }, (_, index) =>
          inTransaction(db, (trx) => insert(trx, 300 + index, `seen ${index}`)).then(
            async () =>
              (
                await sql<{
                  count: number | string;
                }>`select count(*) as count from probe_rows where id = ${300 + index}`.execute(
                  other.db,
                )
              ).rows[0]?.count,
          ),
        ),
      );
      expect(checks.map(Number)).toEqual(Array.from({ length: 10 }, () => 1));
    });

    it('when the commit itself fails, every caller sharing it gets the error and nothing is kept', async () => {
      const before = await labels(db);
      const outcomes = await Promise.allSettled([
        inTransaction(db, (trx) => insert(trx, 400, 'innocent')),
        inTransaction(db, async (trx) => {
          // A foreign key checked only at commit, pointing nowhere: the commit fails.
          await sql`set constraints all deferred`
            .execute(trx)
            .catch(() => sql`pragma defer_foreign_keys = on`.execute(trx));
          await sql`insert into probe_rows (id, label, parent) values (401, 'orphan', 999999)`.execute(
            trx,
          );
        }),
      ]);
      expect(outcomes[1]?.status).toBe('rejected');
      expect(await labels(db)).not.toContain('orphan');
      if (current().dialect === 'sqlite') {
        // Shared with the failing commit: not kept either, and told so.
        expect(outcomes[0]?.status).toBe('rejected');
        expect(await labels(db)).toEqual(before);
      } else {
        // Its own transaction on PostgreSQL.
        expect(outcomes[0]?.status).toBe('fulfilled');
      }
    });
  },
  { migrate: false },
);
