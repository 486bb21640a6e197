/**
 * The worker process (`hearth worker`): migrate (idempotent), build the same app as `serve`,
 * but listen on nothing; the jobs plugin then runs the worker and the schedules. On SIGTERM or
 * SIGINT the app closes, which stops claiming and waits for the jobs in flight.
 */
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import type { Config } from './config/config.js';
import { openDatabase } from './platform/db/database.js';
import { migrateToLatest } from './platform/db/migrator.js';
import { countJobsByStatus } from './platform/jobs/jobs.queue.js';
import { compileSchedule } from './platform/jobs/jobs.scheduler.js';
import type { RunSummary } from './platform/jobs/jobs.worker.js';

export interface WorkerProcess {
  app: FastifyInstance;
  /** Migrations this start applied (empty when the database was up to date). */
  appliedMigrations: string[];
}

/**
 * Opens the database, migrates, builds the app. With `runWorker` the app's jobs plugin starts
 * the worker and the schedules once ready; without, the caller drains the queue itself.
 */
export async function startWorkerProcess(
  config: Config,
  options: { runWorker: boolean } = { runWorker: true },
): Promise<WorkerProcess> {
  const handle = openDatabase(config.database);
  let appliedMigrations: string[];
  try {
    appliedMigrations = await migrateToLatest(handle.db);
  } catch (error) {
    await handle.destroy();
    throw error;
  }
  const app = await buildApp(config, { database: handle, startWorker: options.runWorker });
  app.addHook('onClose', async () => handle.destroy());
  await app.ready();
  return { app, appliedMigrations };
}

/** Lines describing what the worker will do: its jobs, schedules and the queue's state. */
export async function describeWorker(app: FastifyInstance, now = new Date()): Promise<string[]> {
  const lines = [`Job types: ${[...app.jobRegistry.handlers.keys()].sort().join(', ') || 'none'}`];
  for (const schedule of app.jobRegistry.schedules) {
    const next = compileSchedule(schedule, app.config.timezone).nextRun(now);
    lines.push(
      `Schedule ${schedule.name}: "${schedule.cron}" (${app.config.timezone}) → ${schedule.job}, next ${next ? next.toISOString() : 'never'}`,
    );
  }
  const counts = await countJobsByStatus(app.db);
  lines.push(
    `Queue: ${counts.queued} queued, ${counts.running} running, ${counts.done} done, ${counts.dead} dead`,
  );
  return lines;
}

export function describeRun(summary: RunSummary): string {
  return `Ran jobs: ${summary.done} done, ${summary.retried} to retry, ${summary.dead} dead${summary.lost > 0 ? `, ${summary.lost} taken over by another worker` : ''}.`;
}
