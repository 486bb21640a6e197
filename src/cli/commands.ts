/** Every `hearth` command, in the order `hearth --help` lists them. */
import { adminCommand } from './admin.js';
import { auditCommand } from './audit.js';
import type { CliCommand } from './command.js';
import { migrateCommand } from './migrate.js';
import { newslettersBounceCommand, newslettersSendDueCommand } from './newsletters.js';
import { privacyPublishCommand, privacyRopaCommand } from './privacy.js';
import { retentionCommand } from './retention.js';
import { seedCommand } from './seed.js';
import { serveCommand } from './serve.js';
import { workerCommand } from './worker.js';

export const COMMANDS: readonly CliCommand[] = [
  serveCommand,
  workerCommand,
  migrateCommand,
  seedCommand,
  adminCommand,
  retentionCommand,
  auditCommand,
  privacyPublishCommand,
  privacyRopaCommand,
  newslettersSendDueCommand,
  newslettersBounceCommand,
];
