/** Every `hearth` command, in the order `hearth --help` lists them. */
import type { CliCommand } from './command.js';
import { migrateCommand } from './migrate.js';
import { seedCommand } from './seed.js';
import { serveCommand } from './serve.js';

export const COMMANDS: readonly CliCommand[] = [serveCommand, migrateCommand, seedCommand];
