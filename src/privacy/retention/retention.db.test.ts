/**
 * The retention engine on both engines, against the fixture owner's tables (one per rule
 * shape). Every rule is tried with three rows, fresh, at the edge and expired (STYLE.md 16),
 * and the test checks exactly which rows survive.
 *
 * The boundary is inclusive: a row whose `from` time is exactly `asOf − after` has reached the
 * end of its period and is acted on; one a millisecond younger is not.
 */
import { pino } from 'pino';
import { Cron } from 'croner';
import { beforeEach, expect, it } from 'vitest';
import { addDuration } from '../../platform/datamap.js';
import { toDbTime } from '../../platform/db/portable.js';
import type { JobContext } from '../../platform/jobs/jobs.types.js';
import { placeHold } from '../holds/holds.service.js';
import { createPrivacyJobs, createRetentionJob, RETENTION_JOB } from '../privacy.jobs.js';
import { collectOwners } from '../../app.js';
import { createPrivacyRegistry } from '../registry.js';
import {
  runRetention,
  type RetentionReport,
  type RetentionRuleReport,
} from './retention.engine.js';
import { describeEachDialect } from '../../../test/helpers/dialects.js';
import { testConfig } from '../../../test/helpers/config.js';
import {
  RETENTION_FIXTURE_MIGRATIONS,
  RETENTION_FIXTURE_TABLES,
  retentionFixtureRegistry,
} from '../../../test/fixtures/retention-owner/retention-owner.js';

const AS_OF = new Date('2031-06-15T12:00:00.000Z');
const MS = 1;
const DAY = 86_400_000;

/** `asOf − duration`, moved by `offsetMs`: the edge is offset 0. */
function before(duration: string, offsetMs = 0, asOf: Date = AS_OF): string {
  return toDbTime(new Date(addDuration(asOf, duration, -1).getTime() + offsetMs));
}

function ruleOf(report: RetentionReport, table: string, index: number): RetentionRuleReport {
  const found = report.rules.find((rule) => rule.table === table && rule.ruleIndex === index);
  if (!found) throw new Error(`no report for ${table} rule ${index}`);
  return found;
}

describeEachDialect(
  'retention engine',
  (current) => {
    const registry = retentionFixtureRegistry();
    const db = () => current().db;
    const run = (options: Partial<Parameters<typeof runRetention>[2]> = {}) =>
      runRetention(db(), registry, { asOf: AS_OF, dryRun: false, ...options });
    const ids = async (table: string, column = 'id') =>
      (await db().selectFrom(table).select(column).orderBy(column).execute()).map((row) =>
        String(row[column]),
      );

    beforeEach(async () => {
      for (const table of RETENTION_FIXTURE_TABLES) await db().deleteFrom(table).execute();
      await db().deleteFrom('privacy_retention_warnings').execute();
      await db().deleteFrom('privacy_holds').execute();
    });

    it('delete: removes the expired row and the one exactly at the edge, keeps the fresh one', async () => {
      await db()
        .insertInto('rtx_logins')
        .values([
          { id: 'fresh', member_id: 'm1', ip_address: '192.0.2.1', created_at: before('P30D', MS) },
          { id: 'edge', member_id: 'm1', ip_address: '192.0.2.2', created_at: before('P30D') },
          {
            id: 'expired',
            member_id: 'm2',
            ip_address: '192.0.2.3',
            created_at: before('P30D', -DAY),
          },
        ])
        .execute();

      const report = await run();

      expect(await ids('rtx_logins')).toEqual(['fresh']);
      expect(ruleOf(report, 'rtx_logins', 0)).toMatchObject({
        action: 'delete',
        matched: 2,
        applied: 2,
        skippedForHold: 0,
      });
      expect(report.failed).toBe(false);
    });

    it('clear: empties the listed columns of expired rows, keeps the rows, and matches them only once', async () => {
      await db()
        .insertInto('rtx_posts')
        .values(
          (
            [
              ['fresh', before('P90D', MS)],
              ['edge', before('P90D')],
              ['expired', before('P90D', -DAY)],
            ] as const
          ).map(([id, createdAt]) => ({
            id,
            author_id: 'm1',
            body: `post ${id}`,
            ip_address: '192.0.2.9',
            user_agent: 'Firefox',
            created_at: createdAt,
          })),
        )
        .execute();

      const first = await run();

      const rows = await db()
        .selectFrom('rtx_posts')
        .select(['id', 'body', 'ip_address', 'user_agent'])
        .orderBy('id')
        .execute();
      expect(rows).toEqual([
        { id: 'edge', body: 'post edge', ip_address: null, user_agent: null },
        { id: 'expired', body: 'post expired', ip_address: null, user_agent: null },
        { id: 'fresh', body: 'post fresh', ip_address: '192.0.2.9', user_agent: 'Firefox' },
      ]);
      expect(ruleOf(first, 'rtx_posts', 1)).toMatchObject({
        action: 'clear',
        matched: 2,
        applied: 2,
      });
      // The keep rule is reported and does nothing.
      expect(ruleOf(first, 'rtx_posts', 0)).toMatchObject({
        action: 'keep',
        matched: 0,
        applied: 0,
      });

      const second = await run();
      expect(ruleOf(second, 'rtx_posts', 1)).toMatchObject({ matched: 0, applied: 0 });
    });

    it('where: only rows matching the condition, and a null time never matches', async () => {
      await db()
        .insertInto('rtx_tickets')
        .values([
          {
            id: 'closed-fresh',
            requester_id: 'm1',
            status: 'closed',
            closed_at: before('P2Y', MS),
          },
          { id: 'closed-edge', requester_id: 'm1', status: 'closed', closed_at: before('P2Y') },
          {
            id: 'closed-expired',
            requester_id: 'm2',
            status: 'closed',
            closed_at: before('P2Y', -DAY),
          },
          { id: 'open-old', requester_id: 'm2', status: 'open', closed_at: before('P2Y', -DAY) },
          { id: 'closed-no-date', requester_id: 'm3', status: 'closed', closed_at: null },
        ])
        .execute();

      const report = await run();

      expect(await ids('rtx_tickets')).toEqual(['closed-fresh', 'closed-no-date', 'open-old']);
      expect(ruleOf(report, 'rtx_tickets', 0)).toMatchObject({ matched: 2, applied: 2 });
    });

    it('P34 a hold keeps the held member’s rows, also in a table reached via a parent, until it is lifted', async () => {
      await db()
        .insertInto('rtx_logins')
        .values([
          {
            id: 'held-login',
            member_id: 'held',
            ip_address: null,
            created_at: before('P30D', -DAY),
          },
          {
            id: 'free-login',
            member_id: 'free',
            ip_address: null,
            created_at: before('P30D', -DAY),
          },
        ])
        .execute();
      await db()
        .insertInto('rtx_tickets')
        .values([
          { id: 'held-ticket', requester_id: 'held', status: 'open', closed_at: null },
          { id: 'free-ticket', requester_id: 'free', status: 'open', closed_at: null },
        ])
        .execute();
      await db()
        .insertInto('rtx_ticket_notes')
        .values([
          { id: 'held-note', ticket_id: 'held-ticket', body: 'a', created_at: before('P2Y', -DAY) },
          { id: 'free-note', ticket_id: 'free-ticket', body: 'b', created_at: before('P2Y', -DAY) },
        ])
        .execute();
      const hold = await placeHold(db(), {
        subjectId: 'held',
        kind: 'safeguarding',
        reason: 'Safeguarding referral under review',
        placedBy: 'dpo-1',
      });

      const report = await run();

      expect(await ids('rtx_logins')).toEqual(['held-login']);
      expect(await ids('rtx_ticket_notes')).toEqual(['held-note']);
      expect(ruleOf(report, 'rtx_logins', 0)).toMatchObject({
        matched: 2,
        applied: 1,
        skippedForHold: 1,
      });
      expect(ruleOf(report, 'rtx_ticket_notes', 0)).toMatchObject({
        matched: 2,
        applied: 1,
        skippedForHold: 1,
      });

      await db()
        .updateTable('privacy_holds')
        .set({ lifted_at: toDbTime(new Date()), lifted_by: 'dpo-1', lift_reason: 'Review closed' })
        .where('id', '=', hold.id)
        .execute();
      await run();
      expect(await ids('rtx_logins')).toEqual([]);
      expect(await ids('rtx_ticket_notes')).toEqual([]);
    });

    it('a dry run changes nothing and reports what a real run then does', async () => {
      await db()
        .insertInto('rtx_logins')
        .values([
          { id: 'old', member_id: 'm1', ip_address: null, created_at: before('P30D', -DAY) },
          { id: 'new', member_id: 'm1', ip_address: null, created_at: before('P30D', DAY) },
        ])
        .execute();
      await db()
        .insertInto('rtx_posts')
        .values({
          id: 'p1',
          author_id: 'm1',
          body: 'x',
          ip_address: '192.0.2.1',
          user_agent: 'Safari',
          created_at: before('P90D', -DAY),
        })
        .execute();
      await db()
        .insertInto('rtx_accounts')
        .values({
          id: 'sleeper',
          display_name: 'S',
          status: 'active',
          last_active_at: before('P3Y', -DAY),
        })
        .execute();
      const snapshot = async () => ({
        logins: await db().selectFrom('rtx_logins').selectAll().orderBy('id').execute(),
        posts: await db().selectFrom('rtx_posts').selectAll().orderBy('id').execute(),
        accounts: await db().selectFrom('rtx_accounts').selectAll().orderBy('id').execute(),
        mails: await db().selectFrom('rtx_warning_mails').selectAll().execute(),
        warnings: await db().selectFrom('privacy_retention_warnings').selectAll().execute(),
      });
      const initial = await snapshot();

      const dry = await run({ dryRun: true });

      expect(await snapshot()).toEqual(initial);
      expect(dry.dryRun).toBe(true);
      expect(ruleOf(dry, 'rtx_logins', 0)).toMatchObject({ matched: 1, applied: 1 });
      expect(ruleOf(dry, 'rtx_posts', 1)).toMatchObject({ matched: 1, applied: 1 });
      expect(ruleOf(dry, 'rtx_accounts', 0)).toMatchObject({ matched: 1, warned: 1, applied: 0 });

      const real = await run();
      for (const [table, index] of [
        ['rtx_logins', 0],
        ['rtx_posts', 1],
        ['rtx_accounts', 0],
      ] as const) {
        const { matched, applied, warned } = ruleOf(real, table, index);
        expect({ matched, applied, warned }).toEqual({
          matched: ruleOf(dry, table, index).matched,
          applied: ruleOf(dry, table, index).applied,
          warned: ruleOf(dry, table, index).warned,
        });
      }
      expect(await ids('rtx_logins')).toEqual(['new']);
    });

    it('works in batches over more rows than a batch, on a two-column key, stepping over held rows', async () => {
      const rows = [];
      for (let post = 1; post <= 25; post += 1) {
        rows.push({
          member_id: post % 5 === 0 ? 'held' : 'reader',
          post_id: post,
          read_at: before('P1Y', -post * DAY),
        });
      }
      for (let post = 26; post <= 28; post += 1) {
        rows.push({ member_id: 'reader', post_id: post, read_at: before('P1Y', post * MS) });
      }
      await db().insertInto('rtx_reads').values(rows).execute();
      await placeHold(db(), {
        subjectId: 'held',
        kind: 'legal',
        reason: 'Litigation',
        placedBy: 'dpo-1',
      });
      const progress: number[] = [];

      const report = await run({
        batchSize: 4,
        onProgress: (step) => {
          if (step.table === 'rtx_reads') progress.push(step.processed);
        },
      });

      const left = await db()
        .selectFrom('rtx_reads')
        .select(['member_id', 'post_id'])
        .orderBy('post_id')
        .execute();
      expect(left.map((row) => `${String(row.member_id)}:${String(row.post_id)}`)).toEqual([
        'held:5',
        'held:10',
        'held:15',
        'held:20',
        'held:25',
        'reader:26',
        'reader:27',
        'reader:28',
      ]);
      expect(ruleOf(report, 'rtx_reads', 0)).toMatchObject({
        matched: 25,
        applied: 20,
        skippedForHold: 5,
      });
      expect(progress).toEqual([4, 8, 12, 16, 20, 24, 25]);
    });

    it('erase-subject: erases the subjects of expired and edge rows through the erasure engine and audits each', async () => {
      await db()
        .insertInto('rtx_entries')
        .values([
          { id: 'e-fresh', entrant_id: 'fresh-entrant', created_at: before('P1Y', MS) },
          { id: 'e-edge', entrant_id: 'edge-entrant', created_at: before('P1Y') },
          { id: 'e-expired', entrant_id: 'old-entrant', created_at: before('P1Y', -DAY) },
        ])
        .execute();
      // The erasure reaches the erased entrants' rows in other tables too.
      await db()
        .insertInto('rtx_logins')
        .values([
          { id: 'l-old', member_id: 'old-entrant', ip_address: null, created_at: toDbTime(AS_OF) },
          {
            id: 'l-fresh',
            member_id: 'fresh-entrant',
            ip_address: null,
            created_at: toDbTime(AS_OF),
          },
        ])
        .execute();

      const report = await run();

      expect(await ids('rtx_entries')).toEqual(['e-fresh']);
      expect(await ids('rtx_logins')).toEqual(['l-fresh']);
      expect(ruleOf(report, 'rtx_entries', 0)).toMatchObject({
        action: 'erase-subject',
        matched: 2,
        applied: 2,
      });
      // Each erased subject is audited by its erasure run, without naming the person in a
      // detail row that would outlive their erasure.
      const audited = await db()
        .selectFrom('audit_details')
        .innerJoin('audit_chain', 'audit_chain.seq', 'audit_details.seq')
        .select(['audit_details.subject_id', 'audit_details.detail'])
        .where('audit_chain.action', '=', 'retention.subject-erased')
        .execute();
      const runIds = audited.map(
        (row) => (JSON.parse(String(row.detail)) as { erasureRunId: string }).erasureRunId,
      );
      expect(audited.every((row) => row.subject_id === null)).toBe(true);
      const erasedByRuns = await db()
        .selectFrom('privacy_erasure_runs')
        .select('subject_id')
        .where('id', 'in', runIds.length > 0 ? runIds : [''])
        .orderBy('subject_id')
        .execute();
      expect(erasedByRuns.map((row) => row.subject_id)).toEqual(['edge-entrant', 'old-entrant']);
      const runs = await db()
        .selectFrom('audit_details')
        .innerJoin('audit_chain', 'audit_chain.seq', 'audit_details.seq')
        .select('audit_details.detail')
        .where('audit_chain.action', '=', 'retention.run')
        .orderBy('audit_chain.seq', 'desc')
        .limit(1)
        .execute();
      const detail = JSON.parse(String(runs[0]?.detail)) as {
        rules: { table: string; applied: number }[];
      };
      expect(detail.rules).toContainEqual(
        expect.objectContaining({ table: 'rtx_entries', applied: 2 }),
      );
    });

    it('warnBefore: warns once, never erases earlier than the waiting period after the warning, then erases', async () => {
      // Due for its warning today (erasure falls due in exactly 30 days).
      const onTime = before('P3Y', 30 * DAY);
      // Already past three years, never warned: warned now, erased no sooner than 30 days on.
      const late = before('P3Y', -10 * DAY);
      await db()
        .insertInto('rtx_accounts')
        .values([
          { id: 'on-time', display_name: 'A', status: 'active', last_active_at: onTime },
          { id: 'late', display_name: 'B', status: 'active', last_active_at: late },
          {
            id: 'active',
            display_name: 'C',
            status: 'active',
            last_active_at: before('P3Y', 31 * DAY),
          },
          {
            id: 'closed',
            display_name: 'D',
            status: 'closed',
            last_active_at: before('P3Y', -DAY),
          },
        ])
        .execute();

      const first = await run();
      expect(ruleOf(first, 'rtx_accounts', 0)).toMatchObject({ matched: 2, warned: 2, applied: 0 });
      const mails = await db()
        .selectFrom('rtx_warning_mails')
        .select(['subject_id', 'erases_at'])
        .orderBy('subject_id')
        .execute();
      expect(mails).toEqual([
        { subject_id: 'late', erases_at: toDbTime(addDuration(AS_OF, 'P30D')) },
        { subject_id: 'on-time', erases_at: toDbTime(addDuration(new Date(onTime), 'P3Y')) },
      ]);

      // The same day again: no second mail, nobody erased.
      const again = await run();
      expect(ruleOf(again, 'rtx_accounts', 0)).toMatchObject({ warned: 0, waiting: 2, applied: 0 });
      expect(await db().selectFrom('rtx_warning_mails').select('id').execute()).toHaveLength(2);

      // One millisecond before the 30 days are up: still nobody.
      const almost = new Date(addDuration(AS_OF, 'P30D').getTime() - 1);
      await run({ asOf: almost });
      expect(await ids('rtx_accounts')).toEqual(['active', 'closed', 'late', 'on-time']);

      // Thirty days after the warning: both erased; the one never warned and the closed one stay.
      const due = await run({ asOf: addDuration(AS_OF, 'P30D') });
      expect(await ids('rtx_accounts')).toEqual(['active', 'closed']);
      expect(ruleOf(due, 'rtx_accounts', 0)).toMatchObject({ applied: 2 });
      // The erased members' warnings went with them; the next sleeper has just been warned.
      const warned = await db()
        .selectFrom('privacy_retention_warnings')
        .select('subject_id')
        .execute();
      expect(warned.map((row) => row.subject_id)).toEqual(['active']);
    });

    it('warnBefore: a member who comes back after the warning is not erased, and is warned afresh later', async () => {
      await db()
        .insertInto('rtx_accounts')
        .values({
          id: 'returner',
          display_name: 'R',
          status: 'active',
          last_active_at: before('P3Y', 10 * DAY),
        })
        .execute();
      await run();
      expect(await db().selectFrom('rtx_warning_mails').select('id').execute()).toHaveLength(1);

      // Signs in on day 15 after the warning.
      const comeback = toDbTime(addDuration(AS_OF, 'P15D'));
      await db().updateTable('rtx_accounts').set({ last_active_at: comeback }).execute();
      await run({ asOf: addDuration(AS_OF, 'P31D') });
      expect(await ids('rtx_accounts')).toEqual(['returner']);

      // Three years (less 30 days) after coming back: a new warning, and no erasure yet.
      const nextWarning = addDuration(addDuration(new Date(comeback), 'P3Y'), 'P30D', -1);
      const report = await run({ asOf: nextWarning });
      expect(ruleOf(report, 'rtx_accounts', 0)).toMatchObject({ warned: 1, applied: 0 });
      expect(await db().selectFrom('rtx_warning_mails').select('id').execute()).toHaveLength(2);
      expect(await ids('rtx_accounts')).toEqual(['returner']);
    });

    it('P34 a hold keeps an inactive account from being warned or erased', async () => {
      await db()
        .insertInto('rtx_accounts')
        .values({
          id: 'kept',
          display_name: 'K',
          status: 'active',
          last_active_at: before('P3Y', -DAY),
        })
        .execute();
      await placeHold(db(), {
        subjectId: 'kept',
        kind: 'legal',
        reason: 'Court order',
        placedBy: 'dpo-1',
      });

      await run();
      const later = await run({ asOf: addDuration(AS_OF, 'P60D') });

      expect(await ids('rtx_accounts')).toEqual(['kept']);
      expect(ruleOf(later, 'rtx_accounts', 0)).toMatchObject({
        skippedForHold: 1,
        warned: 0,
        applied: 0,
      });
      expect(await db().selectFrom('rtx_warning_mails').select('id').execute()).toEqual([]);
    });

    it('a failing rule is reported, and the other rules still run', async () => {
      const broken = createPrivacyRegistry([
        {
          owner: 'broken',
          tables: {
            rtx_logins: {
              subjects: [{ column: 'member_id', role: 'member' }],
              purpose: 'security',
              columns: { id: 'system.id', member_id: 'user.id', created_at: 'system.time' },
              erasure: 'delete',
              retention: [
                { after: 'P1D', from: 'no_such_column', action: 'delete' },
                { after: 'P30D', from: 'created_at', action: 'delete' },
              ],
            },
          },
        },
      ]);
      await db()
        .insertInto('rtx_logins')
        .values({ id: 'old', member_id: 'm1', ip_address: null, created_at: before('P30D', -DAY) })
        .execute();

      const report = await runRetention(db(), broken, { asOf: AS_OF, dryRun: false });

      expect(report.failed).toBe(true);
      expect(ruleOf(report, 'rtx_logins', 0).error).toMatch(/no_such_column/);
      expect(ruleOf(report, 'rtx_logins', 1)).toMatchObject({ applied: 1 });
      expect(await ids('rtx_logins')).toEqual([]);
    });

    it('P33 the retention job runs every rule as of now, on its daily schedule', async () => {
      const privacyJobs = createPrivacyJobs(createPrivacyRegistry(collectOwners()));
      expect(privacyJobs.schedules).toContainEqual({
        name: 'privacy.retention.daily',
        cron: '30 3 * * *',
        job: RETENTION_JOB,
      });
      expect(privacyJobs.jobs?.[RETENTION_JOB]).toBeTypeOf('function');
      // 03:30 London time, in summer (BST) and in winter (GMT).
      const cron = new Cron('30 3 * * *', { timezone: 'Europe/London' });
      expect(cron.nextRun(new Date('2027-07-01T12:00:00Z'))?.toISOString()).toBe(
        '2027-07-02T02:30:00.000Z',
      );
      expect(cron.nextRun(new Date('2027-01-01T12:00:00Z'))?.toISOString()).toBe(
        '2027-01-02T03:30:00.000Z',
      );

      const now = Date.now();
      await db()
        .insertInto('rtx_logins')
        .values([
          {
            id: 'stale',
            member_id: 'm1',
            ip_address: null,
            created_at: toDbTime(new Date(now - 31 * DAY)),
          },
          {
            id: 'recent',
            member_id: 'm1',
            ip_address: null,
            created_at: toDbTime(new Date(now - 29 * DAY)),
          },
        ])
        .execute();
      const job = createRetentionJob(retentionFixtureRegistry());
      const context: JobContext = {
        db: db(),
        config: testConfig(),
        log: pino({ level: 'silent' }),
        attempt: 1,
        maxAttempts: 3,
        jobId: 'job-1',
        runAt: new Date(),
      };
      await job(context, {});
      expect(await ids('rtx_logins')).toEqual(['recent']);

      // The handler bound to the application's own owners runs too.
      const registered = createPrivacyJobs(createPrivacyRegistry(collectOwners())).jobs?.[
        RETENTION_JOB
      ];
      if (!registered) throw new Error('retention job not registered');
      await expect(registered(context, {})).resolves.toBeUndefined();
    });

    it('refuses a batch size out of range', async () => {
      const runs = async () =>
        (
          await db()
            .selectFrom('audit_chain')
            .select('seq')
            .where('action', '=', 'retention.run')
            .execute()
        ).length;
      const runsBefore = await runs();
      await expect(run({ batchSize: 0 })).rejects.toThrow(/batchSize/);
      await expect(run({ batchSize: 1.5 })).rejects.toThrow(/batchSize/);
      await expect(run({ asOf: new Date('not a date') })).rejects.toThrow(/asOf/);
      // Nothing ran: a refused run leaves no audit entry.
      expect(await runs()).toBe(runsBefore);
    });
  },
  { extraMigrationFolders: [RETENTION_FIXTURE_MIGRATIONS] },
);
