import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { tablesOf, type Database } from '../../platform/db/database.js';
import { newId } from '../../platform/db/ids.js';
import { toNumber } from '../../platform/db/portable.js';
import { auditCommand } from '../../cli/audit.js';
import { describeEachDialect, type TestDatabase } from '../../../test/helpers/dialects.js';
import { appendAudit, verifyAuditChain } from './audit.service.js';
import type { AuditTables } from './audit.tables.js';

function audit(db: Database) {
  return tablesOf<AuditTables>(db);
}

async function chainLength(db: Database): Promise<number> {
  const row = await audit(db)
    .selectFrom('audit_chain')
    .select((eb) => eb.fn.countAll().as('count'))
    .executeTakeFirst();
  return toNumber(row?.count);
}

/** Runs `hearth audit verify` against the test database, capturing its output. */
async function runVerifyCommand(database: TestDatabase) {
  const out: string[] = [];
  const err: string[] = [];
  const config = database.databaseConfig;
  const env: Record<string, string> = {
    LOG_LEVEL: 'silent',
    DATABASE_URL:
      config.dialect === 'sqlite'
        ? `sqlite:${config.file}`
        : `${config.url}${config.url.includes('?') ? '&' : '?'}options=${encodeURIComponent(
            `-c search_path=${database.schema ?? 'public'}`,
          )}`,
  };
  const code = await auditCommand.run(
    { values: {}, positionals: [] },
    { out: (line) => out.push(line), err: (line) => err.push(line), env },
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describeEachDialect('audit log', (current) => {
  it('appends entries whose chain verifies, naming people only by pseudonyms', async () => {
    const { db } = current();
    const memberId = newId();
    const staffId = newId();
    const first = await appendAudit(db, {
      action: 'consent.granted',
      actorId: memberId,
      subjectId: memberId,
      detail: { purpose: 'newsletter' },
    });
    const second = await appendAudit(db, {
      action: 'data.viewed',
      actorId: staffId,
      subjectId: memberId,
      detail: { table: 'fixture_messages', count: 3 },
    });
    const third = await appendAudit(db, { action: 'system.started' });
    expect(second.seq).toBe(first.seq + 1);
    expect(third.seq).toBe(second.seq + 1);

    const chain = await audit(db).selectFrom('audit_chain').selectAll().orderBy('seq').execute();
    const serialised = JSON.stringify(chain);
    expect(serialised).not.toContain(memberId);
    expect(serialised).not.toContain(staffId);
    const [entry1, entry2] = chain.slice(-3);
    expect(entry1?.subject_ref).toMatch(/^r_[0-9a-f]{32}$/);
    expect(entry2?.subject_ref).toBe(entry1?.subject_ref);
    expect(entry2?.actor_ref).not.toBe(entry1?.actor_ref);

    const details = await audit(db)
      .selectFrom('audit_details')
      .selectAll()
      .where('seq', '=', second.seq)
      .executeTakeFirstOrThrow();
    expect(details.subject_id).toBe(memberId);
    expect(details.actor_id).toBe(staffId);
    expect(JSON.parse(details.detail)).toEqual({ count: 3, table: 'fixture_messages' });

    expect(await verifyAuditChain(db)).toEqual({ ok: true, checked: await chainLength(db) });
  });

  it('joins the caller’s transaction: a rolled-back change leaves no entry', async () => {
    const { db } = current();
    const before = await chainLength(db);
    await expect(
      db.transaction().execute(async (trx) => {
        await appendAudit(trx, { action: 'hold.placed', actorId: newId() });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await chainLength(db)).toBe(before);
    expect((await verifyAuditChain(db)).ok).toBe(true);
  });

  it('refuses a malformed action with a 400', async () => {
    const { db } = current();
    await expect(appendAudit(db, { action: 'DROP TABLE' })).rejects.toMatchObject({
      statusCode: 400,
    });
    await expect(appendAudit(db, { action: 'x.y', subjectId: '' })).rejects.toMatchObject({
      statusCode: 400,
    });
  });

  it('fails verification when an entry is altered, and names the entry', async () => {
    const { db } = current();
    await appendAudit(db, { action: 'data.viewed', subjectId: newId() });
    const target = await appendAudit(db, { action: 'data.exported', subjectId: newId() });
    await appendAudit(db, { action: 'data.viewed', subjectId: newId() });

    await audit(db)
      .updateTable('audit_chain')
      .set({ action: 'data.viewed' })
      .where('seq', '=', target.seq)
      .execute();
    const broken = await verifyAuditChain(db);
    expect(broken).toMatchObject({ ok: false, firstBrokenSeq: target.seq });
    expect(broken.reason).toContain('altered');

    const command = await runVerifyCommand(current());
    expect(command.code).toBe(1);
    expect(command.out).toContain(`broken at entry ${target.seq}`);

    await audit(db)
      .updateTable('audit_chain')
      .set({ action: 'data.exported' })
      .where('seq', '=', target.seq)
      .execute();
    expect((await verifyAuditChain(db)).ok).toBe(true);
    const whole = await runVerifyCommand(current());
    expect(whole.code).toBe(0);
    expect(whole.out).toContain('whole');
    expect(whole.err).toContain('audit entries checked');
  });

  it('detects an altered detail, but not an erased one: erasure keeps the chain whole', async () => {
    const { db } = current();
    const memberId = newId();
    const entry = await appendAudit(db, {
      action: 'consent.withdrawn',
      subjectId: memberId,
      detail: { purpose: 'newsletter' },
    });
    await audit(db)
      .updateTable('audit_details')
      .set({ detail: JSON.stringify({ purpose: 'analytics' }) })
      .where('seq', '=', entry.seq)
      .execute();
    expect(await verifyAuditChain(db)).toMatchObject({
      ok: false,
      firstBrokenSeq: entry.seq,
      reason: 'the detail of the entry was altered',
    });

    await audit(db).deleteFrom('audit_details').where('subject_id', '=', memberId).execute();
    await audit(db).deleteFrom('audit_subject_refs').where('subject_id', '=', memberId).execute();
    expect((await verifyAuditChain(db)).ok).toBe(true);
  });

  it('detects a removed entry and entries cut off the end', async () => {
    const { db } = current();
    const middle = await appendAudit(db, { action: 'data.viewed' });
    const last = await appendAudit(db, { action: 'data.viewed' });
    const rows = await audit(db)
      .selectFrom('audit_chain')
      .selectAll()
      .where('seq', 'in', [middle.seq, last.seq])
      .orderBy('seq')
      .execute();

    await audit(db).deleteFrom('audit_chain').where('seq', '=', middle.seq).execute();
    expect(await verifyAuditChain(db)).toMatchObject({ ok: false, firstBrokenSeq: middle.seq });

    await audit(db).deleteFrom('audit_chain').where('seq', '=', last.seq).execute();
    expect(await verifyAuditChain(db)).toMatchObject({
      ok: false,
      firstBrokenSeq: middle.seq,
      reason: 'entries are missing at the end',
    });

    await audit(db).insertInto('audit_chain').values(rows).execute();
    expect((await verifyAuditChain(db)).ok).toBe(true);
  });

  it('gives a person erased for good a pseudonym that is never stored', async () => {
    const { db } = current();
    const memberId = newId();
    await appendAudit(db, { action: 'data.viewed', subjectId: memberId });
    await audit(db).deleteFrom('audit_subject_refs').where('subject_id', '=', memberId).execute();
    await sql`insert into privacy_erasure_runs (id, subject_id, status, started_at, updated_at, removed)
      values (${newId()}, ${memberId}, 'completed', ${new Date().toISOString()}, ${new Date().toISOString()}, 0)`.execute(
      db,
    );
    const after = await appendAudit(db, { action: 'data.viewed', subjectId: memberId });
    const entry = await audit(db)
      .selectFrom('audit_chain')
      .select('subject_ref')
      .where('seq', '=', after.seq)
      .executeTakeFirstOrThrow();
    const stored = await audit(db)
      .selectFrom('audit_subject_refs')
      .select('ref')
      .where('subject_id', '=', memberId)
      .executeTakeFirst();
    expect(entry.subject_ref).toMatch(/^r_/);
    expect(stored).toBeUndefined();
  });

  it('keeps the chain whole under many concurrent appends on one handle', async () => {
    const { db } = current();
    const before = await chainLength(db);
    await Promise.all(
      Array.from({ length: 40 }, (_, index) =>
        appendAudit(db, { action: 'data.viewed', subjectId: `member-${index % 5}` }),
      ),
    );
    expect(await chainLength(db)).toBe(before + 40);
    expect(await verifyAuditChain(db, { batchSize: 7 })).toEqual({
      ok: true,
      checked: before + 40,
    });
  });
});

describeEachDialect(
  'audit log across connections',
  (current) => {
    it('keeps one chain when two connection pools append at once (PostgreSQL row lock on the head)', async () => {
      const database = current();
      // SQLite in one process has one writer per file and better-sqlite3 waits synchronously, so
      // two handles in the same thread cannot interleave; the lock is proven on PostgreSQL.
      const other = database.openAnother();
      const perPool = 60;
      const results = await Promise.all([
        ...Array.from({ length: perPool }, (_, index) =>
          appendAudit(database.db, { action: 'data.viewed', subjectId: `first-${index % 7}` }),
        ),
        ...Array.from({ length: perPool }, (_, index) =>
          appendAudit(other.db, { action: 'data.exported', subjectId: `second-${index % 7}` }),
        ),
      ]);
      const seqs = results.map((result) => result.seq).sort((a, b) => a - b);
      expect(seqs).toEqual(Array.from({ length: perPool * 2 }, (_, index) => index + 1));
      expect(await verifyAuditChain(database.db)).toEqual({ ok: true, checked: perPool * 2 });
      // The pseudonym of a person appended from both pools at once is still one pseudonym.
      const refs = await audit(database.db)
        .selectFrom('audit_subject_refs')
        .select((eb) => eb.fn.countAll().as('count'))
        .executeTakeFirst();
      expect(toNumber(refs?.count)).toBe(14);
    });
  },
  { dialects: ['postgres'] },
);

describe('audit verify command', () => {
  it('is listed as `hearth audit verify`', () => {
    expect(auditCommand.name).toEqual(['audit', 'verify']);
  });
});
