import { loadConfig } from '../config/config.js';
import { installGracefulShutdown } from '../server.js';
import { describeRun, describeWorker, startWorkerProcess } from '../worker.js';
import type { CliCommand } from './command.js';

export const workerCommand: CliCommand = {
  name: ['worker'],
  summary: 'Migrate the database, then run background jobs and schedules (no HTTP)',
  usage: [
    'hearth worker          runs jobs and schedules until SIGTERM or SIGINT, then finishes',
    '                       the jobs in flight (up to SHUTDOWN_TIMEOUT_MS) and exits',
    'hearth worker --once   runs every job due now, prints the counts and exits (1 when a job',
    '                       failed for the last time)',
    '',
    'Run as many workers as you like, on any machine sharing the database: each job runs once,',
    'each scheduled run is enqueued once. Set WORKER_IN_SERVE=false to keep jobs out of `serve`.',
  ].join('\n'),
  options: { once: { type: 'boolean' } },
  async run({ values }, io) {
    const config = loadConfig(io.env);
    const isOnce = values.once === true;
    const { app, appliedMigrations } = await startWorkerProcess(config, { runWorker: !isOnce });
    for (const name of appliedMigrations) io.err(`applied migration ${name}`);
    for (const line of await describeWorker(app)) io.err(line);
    if (isOnce) {
      try {
        const summary = await app.runDueJobs();
        io.out(describeRun(summary));
        return summary.dead > 0 ? 1 : 0;
      } finally {
        await app.close();
      }
    }
    io.err('Hearth worker is running. Stop it with SIGTERM or Ctrl-C.');
    installGracefulShutdown(
      async () => {
        await app.close();
        io.err('Hearth worker stopped.');
      },
      config.shutdownTimeoutMs,
      (line) => io.err(line),
    );
    // Keep the process alive until a signal arrives.
    await new Promise<never>(() => {});
    return 0;
  },
};
