/**
 * The job worker: claims due jobs under a lease, runs their handlers, records the outcome, and
 * renews the leases of jobs still running. Any number of workers (threads of one process, or
 * processes on several machines) share one queue; the claim statement keeps them apart.
 */
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../../config/config.js';
import type { Database } from '../db/database.js';
import {
  DEFAULT_BACKOFF,
  buryExpiredLeases,
  claimDueJobs,
  completeJob,
  extendLeases,
  failJob,
  redactEmails,
  retryDelayMs,
  type BackoffPolicy,
  type ClaimedJob,
} from './jobs.queue.js';
import { PermanentJobError, type JobPayload, type JobRegistry } from './jobs.types.js';

export const DEFAULT_CONCURRENCY = 4;
export const DEFAULT_POLL_INTERVAL_MS = 1000;
/**
 * How long a claim holds without renewal. Leases are renewed every third of this while the job
 * runs, so only a worker that stopped (crash, kill -9, lost network) lets one expire.
 */
export const DEFAULT_LEASE_MS = 60_000;

export interface WorkerOptions {
  db: Database;
  config: Config;
  registry: JobRegistry;
  log: FastifyBaseLogger;
  /** Names this worker in leases; host, pid and a random suffix by default. */
  workerId?: string;
  /** Jobs run at once by this worker. */
  concurrency?: number;
  /** How often an idle worker looks for due jobs. */
  pollIntervalMs?: number;
  leaseMs?: number;
  backoff?: BackoffPolicy;
  /** The clock (tests move it to expire leases and reach retry times). */
  now?: () => Date;
}

export type JobOutcome = 'done' | 'retry' | 'dead' | 'lost';

export interface RunSummary {
  /** Jobs that ran and succeeded. */
  done: number;
  /** Jobs that failed and will be tried again. */
  retried: number;
  /** Jobs that failed for the last time (or permanently). */
  dead: number;
  /** Jobs whose lease another worker took over before this one finished. */
  lost: number;
}

export interface RunningWorker {
  readonly workerId: string;
  /** Stops claiming, waits for the jobs running now, then resolves. */
  stop(): Promise<void>;
  /** Resolves once nothing is running and nothing is due (tests, `hearth worker --once`). */
  drain(): Promise<void>;
}

export function defaultWorkerId(): string {
  return `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

interface ResolvedOptions {
  db: Database;
  config: Config;
  registry: JobRegistry;
  log: FastifyBaseLogger;
  workerId: string;
  concurrency: number;
  pollIntervalMs: number;
  leaseMs: number;
  backoff: BackoffPolicy;
  now: () => Date;
}

function resolveOptions(options: WorkerOptions): ResolvedOptions {
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError('Worker concurrency must be a whole number of at least 1');
  }
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  if (leaseMs < 100) throw new RangeError('Worker leaseMs must be at least 100');
  return {
    db: options.db,
    config: options.config,
    registry: options.registry,
    log: options.log,
    workerId: options.workerId ?? defaultWorkerId(),
    concurrency,
    pollIntervalMs: options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
    leaseMs,
    backoff: options.backoff ?? DEFAULT_BACKOFF,
    now: options.now ?? (() => new Date()),
  };
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

/** Runs one claimed job to its recorded outcome. Never throws: failures are the job's result. */
async function executeJob(options: ResolvedOptions, job: ClaimedJob): Promise<JobOutcome> {
  const { db, workerId, log } = options;
  const jobLog = log.child({ jobId: job.id, job: job.name, attempt: job.attempts });
  const handler = options.registry.handlers.get(job.name);
  let failure: unknown;
  try {
    if (!handler) throw new PermanentJobError(`No handler is registered for job ${job.name}`);
    let payload: JobPayload;
    try {
      payload = JSON.parse(job.payload) as JobPayload;
    } catch {
      throw new PermanentJobError('The job payload is not valid JSON');
    }
    await handler(
      {
        db,
        config: options.config,
        log: jobLog,
        attempt: job.attempts,
        maxAttempts: job.maxAttempts,
        jobId: job.id,
        runAt: new Date(job.runAt),
      },
      payload,
    );
  } catch (error) {
    failure = error;
  }
  try {
    if (failure === undefined) {
      const isRecorded = await completeJob(db, job.id, workerId, options.now());
      if (!isRecorded) {
        jobLog.warn('job finished after its lease passed to another worker');
        return 'lost';
      }
      jobLog.debug('job done');
      return 'done';
    }
    const now = options.now();
    const message = errorMessage(failure);
    const outcome = await failJob(db, job, workerId, {
      message,
      permanent: failure instanceof PermanentJobError,
      now,
      retryAt: new Date(now.getTime() + retryDelayMs(job.attempts, options.backoff)),
    });
    const logged = { error: redactEmails(message), outcome };
    if (outcome === 'dead') jobLog.error(logged, 'job failed for the last time; kept as dead');
    else if (outcome === 'retry') jobLog.warn(logged, 'job failed; will retry');
    else jobLog.warn(logged, 'job failed after its lease passed to another worker');
    return outcome;
  } catch (error) {
    // The outcome could not be recorded (database unreachable): the lease will expire and the
    // job run again, which handlers allow for (they are idempotent).
    jobLog.error({ error: redactEmails(errorMessage(error)) }, 'could not record the job outcome');
    return 'lost';
  }
}

function tally(summary: RunSummary, outcome: JobOutcome): void {
  if (outcome === 'done') summary.done += 1;
  else if (outcome === 'retry') summary.retried += 1;
  else if (outcome === 'dead') summary.dead += 1;
  else summary.lost += 1;
}

async function claim(options: ResolvedOptions, limit: number): Promise<ClaimedJob[]> {
  const now = options.now();
  await buryExpiredLeases(options.db, now);
  return claimDueJobs(options.db, {
    workerId: options.workerId,
    names: [...options.registry.handlers.keys()],
    limit,
    now,
    leaseMs: options.leaseMs,
  });
}

/**
 * Runs every job due now, `concurrency` at a time, until none is left (jobs enqueued by those
 * jobs included), then returns. For tests and CLI commands that want the queue drained at once.
 */
export async function runDueJobsOnce(
  options: WorkerOptions & { maxJobs?: number },
): Promise<RunSummary> {
  const resolved = resolveOptions(options);
  const maxJobs = options.maxJobs ?? Number.MAX_SAFE_INTEGER;
  const summary: RunSummary = { done: 0, retried: 0, dead: 0, lost: 0 };
  let started = 0;
  while (started < maxJobs) {
    const jobs = await claim(resolved, Math.min(resolved.concurrency, maxJobs - started));
    if (jobs.length === 0) break;
    started += jobs.length;
    const outcomes = await Promise.all(jobs.map((job) => executeJob(resolved, job)));
    for (const outcome of outcomes) tally(summary, outcome);
  }
  return summary;
}

/** Starts a worker that polls for due jobs until `stop()`. */
export function startWorker(options: WorkerOptions): RunningWorker {
  const resolved = resolveOptions(options);
  const { log, workerId } = resolved;
  const running = new Map<string, Promise<void>>();
  let isStopping = false;
  let drainWaiters: (() => void)[] = [];
  // A wake-up asked for while the loop is busy is remembered, so the next sleep ends at once.
  let isWakeRequested = false;
  let endSleep: (() => void) | undefined;
  const wakeUp = () => {
    isWakeRequested = true;
    endSleep?.();
  };
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (isWakeRequested) {
        isWakeRequested = false;
        resolve();
        return;
      }
      const timer = setTimeout(finish, ms);
      function finish() {
        clearTimeout(timer);
        endSleep = undefined;
        isWakeRequested = false;
        resolve();
      }
      endSleep = finish;
    });

  const renewLeases = async () => {
    try {
      await extendLeases(
        resolved.db,
        workerId,
        [...running.keys()],
        new Date(resolved.now().getTime() + resolved.leaseMs),
      );
    } catch (error) {
      log.error({ error: redactEmails(errorMessage(error)) }, 'could not renew job leases');
    }
  };
  const renewal = setInterval(() => void renewLeases(), Math.max(50, resolved.leaseMs / 3));
  renewal.unref();

  const loop = async () => {
    while (!isStopping) {
      const wasIdle = running.size === 0;
      // A copy: drain() calls arriving during this round's claim belong to the next round.
      const waiting = [...drainWaiters];
      const free = resolved.concurrency - running.size;
      let claimed: ClaimedJob[] = [];
      let hasClaimFailed = false;
      if (free > 0) {
        try {
          claimed = await claim(resolved, free);
        } catch (error) {
          hasClaimFailed = true;
          log.error({ error: redactEmails(errorMessage(error)) }, 'could not claim jobs');
        }
      }
      for (const job of claimed) {
        const execution = executeJob(resolved, job).then(() => {
          running.delete(job.id);
          wakeUp();
        });
        running.set(job.id, execution);
      }
      // Drained only if nothing ran when this round began and nothing was due (a failed claim
      // proves nothing): a job finishing during the claim may have enqueued another, which the
      // next round will see.
      if (wasIdle && !hasClaimFailed && claimed.length === 0 && waiting.length > 0) {
        drainWaiters = drainWaiters.filter((resolve) => !waiting.includes(resolve));
        for (const resolve of waiting) resolve();
      }
      // A full batch with slots still free means more may be due: claim again at once.
      // Otherwise wait for the poll interval, or less when a job finishes or drain() asks.
      const mayHaveMore = free > 0 && claimed.length === free;
      if (isStopping || (mayHaveMore && running.size < resolved.concurrency)) continue;
      await sleep(resolved.pollIntervalMs);
    }
  };

  const looping = loop();
  log.info(
    { workerId, concurrency: resolved.concurrency, jobs: resolved.registry.handlers.size },
    'job worker started',
  );

  return {
    workerId,
    async stop() {
      if (!isStopping) {
        isStopping = true;
        wakeUp();
      }
      await looping;
      await Promise.all(running.values());
      clearInterval(renewal);
      for (const resolve of drainWaiters) resolve();
      drainWaiters = [];
      log.info({ workerId }, 'job worker stopped');
    },
    drain() {
      if (isStopping) return Promise.resolve();
      return new Promise<void>((resolve) => {
        drainWaiters.push(resolve);
        wakeUp();
      });
    },
  };
}
