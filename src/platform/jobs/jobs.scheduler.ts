/**
 * Schedules: at each tick of a croner pattern (in the configured TIMEZONE), enqueue the job with
 * the unique key `schedule:<name>:<tick>`. Every process that runs schedules does this; the key
 * lets exactly one insert win, so a period runs once however many processes there are, and the
 * queue (not the timer) decides which worker runs it.
 */
import { Cron } from 'croner';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../../config/config.js';
import type { Database } from '../db/database.js';
import { enqueueJob, redactEmails } from './jobs.queue.js';
import type { JobRegistry, ScheduleDefinition } from './jobs.types.js';

/** Node timers overflow past ~24.8 days; a longer wait is taken in steps of at most a day. */
const MAX_TIMER_MS = 86_400_000;
/** How soon a tick whose enqueue failed (database unreachable) is tried again. */
const RETRY_ENQUEUE_MS = 5_000;

export interface SchedulerOptions {
  db: Database;
  config: Config;
  registry: JobRegistry;
  log: FastifyBaseLogger;
  now?: () => Date;
}

export interface RunningScheduler {
  /** Clears the timers and waits for an enqueue in progress. */
  stop(): Promise<void>;
  /** The next tick of each schedule, by name (for the worker's start-up line). */
  nextTicks(): ReadonlyMap<string, Date | null>;
}

/** The unique key of one scheduled run. */
export function scheduledRunKey(scheduleName: string, tick: Date): string {
  return `schedule:${scheduleName}:${tick.toISOString()}`;
}

/** Parses a schedule's pattern in the configured time zone; throws a clear error when invalid. */
export function compileSchedule(schedule: ScheduleDefinition, timezone: string): Cron {
  try {
    return new Cron(schedule.cron, { timezone });
  } catch (error) {
    throw new Error(
      `Schedule ${schedule.name} has an invalid cron pattern "${schedule.cron}": ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/** Enqueues one scheduled run; false when another process already did. */
export async function enqueueScheduledRun(
  db: Database,
  schedule: ScheduleDefinition,
  tick: Date,
): Promise<boolean> {
  const result = await enqueueJob(db, schedule.job, schedule.payload ?? {}, {
    runAt: tick,
    uniqueKey: scheduledRunKey(schedule.name, tick),
    ...(schedule.maxAttempts !== undefined ? { maxAttempts: schedule.maxAttempts } : {}),
  });
  return result.inserted;
}

export function startScheduler(options: SchedulerOptions): RunningScheduler {
  const now = options.now ?? (() => new Date());
  const { db, log } = options;
  const timers = new Set<NodeJS.Timeout>();
  const pending = new Set<Promise<void>>();
  const next = new Map<string, Date | null>();
  let isStopped = false;

  // Compile every pattern first, so a bad one stops the boot before any timer starts.
  const compiled = options.registry.schedules.map((schedule) => ({
    schedule,
    cron: compileSchedule(schedule, options.config.timezone),
  }));

  const wait = (ms: number, then: () => void) => {
    if (isStopped) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!isStopped) then();
    }, ms);
    timers.add(timer);
  };

  const arm = (schedule: ScheduleDefinition, cron: Cron, tick: Date | null) => {
    if (isStopped) return;
    next.set(schedule.name, tick);
    if (tick === null) return;
    const delay = tick.getTime() - now().getTime();
    if (delay > 0) {
      wait(Math.min(delay, MAX_TIMER_MS), () => arm(schedule, cron, tick));
      return;
    }
    const work = enqueueScheduledRun(db, schedule, tick).then(
      (inserted) => {
        log.debug(
          { schedule: schedule.name, tick: tick.toISOString(), inserted },
          inserted ? 'scheduled run enqueued' : 'scheduled run already enqueued elsewhere',
        );
        // After a pause (a suspended machine) missed ticks are skipped, not run in a burst.
        const from = new Date(Math.max(tick.getTime(), now().getTime()));
        arm(schedule, cron, cron.nextRun(from));
      },
      (error: unknown) => {
        log.error(
          {
            schedule: schedule.name,
            tick: tick.toISOString(),
            error: redactEmails(error instanceof Error ? error.message : String(error)),
          },
          'could not enqueue a scheduled run; trying again',
        );
        wait(RETRY_ENQUEUE_MS, () => arm(schedule, cron, tick));
      },
    );
    pending.add(work);
    void work.finally(() => pending.delete(work));
  };

  for (const { schedule, cron } of compiled) arm(schedule, cron, cron.nextRun(now()));
  if (compiled.length > 0) {
    log.info({ schedules: compiled.map(({ schedule }) => schedule.name) }, 'schedules started');
  }

  return {
    async stop() {
      isStopped = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await Promise.all(pending);
    },
    nextTicks() {
      return next;
    },
  };
}
