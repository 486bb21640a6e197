import { collectOwners } from '../app.js';
import { loadConfig } from '../config/config.js';
import { openDatabase } from '../platform/db/database.js';
import { createPrivacyRegistry } from '../privacy/registry.js';
import {
  DEFAULT_BATCH_SIZE,
  MAX_BATCH_SIZE,
  runRetention,
  type RetentionReport,
} from '../privacy/retention/retention.engine.js';
import { UsageError, progressReporter, type CliCommand } from './command.js';

/**
 * `--as-of`: a date (`2027-03-01`, read as 00:00 UTC that day) or a full ISO 8601 UTC time.
 * Refuses dates that do not exist (`2027-02-30`) rather than letting Date roll them over.
 */
export function parseAsOf(raw: string): Date {
  const dateOnly = /^(\d{4})-(\d{2})-(\d{2})$/.exec(raw);
  if (dateOnly) {
    const [, year, month, day] = dateOnly.map(Number) as [number, number, number, number];
    const date = new Date(Date.UTC(year, month - 1, day));
    if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
      throw new UsageError(`--as-of ${raw} is not a calendar date`);
    }
    return date;
  }
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?Z$/.test(raw)) {
    const time = new Date(raw);
    if (!Number.isNaN(time.getTime()) && time.toISOString().slice(0, 10) === raw.slice(0, 10)) {
      return time;
    }
  }
  throw new UsageError(`--as-of takes YYYY-MM-DD or an ISO 8601 UTC time, got "${raw}"`);
}

function parseBatchSize(raw: unknown): number {
  if (raw === undefined) return DEFAULT_BATCH_SIZE;
  if (typeof raw !== 'string' || !/^\d+$/.test(raw)) {
    throw new UsageError('--batch-size takes a whole number');
  }
  const size = Number(raw);
  if (size < 1 || size > MAX_BATCH_SIZE) {
    throw new UsageError(`--batch-size takes a number from 1 to ${MAX_BATCH_SIZE}`);
  }
  return size;
}

/** The per-rule counts as an aligned text table. */
export function formatRetentionReport(report: RetentionReport): string[] {
  const header = ['table', 'rule', 'action', 'matched', 'applied', 'held', 'warned', 'waiting'];
  const rows = report.rules.map((rule) => [
    rule.table,
    String(rule.ruleIndex),
    rule.action,
    String(rule.matched),
    String(rule.applied),
    String(rule.skippedForHold),
    String(rule.warned),
    String(rule.waiting),
  ]);
  const widths = header.map((title, index) =>
    Math.max(title.length, ...rows.map((row) => (row[index] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, index) =>
        index < 3 ? cell.padEnd(widths[index] ?? 0) : cell.padStart(widths[index] ?? 0),
      )
      .join('  ')
      .trimEnd();
  const lines = [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)];
  for (const rule of report.rules) {
    if (rule.error) lines.push(`FAILED ${rule.table} rule ${rule.ruleIndex}: ${rule.error}`);
  }
  return lines;
}

export const retentionCommand: CliCommand = {
  name: ['retention', 'run'],
  summary: 'Apply every retention rule of the data map now (or as of a date)',
  usage: [
    'hearth retention run                 delete, clear or erase what has reached its time',
    'hearth retention run --dry-run       report what would happen; change nothing',
    'hearth retention run --as-of DATE    act as of DATE (YYYY-MM-DD, 00:00 UTC) instead of now',
    'hearth retention run --batch-size N  rows per transaction (default 500)',
    '',
    'Rows of members under a legal or safeguarding hold are left alone. Prints the counts per',
    'rule; progress goes to stderr. Exits 1 when a rule failed (the others still ran).',
  ].join('\n'),
  options: {
    'dry-run': { type: 'boolean' },
    'as-of': { type: 'string' },
    'batch-size': { type: 'string' },
  },
  async run({ values, positionals }, io) {
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const asOf = typeof values['as-of'] === 'string' ? parseAsOf(values['as-of']) : new Date();
    const batchSize = parseBatchSize(values['batch-size']);
    const dryRun = values['dry-run'] === true;
    const config = loadConfig(io.env);
    const registry = createPrivacyRegistry(collectOwners());
    const handle = openDatabase(config.database);
    try {
      const progress = progressReporter(io, 'retention: rows examined');
      const seen = new Map<string, number>();
      const report = await runRetention(handle.db, registry, {
        asOf,
        dryRun,
        batchSize,
        onProgress: ({ table, ruleIndex, processed }) => {
          const key = `${table}#${ruleIndex}`;
          progress.advance(processed - (seen.get(key) ?? 0));
          seen.set(key, processed);
        },
      });
      progress.finish();
      io.out(
        `Retention run as of ${report.asOf}${dryRun ? ' (dry run: nothing was changed)' : ''}`,
      );
      for (const line of formatRetentionReport(report)) io.out(line);
      return report.failed ? 1 : 0;
    } finally {
      await handle.destroy();
    }
  },
};
