import { expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/helpers/dialects.js';
import { testConfig } from '../../../test/helpers/config.js';
import { jobsNamed, registryOf, silentLog } from '../../../test/helpers/jobs.js';
import { compileSchedule, scheduledRunKey, startScheduler } from './jobs.scheduler.js';
import type { ScheduleDefinition } from './jobs.types.js';
import { startWorker } from './jobs.worker.js';

describeEachDialect('job schedules', (current) => {
  it('two processes enqueue and run each scheduled period exactly once', async () => {
    const config = testConfig();
    const everySecond: ScheduleDefinition = {
      name: 'every-second',
      cron: '* * * * * *',
      job: 'test.tick',
      payload: { source: 'schedule' },
    };
    const runsByTick = new Map<string, number>();
    const registry = registryOf(
      {
        'test.tick': (context) => {
          const tick = context.runAt.toISOString();
          runsByTick.set(tick, (runsByTick.get(tick) ?? 0) + 1);
        },
      },
      [everySecond],
    );
    // Two "processes": each with its own connection pool, scheduler and worker.
    const processes = [current().db, current().openAnother().db].map((db, index) => ({
      scheduler: startScheduler({ db, config, registry, log: silentLog }),
      worker: startWorker({
        db,
        config,
        registry,
        log: silentLog,
        workerId: `process-${index}`,
        pollIntervalMs: 25,
      }),
    }));
    await new Promise((resolve) => setTimeout(resolve, 3300));
    await Promise.all(processes.map(({ scheduler }) => scheduler.stop()));
    await Promise.all(processes.map(({ worker }) => worker.drain()));
    await Promise.all(processes.map(({ worker }) => worker.stop()));

    const jobs = await jobsNamed(current().db, 'test.tick');
    expect(jobs.length).toBeGreaterThanOrEqual(3);
    const keys = jobs.map((job) => job.unique_key);
    expect(new Set(keys).size).toBe(jobs.length);
    for (const job of jobs) {
      expect(job.status).toBe('done');
      expect(job.attempts).toBe(1);
      expect(job.unique_key).toBe(scheduledRunKey('every-second', new Date(job.run_at)));
      expect(JSON.parse(job.payload)).toEqual({ source: 'schedule' });
      expect(runsByTick.get(job.run_at)).toBe(1);
    }
    // Consecutive ticks: no period was skipped either.
    const ticks = jobs.map((job) => new Date(job.run_at).getTime()).sort((a, b) => a - b);
    for (let index = 1; index < ticks.length; index += 1) {
      expect((ticks[index] ?? 0) - (ticks[index - 1] ?? 0)).toBe(1000);
    }
    expect(runsByTick.size).toBe(jobs.length);
  });

  it('reads patterns in the configured time zone', async () => {
    const daily: ScheduleDefinition = { name: 'nightly', cron: '30 3 * * *', job: 'test.nightly' };
    const registry = registryOf({ 'test.nightly': async () => {} }, [daily]);
    const london = startScheduler({
      db: current().db,
      config: testConfig({ TIMEZONE: 'Europe/London' }),
      registry,
      log: silentLog,
      now: () => new Date('2026-07-01T00:00:00Z'),
    });
    const utc = startScheduler({
      db: current().db,
      config: testConfig({ TIMEZONE: 'UTC' }),
      registry,
      log: silentLog,
      now: () => new Date('2026-12-01T00:00:00Z'),
    });
    // 03:30 British Summer Time is 02:30 UTC.
    expect(london.nextTicks().get('nightly')?.toISOString()).toBe('2026-07-01T02:30:00.000Z');
    expect(utc.nextTicks().get('nightly')?.toISOString()).toBe('2026-12-01T03:30:00.000Z');
    await Promise.all([london.stop(), utc.stop()]);
  });

  it('refuses an invalid pattern before starting anything', () => {
    const broken: ScheduleDefinition = { name: 'broken', cron: 'every day', job: 'test.broken' };
    expect(() => compileSchedule(broken, 'UTC')).toThrow(
      /Schedule broken has an invalid cron pattern "every day"/,
    );
    expect(() =>
      startScheduler({
        db: current().db,
        config: testConfig(),
        registry: registryOf({ 'test.broken': async () => {} }, [broken]),
        log: silentLog,
      }),
    ).toThrow(/invalid cron pattern/);
  });
});
