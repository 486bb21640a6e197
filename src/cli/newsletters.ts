import { loadConfig } from '../config/config.js';
import { openDatabase } from '../platform/db/database.js';
import { isAppError } from '../platform/http/errors.js';
import { resolveSecretKey } from '../platform/secrets.js';
import {
  BOUNCE_KINDS,
  recordBounce,
  type BounceKind,
} from '../modules/newsletters/newsletters.bounces.js';
import {
  DEFAULT_SEND_BATCH_SIZE,
  MAX_SEND_BATCH_SIZE,
  sendDueNewsletters,
} from '../modules/newsletters/newsletters.sending.js';
import { UsageError, type CliCommand } from './command.js';
import { parseAsOf } from './retention.js';

function parseBatchSize(raw: unknown): number {
  if (raw === undefined) return DEFAULT_SEND_BATCH_SIZE;
  if (typeof raw !== 'string' || !/^\d+$/.test(raw)) {
    throw new UsageError('--batch-size takes a whole number');
  }
  const size = Number(raw);
  if (size < 1 || size > MAX_SEND_BATCH_SIZE) {
    throw new UsageError(`--batch-size takes a number from 1 to ${MAX_SEND_BATCH_SIZE}`);
  }
  return size;
}

/** `hearth newsletters send-due`: what the daily 07:00 job does, once, now or as of a date. */
export const newslettersSendDueCommand: CliCommand = {
  name: ['newsletters', 'send-due'],
  summary: 'Queue every newsletter issue and edition due today (or as of a date), once',
  usage: [
    'hearth newsletters send-due                 queue what is due today',
    'hearth newsletters send-due --as-of DATE    choose editions as of DATE (YYYY-MM-DD)',
    `hearth newsletters send-due --batch-size N  subscriptions per transaction (default ${DEFAULT_SEND_BATCH_SIZE})`,
    '',
    'Each subscriber gets each issue or edition at most once, however often this runs. The',
    'messages go to the outbox; the worker (hearth worker) sends them.',
  ].join('\n'),
  options: { 'as-of': { type: 'string' }, 'batch-size': { type: 'string' } },
  async run({ values, positionals }, io) {
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const asOf = typeof values['as-of'] === 'string' ? parseAsOf(values['as-of']) : new Date();
    const batchSize = parseBatchSize(values['batch-size']);
    const config = loadConfig(io.env);
    const handle = openDatabase(config.database);
    try {
      const report = await sendDueNewsletters(handle.db, {
        asOf,
        config,
        secretKey: await resolveSecretKey(handle.db, config),
        batchSize,
      });
      io.out(`Newsletters due on ${report.day}`);
      io.out(`subscriptions examined  ${report.subscriptionsExamined}`);
      io.out(`messages queued         ${report.queued}`);
      io.out(`already sent before     ${report.alreadySent}`);
      io.out(`without consent         ${report.withoutConsent}`);
      return 0;
    } finally {
      await handle.destroy();
    }
  },
};

/** The same bound as `POST /api/v1/newsletters/bounces`; the address itself is matched exactly. */
const MAX_EMAIL_LENGTH = 320;

function parseBounceKind(raw: unknown): BounceKind {
  const kind = BOUNCE_KINDS.find((candidate) => candidate === raw);
  if (kind === undefined) {
    throw new UsageError(`--kind takes ${BOUNCE_KINDS.join(' or ')}`);
  }
  return kind;
}

function parseBounceEmail(raw: unknown): string {
  if (typeof raw !== 'string' || raw.trim() === '') {
    throw new UsageError('--email is required: the address that bounced or complained');
  }
  const email = raw.trim();
  if (email.length > MAX_EMAIL_LENGTH || !/^[^\s@]+@[^\s@]+$/.test(email)) {
    throw new UsageError('--email takes one email address');
  }
  return email;
}

/**
 * `hearth newsletters bounce`: what `POST /api/v1/newsletters/bounces` does, for an operator who
 * reads the relay's bounce reports on the server. Both call `recordBounce`.
 */
export const newslettersBounceCommand: CliCommand = {
  name: ['newsletters', 'bounce'],
  summary: 'Record a hard bounce or a complaint for an address and suspend its newsletters',
  usage: [
    'hearth newsletters bounce --email ADDRESS --kind hard       the address does not exist',
    'hearth newsletters bounce --email ADDRESS --kind complaint  the letter was marked as spam',
    '',
    'Every newsletter subscription of the member with that address is suspended: nothing more is',
    'sent to it. The subscriptions and their consent stay; the member did not unsubscribe.',
  ].join('\n'),
  options: { email: { type: 'string' }, kind: { type: 'string' } },
  async run({ values, positionals }, io) {
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const email = parseBounceEmail(values.email);
    const kind = parseBounceKind(values.kind);
    const config = loadConfig(io.env);
    const handle = openDatabase(config.database);
    try {
      const result = await recordBounce(handle.db, { email, kind });
      io.out(
        `Recorded a ${kind === 'hard' ? 'hard bounce' : 'complaint'}; ${result.suspended} subscription${result.suspended === 1 ? '' : 's'} suspended.`,
      );
      return 0;
    } catch (error) {
      if (isAppError(error) && error.code === 'not_found') {
        io.err(error.message);
        return 1;
      }
      throw error;
    } finally {
      await handle.destroy();
    }
  },
};
