/**
 * The web process: migrate, build, listen; on SIGTERM or SIGINT stop accepting connections,
 * let in-flight requests and jobs finish (up to SHUTDOWN_TIMEOUT_MS), then exit.
 */
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import type { Config } from './config/config.js';
import { openDatabase } from './platform/db/database.js';
import { migrateToLatest } from './platform/db/migrator.js';

export async function startServer(config: Config): Promise<FastifyInstance> {
  const handle = openDatabase(config.database);
  await migrateToLatest(handle.db);
  const app = await buildApp(config, { database: handle, startWorker: config.workerInServe });
  app.addHook('onClose', async () => handle.destroy());
  await app.listen({ host: config.host, port: config.port });
  return app;
}

/** Closes the app once on the first signal; a second signal exits at once. */
export function installGracefulShutdown(
  close: () => Promise<void>,
  timeoutMs: number,
  log: (message: string) => void,
): void {
  let closing = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) {
      log(`${signal} again: exiting now`);
      process.exit(1);
    }
    closing = true;
    log(`${signal}: finishing in-flight work, then stopping`);
    const timer = setTimeout(() => {
      log(`still busy after ${timeoutMs} ms: exiting`);
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        log(`shutdown failed: ${String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
