import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../test/helpers/config.js';
import {
  DIALECTS,
  TEST_DATABASE_URL,
  createTestDatabase,
  type TestDatabase,
} from '../../test/helpers/dialects.js';
import { waitUntil } from '../../test/helpers/jobs.js';
import { startSmtpCapture } from '../../test/helpers/smtp.js';
import { runCli } from '../cli.js';
import { queueMail } from '../platform/mail/mail.outbox.js';
import type { MailTables } from '../platform/mail/mail.tables.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The environment a `hearth` process needs to reach the test database. */
function environmentFor(database: TestDatabase): Record<string, string> {
  const common = {
    LOG_LEVEL: 'silent',
    DATA_DIR: makeTempDir(),
    SECRET_KEY: 'test-secret-key-that-is-long-enough-0123456789',
  };
  if (database.databaseConfig.dialect === 'sqlite') {
    return { ...common, DATABASE_URL: `sqlite:${database.databaseConfig.file}` };
  }
  const url = new URL(TEST_DATABASE_URL);
  url.searchParams.set('options', `-c search_path=${database.schema ?? 'public'}`);
  return { ...common, DATABASE_URL: url.toString() };
}

function capture(env: Record<string, string>) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: { out: (line: string) => out.push(line), err: (line: string) => err.push(line), env },
  };
}

async function outboxStatus<T>(db: Kysely<T>, id: string): Promise<string | undefined> {
  const row = await (db as unknown as Kysely<MailTables>)
    .selectFrom('outbox')
    .select('status')
    .where('id', '=', id)
    .executeTakeFirst();
  return row?.status;
}

describe('hearth worker --help', () => {
  it('explains the command, --once and shutdown', async () => {
    const { out, io } = capture({});
    expect(await runCli(['worker', '--help'], io)).toBe(0);
    const text = out.join('\n');
    expect(text).toMatch(/Usage: hearth worker/);
    expect(text).toMatch(/--once/);
    expect(text).toMatch(/SIGTERM/);
  });

  it('is listed in the overview', async () => {
    const { out, io } = capture({});
    expect(await runCli(['--help'], io)).toBe(0);
    expect(out.join('\n')).toMatch(/worker\s+Migrate the database, then run background jobs/);
  });
});

for (const dialect of DIALECTS) {
  describe(`hearth worker [${dialect}]`, () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await createTestDatabase(dialect, { migrate: false });
    });
    afterAll(async () => {
      await database.destroy();
    });

    it('--once migrates, runs what is due, prints the counts and exits', async () => {
      const env = environmentFor(database);
      const first = capture(env);
      expect(await runCli(['worker', '--once'], first.io)).toBe(0);
      expect(first.err.join('\n')).toMatch(/applied migration 20261129_0003_jobs_mail/);
      expect(first.err.join('\n')).toMatch(/Job types: .*mail\.send/);
      expect(first.out).toEqual(['Ran jobs: 0 done, 0 to retry, 0 dead.']);

      const { outboxId } = await queueMail(database.db, {
        to: 'ada@example.com',
        subject: 'Hello',
        text: 'Hello Ada',
        category: 'account.welcome',
      });
      const second = capture(env);
      expect(await runCli(['worker', '--once'], second.io)).toBe(0);
      expect(second.err.join('\n')).not.toMatch(/applied migration/);
      expect(second.err.join('\n')).toMatch(/Queue: 1 queued/);
      expect(second.out).toEqual(['Ran jobs: 1 done, 0 to retry, 0 dead.']);
      expect(await outboxStatus(database.db, outboxId)).toBe('sent');
    });

    it('runs until SIGTERM, then finishes the job in flight and exits 0', async () => {
      // The relay holds its reply to the message, so the send is in flight when the signal comes.
      let releaseReply: () => void = () => {};
      const holdDataReply = new Promise<void>((resolve) => (releaseReply = resolve));
      let dataStarted = false;
      const slowSmtp = await startSmtpCapture({
        beforeDataReply: async () => {
          dataStarted = true;
          await holdDataReply;
        },
      });
      const env = { ...process.env, ...environmentFor(database), SMTP_URL: slowSmtp.url };
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'worker'], {
        cwd: ROOT,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      try {
        await waitUntil(() => stderr.includes('Hearth worker is running'), 30_000, 'the worker');
        const { outboxId } = await queueMail(database.db, {
          to: 'grace@example.com',
          subject: 'In flight',
          text: 'Hello Grace',
          category: 'account.welcome',
        });
        await waitUntil(() => dataStarted, 15_000, 'the send to start');
        child.kill('SIGTERM');
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(child.exitCode).toBeNull();
        releaseReply();
        expect(await exited).toBe(0);
        expect(stderr).toMatch(/SIGTERM: finishing in-flight work/);
        expect(stderr).toMatch(/Hearth worker stopped/);
        expect(slowSmtp.messages).toHaveLength(1);
        expect(await outboxStatus(database.db, outboxId)).toBe('sent');
      } finally {
        releaseReply();
        if (child.exitCode === null) child.kill('SIGKILL');
        await slowSmtp.close();
      }
    }, 60_000);
  });
}
