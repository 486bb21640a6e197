/** Helpers for tests of the job queue and of anything that enqueues jobs. */
import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import pino from 'pino';
import type { JobsTable, JobsTables } from '../../src/platform/jobs/jobs.tables.js';
import {
  collectJobs,
  type JobHandler,
  type JobRegistry,
  type ScheduleDefinition,
} from '../../src/platform/jobs/jobs.types.js';

export const silentLog: FastifyBaseLogger = pino({ level: 'silent' });

/** Test handlers may be synchronous; the registry gets them as the async handlers it expects. */
export type TestHandler = (...args: Parameters<JobHandler>) => void | Promise<void>;

export function registryOf(
  jobs: Record<string, TestHandler>,
  schedules: readonly ScheduleDefinition[] = [],
): JobRegistry {
  const handlers = Object.fromEntries(
    Object.entries(jobs).map(([name, handler]): [string, JobHandler] => [
      name,
      (context, payload) => Promise.resolve().then(() => handler(context, payload)),
    ]),
  );
  return collectJobs([{ jobs: handlers, schedules }]);
}

export async function readJob<T>(db: Kysely<T>, id: string): Promise<JobsTable> {
  return (db as unknown as Kysely<JobsTables>)
    .selectFrom('jobs')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
}

export async function jobsNamed<T>(db: Kysely<T>, name: string): Promise<JobsTable[]> {
  return (db as unknown as Kysely<JobsTables>)
    .selectFrom('jobs')
    .selectAll()
    .where('name', '=', name)
    .orderBy('id')
    .execute();
}

/** Polls until `check` holds, failing after `timeoutMs`. */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
