import { expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/helpers/dialects.js';
import { testConfig } from '../../../test/helpers/config.js';
import { jobsNamed, readJob, registryOf, silentLog } from '../../../test/helpers/jobs.js';
import { DEFAULT_MAX_ATTEMPTS, JobPayloadError, enqueueJob } from './jobs.queue.js';
import { runDueJobsOnce } from './jobs.worker.js';

const config = testConfig();

describeEachDialect('job queue: enqueue', (current) => {
  it('adds a queued job with its payload, due now, with the default attempts', async () => {
    const before = new Date().toISOString();
    const result = await enqueueJob(current().db, 'test.plain', { memberId: 'M1', count: 2 });
    expect(result.inserted).toBe(true);
    const job = await readJob(current().db, result.jobId ?? '');
    expect(job).toMatchObject({
      name: 'test.plain',
      status: 'queued',
      attempts: 0,
      max_attempts: DEFAULT_MAX_ATTEMPTS,
      lease_owner: null,
      last_error: null,
      unique_key: null,
      subject_id: null,
    });
    expect(JSON.parse(job.payload)).toEqual({ memberId: 'M1', count: 2 });
    expect(job.run_at >= before && job.run_at <= new Date().toISOString()).toBe(true);
  });

  it('makes a second enqueue with the same unique key a no-op, even after the first ran', async () => {
    const db = current().db;
    const first = await enqueueJob(db, 'test.unique', { n: 1 }, { uniqueKey: 'edition:7' });
    const second = await enqueueJob(db, 'test.unique', { n: 2 }, { uniqueKey: 'edition:7' });
    expect(first.inserted).toBe(true);
    expect(second).toEqual({ inserted: false, jobId: first.jobId });

    const ran: unknown[] = [];
    await runDueJobsOnce({
      db,
      config,
      log: silentLog,
      registry: registryOf({ 'test.unique': (_context, payload) => void ran.push(payload) }),
    });
    expect(ran).toEqual([{ n: 1 }]);
    const third = await enqueueJob(db, 'test.unique', { n: 3 }, { uniqueKey: 'edition:7' });
    expect(third.inserted).toBe(false);
    expect(await jobsNamed(db, 'test.unique')).toHaveLength(1);
  });

  it('lets exactly one of concurrent enqueues with one unique key in (two pools)', async () => {
    const other = current().openAnother();
    // On PostgreSQL each enqueue sits in its own open transaction, as in a service. SQLite
    // connections of one process share its thread: a transaction held open across an await
    // would make the other connection's busy wait block that very thread, so there the
    // enqueues race in autocommit, as separate processes' short transactions do.
    const enqueue = (db: typeof other.db) =>
      current().dialect === 'postgres'
        ? db
            .transaction()
            .execute((transaction) =>
              enqueueJob(transaction, 'test.race', {}, { uniqueKey: 'race:1' }),
            )
        : enqueueJob(db, 'test.race', {}, { uniqueKey: 'race:1' });
    const results = await Promise.all(
      [current().db, other.db, current().db, other.db].map(enqueue),
    );
    expect(results.filter((result) => result.inserted)).toHaveLength(1);
    expect(new Set(results.map((result) => result.jobId)).size).toBe(1);
    expect(await jobsNamed(current().db, 'test.race')).toHaveLength(1);
  });

  it('does not run a job before its run-at time', async () => {
    const db = current().db;
    const runAt = new Date(Date.now() + 60_000);
    const { jobId } = await enqueueJob(db, 'test.later', {}, { runAt, maxAttempts: 2 });
    const ran: string[] = [];
    const registry = registryOf({ 'test.later': (context) => void ran.push(context.jobId) });
    const early = await runDueJobsOnce({ db, config, registry, log: silentLog });
    expect(early.done).toBe(0);
    expect(ran).toEqual([]);
    const onTime = await runDueJobsOnce({
      db,
      config,
      registry,
      log: silentLog,
      now: () => new Date(runAt.getTime() + 1),
    });
    expect(onTime.done).toBe(1);
    expect(ran).toEqual([jobId]);
    expect((await readJob(db, jobId ?? '')).max_attempts).toBe(2);
  });

  it("joins the caller's transaction: a rollback leaves no job", async () => {
    const db = current().db;
    await expect(
      db.transaction().execute(async (transaction) => {
        await enqueueJob(transaction, 'test.rolled-back', { memberId: 'M2' });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await jobsNamed(db, 'test.rolled-back')).toEqual([]);
  });

  it('refuses personal data in a payload with a clear error and stores nothing', async () => {
    const db = current().db;
    await expect(enqueueJob(db, 'test.refused', { email: 'jane@example.com' })).rejects.toThrow(
      JobPayloadError,
    );
    await expect(enqueueJob(db, 'test.refused', { note: 'Hello Jane' })).rejects.toThrow(
      /free text/,
    );
    await expect(enqueueJob(db, 'test.refused', {}, { maxAttempts: 0 })).rejects.toThrow(
      /maxAttempts/,
    );
    expect(await jobsNamed(db, 'test.refused')).toEqual([]);
  });
});
