import { generateKeyPairSync } from 'node:crypto';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Config } from '../../config/config.js';
import { describeEachDialect } from '../../../test/helpers/dialects.js';
import { testConfig } from '../../../test/helpers/config.js';
import { readJob, silentLog } from '../../../test/helpers/jobs.js';
import {
  parseMessage,
  startSmtpCapture,
  verifyDkim,
  type SmtpCapture,
} from '../../../test/helpers/smtp.js';
import { collectJobs } from '../jobs/jobs.types.js';
import { platformJobs } from '../jobs/platform.jobs.js';
import { runDueJobsOnce } from '../jobs/jobs.worker.js';
import { queueMail, type QueueMailInput } from './mail.outbox.js';
import { closeMailTransports } from './mail.send.js';
import type { MailTables } from './mail.tables.js';

const registry = collectJobs([platformJobs]);

function outbox<T>(db: Kysely<T>, id: string) {
  return (db as unknown as Kysely<MailTables>)
    .selectFrom('outbox')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
}

const newsletter: QueueMailInput = {
  to: 'jane@example.com',
  toName: 'Jane Doe',
  subjectId: '01JDXK5Q2V8W9Y0Z1A2B3C4D5E',
  subject: 'Week 20: your baby is the size of a banana',
  text: 'Hello Jane,\n\nThis week: café-friendly buggies and sleep tips.\n',
  html: '<h1>Week 20</h1><p>Hello Jane, this week: café-friendly buggies.</p>',
  headers: {
    'List-Unsubscribe': '<https://hearth.example.org/unsubscribe/tok123>',
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  },
  category: 'newsletter.edition',
};

describeEachDialect('mail through a real SMTP relay', (current) => {
  let smtp: SmtpCapture;
  beforeAll(async () => {
    smtp = await startSmtpCapture();
  });
  afterAll(async () => {
    closeMailTransports();
    await smtp.close();
  });

  const configWith = (env: Record<string, string> = {}): Config =>
    testConfig({
      SMTP_URL: smtp.url,
      PUBLIC_URL: 'https://hearth.example.org',
      MAIL_FROM: 'Hearth <hello@hearth.example.org>',
      ...env,
    });
  const run = (config: Config) =>
    runDueJobsOnce({
      db: current().db,
      config,
      registry,
      log: silentLog,
      backoff: { baseMs: 60_000, maxMs: 60_000 },
    });

  it('delivers From, To, Subject, Message-ID, extra headers and both bodies', async () => {
    const db = current().db;
    const config = configWith();
    const { outboxId, jobId } = await queueMail(db, newsletter);
    const before = smtp.messages.length;
    expect((await run(config)).done).toBe(1);
    expect(smtp.messages).toHaveLength(before + 1);
    const received = smtp.messages[before];
    expect(received?.envelope).toEqual({
      from: 'hello@hearth.example.org',
      to: ['jane@example.com'],
    });
    const parsed = parseMessage(received?.raw ?? '');
    const row = await outbox(db, outboxId);
    expect(row.status).toBe('sent');
    expect(row.message_id).toBe(`<${outboxId.toLowerCase()}.outbox@hearth.example.org>`);
    expect(parsed.header('from')).toBe('Hearth <hello@hearth.example.org>');
    expect(parsed.header('to')).toBe('Jane Doe <jane@example.com>');
    expect(parsed.header('subject')).toBe(newsletter.subject);
    expect(parsed.header('message-id')).toBe(row.message_id);
    expect(parsed.header('list-unsubscribe')).toBe(
      '<https://hearth.example.org/unsubscribe/tok123>',
    );
    expect(parsed.header('list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
    expect(parsed.header('dkim-signature')).toBeUndefined();
    expect(parsed.parts.get('text/plain')).toBe(newsletter.text);
    expect(parsed.parts.get('text/html')).toBe(newsletter.html);
    expect(await readJob(db, jobId)).toMatchObject({ status: 'done', attempts: 1 });
  });

  it('signs with DKIM when a key is configured, and the signature verifies', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const config = configWith({
      DKIM_DOMAIN: 'hearth.example.org',
      DKIM_SELECTOR: 'hearth2026',
      DKIM_PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    });
    await queueMail(current().db, newsletter);
    const before = smtp.messages.length;
    expect((await run(config)).done).toBe(1);
    const raw = smtp.messages[before]?.raw ?? '';
    const result = verifyDkim(raw, publicKey);
    expect(result.tags).toMatchObject({ v: '1', d: 'hearth.example.org', s: 'hearth2026' });
    const signedHeaders = (result.tags.h ?? '').toLowerCase().split(':');
    for (const header of ['from', 'to', 'subject', 'message-id', 'list-unsubscribe-post']) {
      expect(signedHeaders).toContain(header);
    }
    expect(result.bodyHashMatches).toBe(true);
    expect(result.signatureVerifies).toBe(true);

    // The check can fail: a changed subject or body no longer verifies.
    const forgedSubject = raw.replace(newsletter.subject, 'Week 21: a different subject!');
    expect(verifyDkim(forgedSubject, publicKey).signatureVerifies).toBe(false);
    const forgedBody = raw.replace('sleep tips', 'sleep trips');
    expect(verifyDkim(forgedBody, publicKey).bodyHashMatches).toBe(false);
    const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
    expect(verifyDkim(raw, otherKey).signatureVerifies).toBe(false);
  });

  it('retries when the relay says try later, keeping the message queued', async () => {
    const db = current().db;
    smtp.refuse.set('busy@example.com', 451);
    const { outboxId, jobId } = await queueMail(db, { ...newsletter, to: 'busy@example.com' });
    expect((await run(configWith())).retried).toBe(1);
    const job = await readJob(db, jobId);
    expect(job).toMatchObject({ status: 'queued', attempts: 1 });
    expect(job.last_error).not.toContain('busy@example.com');
    expect((await outbox(db, outboxId)).status).toBe('queued');
  });

  it('gives up at once when the relay refuses the mailbox, and says so on the outbox row', async () => {
    const db = current().db;
    smtp.refuse.set('gone@example.com', 550);
    const { outboxId, jobId } = await queueMail(db, { ...newsletter, to: 'gone@example.com' });
    expect((await run(configWith())).dead).toBe(1);
    const job = await readJob(db, jobId);
    expect(job).toMatchObject({ status: 'dead', attempts: 1 });
    expect(job.last_error).toMatch(/refused the recipient \(550\)/);
    expect((await outbox(db, outboxId)).status).toBe('failed');
  });

  it('retries when no relay answers at all', async () => {
    const db = current().db;
    const closed = await startSmtpCapture();
    await closed.close();
    const { outboxId, jobId } = await queueMail(db, newsletter);
    expect((await run(configWith({ SMTP_URL: closed.url }))).retried).toBe(1);
    expect(await readJob(db, jobId)).toMatchObject({ status: 'queued', attempts: 1 });
    expect((await outbox(db, outboxId)).status).toBe('queued');
  });
});
