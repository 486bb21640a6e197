/**
 * The database seam's speed-ups keep what callers see: rows are plain objects named as their
 * columns, a precompiled query answers with each call's values, and a value kept out of the
 * planner's sight matches as a bare one does, on both engines.
 */
import BetterSqlite3 from 'better-sqlite3';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/helpers/dialects.js';
import { fixedPlanValue, precompiledQuery, withStatementCache } from './database.js';

describe('statement cache rows', () => {
  it('are objects with one own property per column, a later column of the same name winning', () => {
    const raw = new BetterSqlite3(':memory:');
    const cached = withStatementCache(raw);
    try {
      const reference = raw.prepare("select 1 as a, 'x' as b, null as c, 2 as a").all();
      const statement = cached.prepare("select 1 as a, 'x' as b, null as c, 2 as a");
      expect(statement.reader).toBe(true);
      expect(statement.all([])).toEqual(reference);
      expect([...statement.iterate([])]).toEqual(reference);
      expect(Object.getPrototypeOf(statement.all([])[0])).toBe(Object.prototype);
    } finally {
      cached.close();
    }
  });

  it('leave writes to the driver: run reports the changes', () => {
    const raw = new BetterSqlite3(':memory:');
    const cached = withStatementCache(raw);
    try {
      cached.prepare('create table t (id integer primary key, name text)').run([]);
      const result = cached.prepare('insert into t (name) values (?)').run(['one']);
      expect(result.changes).toBe(1);
      expect(
        cached.prepare('select name from t where id = ?').all([result.lastInsertRowid]),
      ).toEqual([{ name: 'one' }]);
    } finally {
      cached.close();
    }
  });
});

describeEachDialect('precompiled queries', (current) => {
  const byKey = precompiledQuery(['key', 'floor'], (db, values) =>
    db
      .selectFrom(
        sql<{ key: string; amount: number }>`(
        select 'a' as key, 1 as amount union all
        select 'b', 2 union all
        select 'b', 3
      )`.as('v'),
      )
      .select(['v.key', 'v.amount'])
      .where('v.key', '=', fixedPlanValue<string>(values.key, 'text'))
      .where('v.amount', '>=', fixedPlanValue<number>(values.floor, 'integer'))
      .orderBy('v.amount'),
  );

  it('answers each call with its own values', async () => {
    const { db } = current();
    const first = await byKey(db, { key: 'b', floor: 0 });
    expect(first.rows.map((row) => [row.key, Number(row.amount)])).toEqual([
      ['b', 2],
      ['b', 3],
    ]);
    const second = await byKey(db, { key: 'b', floor: 3 });
    expect(second.rows.map((row) => Number(row.amount))).toEqual([3]);
    const third = await byKey(db, { key: 'a', floor: 0 });
    expect(third.rows.map((row) => Number(row.amount))).toEqual([1]);
  });

  it('runs inside a transaction too', async () => {
    const { db } = current();
    const rows = await db.transaction().execute(async (trx) => {
      return (await byKey(trx, { key: 'a', floor: 1 })).rows;
    });
    expect(rows.map((row) => row.key)).toEqual(['a']);
  });

  it('refuses a stand-in put where no value goes', async () => {
    const { db } = current();
    const broken = precompiledQuery(['name'], (base, values) =>
      base.selectFrom(sql.table(values.name as unknown as string).as('t')).selectAll(),
    );
    await expect(broken(db, { name: 'anything' })).rejects.toThrow(/outside a value/);
  });
});
