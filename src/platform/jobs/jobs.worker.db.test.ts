import { expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/helpers/dialects.js';
import { testConfig } from '../../../test/helpers/config.js';
import { readJob, registryOf, silentLog, waitUntil } from '../../../test/helpers/jobs.js';
import { claimDueJobs, completeJob, enqueueJob } from './jobs.queue.js';
import { PermanentJobError, type JobContext } from './jobs.types.js';
import { runDueJobsOnce, startWorker } from './jobs.worker.js';

const config = testConfig();
const backoff = { baseMs: 1000, maxMs: 4000 };

describeEachDialect('job worker', (current) => {
  it('runs a due job with its payload and context, then marks it done', async () => {
    const db = current().db;
    const { jobId } = await enqueueJob(db, 'test.ok', { memberId: 'M1' });
    const seen: { context: JobContext; payload: unknown }[] = [];
    const summary = await runDueJobsOnce({
      db,
      config,
      log: silentLog,
      registry: registryOf({
        'test.ok': (context, payload) => void seen.push({ context, payload }),
      }),
    });
    expect(summary).toEqual({ done: 1, retried: 0, dead: 0, lost: 0 });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.payload).toEqual({ memberId: 'M1' });
    expect(seen[0]?.context).toMatchObject({ jobId, attempt: 1, maxAttempts: 10, config });
    const job = await readJob(db, jobId ?? '');
    expect(job).toMatchObject({ status: 'done', attempts: 1, lease_owner: null, last_error: null });
    expect(job.finished_at).not.toBeNull();
  });

  it('retries a failing job with growing backoff, then keeps it dead with its error', async () => {
    const db = current().db;
    const { jobId } = await enqueueJob(db, 'test.flaky', {}, { maxAttempts: 3 });
    const registry = registryOf({
      'test.flaky': (context) => {
        throw new Error(`relay said no to jane@example.com on attempt ${context.attempt}`);
      },
    });
    let clock = new Date();
    const run = () =>
      runDueJobsOnce({ db, config, registry, log: silentLog, backoff, now: () => clock });

    expect(await run()).toMatchObject({ retried: 1 });
    let job = await readJob(db, jobId ?? '');
    let delay = new Date(job.run_at).getTime() - clock.getTime();
    expect(job).toMatchObject({ status: 'queued', attempts: 1, finished_at: null });
    expect(delay).toBeGreaterThanOrEqual(500);
    expect(delay).toBeLessThanOrEqual(1000);
    // The address in the error never reaches the table.
    expect(job.last_error).toBe('relay said no to [email] on attempt 1');

    expect(await run()).toEqual({ done: 0, retried: 0, dead: 0, lost: 0 });

    clock = new Date(job.run_at);
    expect(await run()).toMatchObject({ retried: 1 });
    job = await readJob(db, jobId ?? '');
    delay = new Date(job.run_at).getTime() - clock.getTime();
    expect(job.attempts).toBe(2);
    expect(delay).toBeGreaterThanOrEqual(1000);
    expect(delay).toBeLessThanOrEqual(2000);

    clock = new Date(job.run_at);
    expect(await run()).toMatchObject({ dead: 1 });
    job = await readJob(db, jobId ?? '');
    expect(job).toMatchObject({
      status: 'dead',
      attempts: 3,
      last_error: 'relay said no to [email] on attempt 3',
      lease_owner: null,
    });
    expect(job.finished_at).toBe(clock.toISOString());

    clock = new Date(clock.getTime() + 86_400_000);
    expect(await run()).toEqual({ done: 0, retried: 0, dead: 0, lost: 0 });
  });

  it('marks a job dead at once on a permanent failure', async () => {
    const db = current().db;
    const { jobId } = await enqueueJob(db, 'test.hopeless', {});
    const summary = await runDueJobsOnce({
      db,
      config,
      log: silentLog,
      registry: registryOf({
        'test.hopeless': () => {
          throw new PermanentJobError('the member no longer exists');
        },
      }),
    });
    expect(summary.dead).toBe(1);
    expect(await readJob(db, jobId ?? '')).toMatchObject({
      status: 'dead',
      attempts: 1,
      last_error: 'the member no longer exists',
    });
  });

  it('reclaims a job whose worker crashed once its lease expires', async () => {
    const db = current().db;
    const { jobId } = await enqueueJob(db, 'test.orphan', {}, { maxAttempts: 3 });
    const start = new Date();
    // Worker A claims the job and "crashes": it never reports back.
    const claimed = await claimDueJobs(db, {
      workerId: 'crashed-worker',
      names: ['test.orphan'],
      limit: 5,
      now: start,
      leaseMs: 1000,
    });
    expect(claimed.map((job) => job.id)).toEqual([jobId]);

    const ran: number[] = [];
    const registry = registryOf({
      'test.orphan': (context) => void ran.push(context.attempt),
    });
    const other = current().openAnother().db;
    const runB = (at: number) =>
      runDueJobsOnce({
        db: other,
        config,
        registry,
        log: silentLog,
        workerId: 'worker-b',
        now: () => new Date(start.getTime() + at),
      });
    expect((await runB(500)).done).toBe(0);
    expect(ran).toEqual([]);
    expect((await runB(1500)).done).toBe(1);
    expect(ran).toEqual([2]);
    expect(await readJob(db, jobId ?? '')).toMatchObject({ status: 'done', attempts: 2 });
    // A's late report cannot overwrite B's result.
    expect(await completeJob(db, jobId ?? '', 'crashed-worker', new Date())).toBe(false);
  });

  it('buries a crashed job that has no attempt left', async () => {
    const db = current().db;
    const { jobId } = await enqueueJob(db, 'test.last-orphan', {}, { maxAttempts: 1 });
    const start = new Date();
    await claimDueJobs(db, {
      workerId: 'crashed-worker',
      names: ['test.last-orphan'],
      limit: 1,
      now: start,
      leaseMs: 1000,
    });
    const ran: string[] = [];
    await runDueJobsOnce({
      db,
      config,
      log: silentLog,
      registry: registryOf({ 'test.last-orphan': (context) => void ran.push(context.jobId) }),
      now: () => new Date(start.getTime() + 2000),
    });
    expect(ran).toEqual([]);
    const job = await readJob(db, jobId ?? '');
    expect(job.status).toBe('dead');
    expect(job.last_error).toMatch(/lease expired/);
  });

  it('claims only jobs it has handlers for', async () => {
    const db = current().db;
    const { jobId } = await enqueueJob(db, 'test.from-a-newer-release', {});
    await runDueJobsOnce({
      db,
      config,
      log: silentLog,
      registry: registryOf({ 'test.something-else': async () => {} }),
    });
    expect(await readJob(db, jobId ?? '')).toMatchObject({ status: 'queued', attempts: 0 });
  });

  it('stop() stops claiming and waits for the job that is running', async () => {
    const db = current().db;
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const started: string[] = [];
    const worker = startWorker({
      db,
      config,
      log: silentLog,
      pollIntervalMs: 20,
      registry: registryOf({
        'test.slow': async (context) => {
          started.push(context.jobId);
          await gate;
        },
      }),
    });
    const { jobId } = await enqueueJob(db, 'test.slow', {});
    await waitUntil(() => started.length === 1, 10_000, 'the slow job to start');

    let isStopped = false;
    const stopping = worker.stop().then(() => (isStopped = true));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(isStopped).toBe(false);
    expect((await readJob(db, jobId ?? '')).status).toBe('running');

    const { jobId: lateJobId } = await enqueueJob(db, 'test.slow', {});
    release();
    await stopping;
    expect(await readJob(db, jobId ?? '')).toMatchObject({ status: 'done' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await readJob(db, lateJobId ?? '')).toMatchObject({ status: 'queued', attempts: 0 });
    expect(started).toEqual([jobId]);
  });

  it('renews the lease of a long job so no other worker takes it', async () => {
    const db = current().db;
    const runs: string[] = [];
    const registry = registryOf({
      'test.long': async (context) => {
        runs.push(context.jobId);
        await new Promise((resolve) => setTimeout(resolve, 900));
      },
    });
    const options = { config, registry, log: silentLog, pollIntervalMs: 20, leaseMs: 300 };
    const first = startWorker({ ...options, db, workerId: 'first' });
    const { jobId } = await enqueueJob(db, 'test.long', {});
    await waitUntil(() => runs.length === 1, 10_000, 'the long job to start');
    const second = startWorker({ ...options, db: current().openAnother().db, workerId: 'second' });
    await waitUntil(
      async () => (await readJob(db, jobId ?? '')).status === 'done',
      10_000,
      'the long job to finish',
    );
    await Promise.all([first.stop(), second.stop()]);
    expect(runs).toEqual([jobId]);
    expect(await readJob(db, jobId ?? '')).toMatchObject({ attempts: 1 });
  });

  it('drain() waits for follow-up jobs enqueued by jobs', async () => {
    const db = current().db;
    const order: string[] = [];
    const worker = startWorker({
      db,
      config,
      log: silentLog,
      pollIntervalMs: 5_000,
      registry: registryOf({
        'test.parent': async (context) => {
          order.push('parent');
          await enqueueJob(context.db, 'test.child', {});
        },
        'test.child': () => void order.push('child'),
      }),
    });
    await enqueueJob(db, 'test.parent', {});
    await worker.drain();
    expect(order).toEqual(['parent', 'child']);
    await worker.stop();
  });

  it('drain() asked during a claim that missed a job waits for that job', async () => {
    const db = current().db;
    await enqueueJob(db, 'test.missed', {});
    const ran: string[] = [];
    // The first claim looks at the queue as of long ago, so it misses the job due now.
    let clockReads = 0;
    const worker = startWorker({
      db,
      config,
      log: silentLog,
      pollIntervalMs: 5_000,
      now: () => (clockReads++ === 0 ? new Date(0) : new Date()),
      registry: registryOf({ 'test.missed': (context) => void ran.push(context.jobId) }),
    });
    await worker.drain();
    expect(ran).toHaveLength(1);
    await worker.stop();
  });

  it('two workers on separate pools claim concurrently and never run one job twice', async () => {
    const db = current().db;
    const total = 120;
    const runsByJob = new Map<string, number>();
    const jobsByWorker = new Map<string, number>();
    const registryFor = (workerId: string) =>
      registryOf({
        'test.many': async (context) => {
          runsByJob.set(context.jobId, (runsByJob.get(context.jobId) ?? 0) + 1);
          jobsByWorker.set(workerId, (jobsByWorker.get(workerId) ?? 0) + 1);
          await new Promise((resolve) => setTimeout(resolve, 2));
        },
      });
    for (let index = 0; index < total; index += 1) {
      await enqueueJob(db, 'test.many', { index });
    }
    const options = { config, log: silentLog, concurrency: 4, pollIntervalMs: 10 };
    const workers = [
      startWorker({ ...options, db, workerId: 'pool-a', registry: registryFor('pool-a') }),
      startWorker({
        ...options,
        db: current().openAnother().db,
        workerId: 'pool-b',
        registry: registryFor('pool-b'),
      }),
    ];
    await waitUntil(() => runsByJob.size === total, 20_000, 'every job to run');
    await Promise.all(workers.map((worker) => worker.stop()));
    expect([...runsByJob.values()].every((count) => count === 1)).toBe(true);
    // Both really claimed: the test is about concurrent claims, not one worker doing it all.
    expect(jobsByWorker.get('pool-a')).toBeGreaterThan(0);
    expect(jobsByWorker.get('pool-b')).toBeGreaterThan(0);
    const done = await db
      .selectFrom('jobs')
      .select(['id', 'attempts'])
      .where('name', '=', 'test.many')
      .where('status', '=', 'done')
      .execute();
    expect(done).toHaveLength(total);
    expect(done.every((job) => Number(job.attempts) === 1)).toBe(true);
  });
});
