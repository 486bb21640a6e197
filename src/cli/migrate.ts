import { loadConfig } from '../config/config.js';
import { openDatabase } from '../platform/db/database.js';
import { migrateDown, migrateToLatest, migrationStatus } from '../platform/db/migrator.js';
import { UsageError, type CliCommand } from './command.js';

export const migrateCommand: CliCommand = {
  name: ['migrate'],
  summary: 'Apply, undo or list database migrations',
  usage: [
    'hearth migrate up             apply every pending migration',
    'hearth migrate down [--steps N]  undo the last N migrations (default 1)',
    'hearth migrate status         list migrations and when each ran',
  ].join('\n'),
  options: { steps: { type: 'string' } },
  async run({ values, positionals }, io) {
    const action = positionals[0];
    if (action !== 'up' && action !== 'down' && action !== 'status') {
      throw new UsageError('expected up, down or status');
    }
    const config = loadConfig(io.env);
    const handle = openDatabase(config.database);
    try {
      if (action === 'up') {
        const applied = await migrateToLatest(handle.db);
        for (const name of applied) io.out(`applied ${name}`);
        io.out(
          applied.length === 0 ? 'Already up to date.' : `Applied ${applied.length} migration(s).`,
        );
      } else if (action === 'down') {
        const raw = typeof values.steps === 'string' ? values.steps : '1';
        if (!/^\d+$/.test(raw) || Number(raw) < 1)
          throw new UsageError('--steps takes a whole number ≥ 1');
        const undone = await migrateDown(handle.db, Number(raw));
        for (const name of undone) io.out(`undone ${name}`);
        io.out(`Undid ${undone.length} migration(s).`);
      } else {
        for (const entry of await migrationStatus(handle.db)) {
          io.out(
            `${entry.executedAt ? entry.executedAt.toISOString() : 'pending                 '}  ${entry.name}`,
          );
        }
      }
      return 0;
    } finally {
      await handle.destroy();
    }
  },
};
