/**
 * Types of the durable job queue (DESIGN.md §2). Payloads carry ids, never personal data.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../../config/config.js';
import type { Database } from '../db/database.js';

/** JSON values only: ids, counts, dates; never names, emails or free text. */
export type JobPayload = Readonly<Record<string, string | number | boolean | null>>;

export interface JobContext {
  db: Database;
  config: Config;
  log: FastifyBaseLogger;
  /** Which attempt this is, from 1. */
  attempt: number;
  /** Attempts allowed in all; the job is dead when the last one fails. */
  maxAttempts: number;
  jobId: string;
  /** When the job was due: for a scheduled job, the tick it runs for. */
  runAt: Date;
}

/**
 * A handler runs at least once per job: a worker can stop between the work and the record that
 * it is done, and a job whose lease expires runs again. Handlers are therefore idempotent.
 */
export type JobHandler = (context: JobContext, payload: JobPayload) => Promise<void>;

/**
 * Thrown by a handler when trying again cannot help (a recipient address the relay rejects, a
 * payload naming nothing): the job is marked dead at once, the message kept as its error.
 */
export class PermanentJobError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentJobError';
  }
}

export interface ScheduleDefinition {
  /** A stable name; with the period it forms the unique key of each scheduled run. */
  name: string;
  /** A croner pattern, evaluated in the configured TIMEZONE. */
  cron: string;
  /** The job to enqueue at each tick. */
  job: string;
  payload?: JobPayload;
  /** Attempts allowed for each scheduled run (the queue's default when absent). */
  maxAttempts?: number;
}

/** Every job handler and schedule of the application, collected by app.ts. */
export interface JobRegistry {
  handlers: ReadonlyMap<string, JobHandler>;
  schedules: readonly ScheduleDefinition[];
}

/** Jobs and schedules contributed by one owner (the platform, the privacy core, a module). */
export interface JobContribution {
  jobs?: Readonly<Record<string, JobHandler>>;
  schedules?: readonly ScheduleDefinition[];
}

export function collectJobs(contributions: readonly JobContribution[]): JobRegistry {
  const handlers = new Map<string, JobHandler>();
  const schedules: ScheduleDefinition[] = [];
  for (const contribution of contributions) {
    for (const [name, handler] of Object.entries(contribution.jobs ?? {})) {
      if (handlers.has(name)) throw new Error(`Job ${name} is registered twice`);
      handlers.set(name, handler);
    }
    schedules.push(...(contribution.schedules ?? []));
  }
  for (const schedule of schedules) {
    if (!handlers.has(schedule.job)) {
      throw new Error(`Schedule ${schedule.name} enqueues unknown job ${schedule.job}`);
    }
  }
  return { handlers, schedules };
}
