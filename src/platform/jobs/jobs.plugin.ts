/**
 * The job queue inside a Fastify process. With `app.runsWorker` (serve, unless
 * WORKER_IN_SERVE=false, and `hearth worker`) it starts the worker and the schedules once the
 * app is ready, and on close stops both, waiting for the jobs running then.
 *
 * Every app also gets `app.runDueJobs()`, which runs what is due now and returns: HTTP tests and
 * CLI commands use it to see a request's mail or follow-up work without a background worker.
 */
import fp from 'fastify-plugin';
import { closeMailTransports } from '../mail/mail.send.js';
import { startScheduler, type RunningScheduler } from './jobs.scheduler.js';
import { runDueJobsOnce, startWorker, type RunSummary, type RunningWorker } from './jobs.worker.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Runs every job due now in this process and returns what happened. */
    runDueJobs(): Promise<RunSummary>;
  }
}

export const jobsPlugin = fp(
  (app, _options, done) => {
    const log = app.log.child({ component: 'jobs' });
    app.decorate('runDueJobs', () =>
      runDueJobsOnce({ db: app.db, config: app.config, registry: app.jobRegistry, log }),
    );
    // Sends from runDueJobs() or the worker share pooled SMTP connections: close them with the app.
    app.addHook('onClose', (_instance, closed) => {
      closeMailTransports();
      closed();
    });
    if (!app.runsWorker) {
      done();
      return;
    }

    let worker: RunningWorker | undefined;
    let scheduler: RunningScheduler | undefined;
    app.addHook('onReady', (ready) => {
      try {
        // The scheduler first: an invalid cron pattern stops the boot before any job runs.
        scheduler = startScheduler({
          db: app.db,
          config: app.config,
          registry: app.jobRegistry,
          log,
        });
        worker = startWorker({ db: app.db, config: app.config, registry: app.jobRegistry, log });
        ready();
      } catch (error) {
        ready(error instanceof Error ? error : new Error(String(error)));
      }
    });
    // preClose, not onClose: it runs before any onClose hook, so the database is still open
    // while the jobs in flight finish.
    app.addHook('preClose', async () => {
      await scheduler?.stop();
      await worker?.stop();
    });
    done();
  },
  { name: 'hearth-jobs' },
);
