import { collectOwners } from '../app.js';
import { loadConfig } from '../config/config.js';
import { MODULES } from '../modules/index.js';
import { openDatabase } from '../platform/db/database.js';
import { migrateToLatest } from '../platform/db/migrator.js';
import { UsageError, type CliCommand } from './command.js';

export const seedCommand: CliCommand = {
  name: ['seed'],
  summary: 'Fill the database with demo data (--demo)',
  usage: [
    'hearth seed --demo   migrate, then add each module’s demo data (members, threads, …)',
    'Demo data is for trying Hearth out; never run it against a live community’s database.',
  ].join('\n'),
  options: { demo: { type: 'boolean' } },
  async run({ values }, io) {
    if (values.demo !== true)
      throw new UsageError('say --demo: demo data is the only kind of seed');
    const config = loadConfig(io.env);
    const handle = openDatabase(config.database);
    try {
      await migrateToLatest(handle.db);
      // Validate every declaration before writing anything under them.
      collectOwners();
      const seeders = MODULES.filter((module) => module.seedDemo !== undefined);
      if (seeders.length === 0) {
        io.out('No module has demo data yet: the database is migrated and empty.');
        return 0;
      }
      for (const [index, module] of seeders.entries()) {
        io.err(`[${index + 1}/${seeders.length}] ${module.name}`);
        await module.seedDemo?.(handle.db, (line) => io.out(`  ${line}`));
      }
      io.out(`Demo data added by ${seeders.length} module(s).`);
      return 0;
    } finally {
      await handle.destroy();
    }
  },
};
