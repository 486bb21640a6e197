/**
 * `hearth admin create --email E --password P`: an admin account made from the command line,
 * for the first admin (or a recovery) without going through the web. The account is verified
 * at once; two-factor log-in is set up at its first log-in, before /admin opens.
 */
import { loadConfig } from '../config/config.js';
import { findLocation, searchLocations } from '../modules/accounts/index.js';
import { createAdminAccount, DEFAULT_ADMIN_LOCATION } from '../modules/admin/index.js';
import { openDatabase } from '../platform/db/database.js';
import { migrateToLatest } from '../platform/db/migrator.js';
import { isAppError } from '../platform/http/errors.js';
import { UsageError, type CliCommand } from './command.js';

function stringOption(values: Record<string, unknown>, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/** A place id, or a place's exact name ("Leeds"), to its id. */
function resolveLocation(raw: string): string {
  if (findLocation(raw)) return raw;
  const [best] = searchLocations(raw, 1);
  const fold = (text: string) => text.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (best && fold(best.name) === fold(raw)) return best.id;
  throw new UsageError(`--location "${raw}" is not a place in the list (try a town such as Leeds)`);
}

export const adminCommand: CliCommand = {
  name: ['admin', 'create'],
  summary: 'Create an admin account (--email, --password)',
  usage: [
    'hearth admin create --email E --password P [--first-name F] [--surname S] [--location L]',
    'Migrates the database, then creates a verified account with the admin role. Refuses an email that already has an',
    'account: an admin grants roles to existing members in /admin/members instead.',
    `Names default to "Hearth Admin"; --location takes a place id or name (default ${DEFAULT_ADMIN_LOCATION}).`,
    'The new admin sets up two-factor log-in at first log-in, before /admin opens.',
  ].join('\n'),
  options: {
    email: { type: 'string' },
    password: { type: 'string' },
    'first-name': { type: 'string' },
    surname: { type: 'string' },
    location: { type: 'string' },
  },
  async run({ values, positionals }, io) {
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const email = stringOption(values, 'email');
    const password = stringOption(values, 'password');
    if (email === undefined || password === undefined) {
      throw new UsageError('--email and --password are both required');
    }
    const location = resolveLocation(stringOption(values, 'location') ?? DEFAULT_ADMIN_LOCATION);
    const config = loadConfig(io.env);
    const handle = openDatabase(config.database);
    try {
      // A fresh install may run this before its first `serve`: the tables must exist.
      await migrateToLatest(handle.db);
      const created = await createAdminAccount(
        handle.db,
        {
          email,
          password,
          firstName: stringOption(values, 'first-name') ?? 'Hearth',
          surname: stringOption(values, 'surname') ?? 'Admin',
          location,
        },
        { via: 'cli' },
      );
      io.out(`Created admin ${created.email} (username ${created.username}).`);
      io.out('Two-factor log-in must be set up at the first log-in, before /admin opens.');
      return 0;
    } catch (error) {
      if (isAppError(error) && (error.code === 'conflict' || error.code === 'validation_failed')) {
        const details = Object.entries(error.fields ?? {}).map(
          ([field, text]) => `  ${field}: ${text}`,
        );
        io.err([error.message, ...details].join('\n'));
        return 1;
      }
      throw error;
    } finally {
      await handle.destroy();
    }
  },
};
