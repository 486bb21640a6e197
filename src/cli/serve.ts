import { loadConfig } from '../config/config.js';
import { installGracefulShutdown, startServer } from '../server.js';
import type { CliCommand } from './command.js';

export const serveCommand: CliCommand = {
  name: ['serve'],
  summary: 'Migrate the database, then serve Hearth (with its job worker)',
  usage: [
    'hearth serve       listens on HOST:PORT (default 127.0.0.1:3000)',
    'Set WORKER_IN_SERVE=false to run jobs only in separate `hearth worker` processes.',
  ].join('\n'),
  async run(_input, io) {
    const config = loadConfig(io.env);
    const app = await startServer(config);
    io.err(`Hearth is listening on ${config.publicUrl}`);
    installGracefulShutdown(
      () => app.close(),
      config.shutdownTimeoutMs,
      (line) => io.err(line),
    );
    // Keep the process alive until a signal arrives.
    await new Promise<never>(() => {});
    return 0;
  },
};
