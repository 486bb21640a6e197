/**
 * Newsletter benchmark (issue 8, point 8): with 100,000 Pregnancy Weekly subscribers, the time to
 * render and enqueue one edition (target under 30 s), then the send rate through the outbox
 * worker to an SMTP server on loopback (messages/s). On SQLite always; on PostgreSQL too when
 * BENCH_DATABASE_URL (or TEST_DATABASE_URL) is set, in a schema of its own that is dropped after.
 *
 * The subscribers' consent is written straight into the ledger's current-state table (the
 * benchmark measures sending, not 100,000 signatures); everything after that is the real code,
 * with its defaults (on PostgreSQL three pages of 500 are written side by side).
 *
 * Run: `npx tsx bench/newsletters.ts [--subscribers N] [--send-seconds S]`; it appends its
 * figures to bench/RESULTS-newsletters.md.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import pino from 'pino';
import { sql } from 'kysely';
import { loadConfig, type DatabaseConfig } from '../src/config/config.js';
import { openDatabase, tablesOf, type DatabaseHandle } from '../src/platform/db/database.js';
import { newId } from '../src/platform/db/ids.js';
import { migrateToLatest } from '../src/platform/db/migrator.js';
import { toDbTime } from '../src/platform/db/portable.js';
import { collectJobs } from '../src/platform/jobs/jobs.types.js';
import { runDueJobsOnce } from '../src/platform/jobs/jobs.worker.js';
import { platformJobs } from '../src/platform/jobs/platform.jobs.js';
import { closeMailTransports } from '../src/platform/mail/mail.send.js';
import { createEdition } from '../src/modules/newsletters/newsletters.editions.js';
import {
  pregnancyWeek,
  sendDueNewsletters,
} from '../src/modules/newsletters/newsletters.sending.js';
import { startSmtpCapture } from '../test/helpers/smtp.js';

const { values } = parseArgs({
  options: {
    subscribers: { type: 'string', default: '100000' },
    'send-seconds': { type: 'string', default: '10' },
  },
});
const SUBSCRIBERS = Number(values.subscribers);
const SEND_SECONDS = Number(values['send-seconds']);
const CHUNK = 500;

interface Row {
  engine: string;
  enqueueSeconds: number;
  queued: number;
  sendRate: number;
  sent: number;
}

async function seed(handle: DatabaseHandle, dueDate: string): Promise<void> {
  const db = tablesOf<Record<string, Record<string, unknown>>>(handle.db);
  const now = toDbTime(new Date());
  for (let start = 0; start < SUBSCRIBERS; start += CHUNK) {
    const ids = Array.from({ length: Math.min(CHUNK, SUBSCRIBERS - start) }, () => newId());
    await db.transaction().execute(async (trx) => {
      await trx
        .insertInto('accounts_users')
        .values(
          ids.map((id, index) => ({
            id,
            email: `parent${start + index}@bench.example`,
            email_verified_at: now,
            first_name: 'Sam',
            surname: `Bench${start + index}`,
            username: `SamB${start + index}`,
            use_anonymous_name: 0,
            location_id: 'manchester',
            status: 'active',
            created_at: now,
            updated_at: now,
            last_active_at: now,
          })),
        )
        .execute();
      await trx
        .insertInto('newsletters_subscriptions')
        .values(
          ids.map((id) => ({
            id: newId(),
            user_id: id,
            list_key: 'pregnancy-weekly',
            due_date: dueDate,
            created_at: now,
            updated_at: now,
            last_engaged_at: now,
          })),
        )
        .execute();
      await trx
        .insertInto('privacy_consent_state')
        .values(
          ids.map((id) => ({
            subject_id: id,
            purpose: 'newsletter-health',
            scope: 'newsletter:pregnancy-weekly',
            granted: 1,
            method: 'form',
            notice_version: 1,
            at: now,
            event_id: newId(),
          })),
        )
        .execute();
    });
  }
}

async function measure(engine: string, databaseConfig: DatabaseConfig, searchPath?: string) {
  const handle = openDatabase(databaseConfig, searchPath ? { searchPath } : {});
  const smtp = await startSmtpCapture();
  try {
    await migrateToLatest(handle.db);
    const today = new Date();
    const dueDate = new Date(today.getTime() + 140 * 86_400_000).toISOString().slice(0, 10);
    const week = pregnancyWeek(dueDate, today.toISOString().slice(0, 10)) ?? 20;
    process.stderr.write(`[${engine}] seeding ${SUBSCRIBERS} subscribers…\n`);
    await seed(handle, dueDate);
    // The seed writes 100,000 rows in seconds and the measurement starts at once; a live
    // database's autovacuum would have gathered statistics on them by the morning run. Without
    // them PostgreSQL plans the consent check (privacy_consent_state) as if the table were
    // empty, and every page scans it whole.
    for (const table of ['accounts_users', 'newsletters_subscriptions', 'privacy_consent_state']) {
      await sql`analyze ${sql.table(table)}`.execute(handle.db);
    }
    await createEdition(handle.db, {
      list: 'pregnancy-weekly',
      stage: week,
      subject: `Week ${week}: what is happening now`,
      body: 'Your baby is growing fast this week.\n\nHere is what to expect, and what helps.',
      status: 'ready',
    });
    const config = loadConfig({
      LOG_LEVEL: 'silent',
      SMTP_URL: smtp.url,
      SECRET_KEY: randomBytes(32).toString('hex'),
      PUBLIC_URL: 'https://hearth.example',
    });
    process.stderr.write(`[${engine}] rendering and enqueueing one edition…\n`);
    const started = process.hrtime.bigint();
    const report = await sendDueNewsletters(handle.db, {
      asOf: today,
      config,
      secretKey: config.secretKey ?? '',
    });
    const enqueueSeconds = Number(process.hrtime.bigint() - started) / 1e9;

    // As after the seed: statistics on the 100,000 new jobs and messages, which autovacuum
    // gathers within a minute on a live database, so the worker's claim query uses its index.
    for (const table of ['jobs', 'outbox']) {
      await sql`analyze ${sql.table(table)}`.execute(handle.db);
    }
    process.stderr.write(`[${engine}] sending for ${SEND_SECONDS} s…\n`);
    const registry = collectJobs([platformJobs]);
    const log = pino({ level: 'silent' });
    const sendStarted = Date.now();
    let sent = 0;
    while (Date.now() - sendStarted < SEND_SECONDS * 1000) {
      const summary = await runDueJobsOnce({
        db: handle.db,
        config,
        registry,
        log,
        concurrency: 16,
        maxJobs: 200,
      });
      sent += summary.done;
      if (summary.done === 0) break;
    }
    const sendRate = sent / ((Date.now() - sendStarted) / 1000);
    return { engine, enqueueSeconds, queued: report.queued, sendRate, sent } satisfies Row;
  } finally {
    closeMailTransports();
    await smtp.close();
    await handle.destroy();
  }
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-bench-news-'));
  try {
    rows.push(await measure('SQLite', { dialect: 'sqlite', file: path.join(dir, 'bench.sqlite') }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const url = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
  if (url) {
    const schema = `bench_${randomBytes(4).toString('hex')}`;
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`create schema ${schema}`);
    try {
      rows.push(await measure('PostgreSQL', { dialect: 'postgres', url, poolSize: 10 }, schema));
    } finally {
      await client.query(`drop schema ${schema} cascade`);
      await client.end();
    }
  }
  const load = os
    .loadavg()
    .map((value) => value.toFixed(2))
    .join(', ');
  const lines = [
    `## Newsletters — ${new Date().toISOString()}`,
    '',
    `${SUBSCRIBERS} Pregnancy Weekly subscribers, one edition; send rate through the outbox worker (concurrency 16) to an SMTP server on loopback for ${SEND_SECONDS} s. ${os.cpus().length} CPUs, load average ${load}.`,
    '',
    '| engine | render + enqueue (s) | mails queued | send rate (messages/s) | sent in the window |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (row) =>
        `| ${row.engine} | ${row.enqueueSeconds.toFixed(1)} | ${row.queued} | ${row.sendRate.toFixed(0)} | ${row.sent} |`,
    ),
    '',
  ];
  const text = lines.join('\n');
  process.stdout.write(`${text}\n`);
  fs.appendFileSync(path.join(import.meta.dirname, 'RESULTS-newsletters.md'), `${text}\n`);
}

await main();
