import type { Kysely } from 'kysely';
import { expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/helpers/dialects.js';
import { testConfig } from '../../../test/helpers/config.js';
import { jobsNamed, readJob, silentLog } from '../../../test/helpers/jobs.js';
import { parseMessage } from '../../../test/helpers/smtp.js';
import { collectJobs } from '../jobs/jobs.types.js';
import { platformJobs } from '../jobs/platform.jobs.js';
import { enqueueJob } from '../jobs/jobs.queue.js';
import { runDueJobsOnce } from '../jobs/jobs.worker.js';
import { getCaughtMail, listCaughtMail } from './mail.catcher.js';
import {
  MAIL_SEND_JOB,
  MailInputError,
  queueMail,
  queueMails,
  type QueueMailInput,
} from './mail.outbox.js';
import type { MailTables } from './mail.tables.js';

const config = testConfig({
  PUBLIC_URL: 'https://hearth.example.org',
  MAIL_FROM: 'Hearth <hello@hearth.example.org>',
});
const registry = collectJobs([platformJobs]);

function mailTables<T>(db: Kysely<T>): Kysely<MailTables> {
  return db as unknown as Kysely<MailTables>;
}

function message(overrides: Partial<QueueMailInput> = {}): QueueMailInput {
  return {
    to: 'jane@example.com',
    toName: 'Jane Doe',
    subjectId: '01JDXK5Q2V8W9Y0Z1A2B3C4D5E',
    subject: 'Please confirm your email',
    text: 'Hello Jane,\n\nConfirm here: https://hearth.example.org/verify/abc\n',
    html: '<p>Hello Jane,</p><p><a href="https://hearth.example.org/verify/abc">Confirm</a></p>',
    category: 'account.verify-email',
    ...overrides,
  };
}

describeEachDialect('mail outbox and catcher', (current) => {
  const run = () => runDueJobsOnce({ db: current().db, config, registry, log: silentLog });

  it("writes the message and its mail.send job (ids only) in the caller's transaction", async () => {
    const db = current().db;
    const queued = await db
      .transaction()
      .execute((transaction) => queueMail(transaction, message()));
    const row = await mailTables(db)
      .selectFrom('outbox')
      .selectAll()
      .where('id', '=', queued.outboxId)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      to_address: 'jane@example.com',
      to_name: 'Jane Doe',
      recipient_id: '01JDXK5Q2V8W9Y0Z1A2B3C4D5E',
      status: 'queued',
      category: 'account.verify-email',
      headers: null,
    });
    const job = await readJob(db, queued.jobId);
    expect(job.name).toBe(MAIL_SEND_JOB);
    expect(JSON.parse(job.payload)).toEqual({ outboxId: queued.outboxId });
    expect(job.subject_id).toBe('01JDXK5Q2V8W9Y0Z1A2B3C4D5E');
    expect(job.payload).not.toContain('jane');
    await run();
  });

  it('writes many messages in one go, each byte for byte with its own job (arrays on PostgreSQL)', async () => {
    const db = current().db;
    const inputs: QueueMailInput[] = [
      message({
        to: 'a@example.com',
        toName: 'Zoë "Z" O\'Neil',
        text: 'Back\\slash, {braces}, "quotes", NULL\n',
      }),
      message({ to: 'b@example.com', toName: null, subjectId: null, html: null, headers: {} }),
      message({
        to: 'c@example.com',
        text: 'Ünïcödé 👶 and a comma, and a tab\t.',
        headers: {
          'List-Unsubscribe': '<https://hearth.example.org/newsletters/unsubscribe?token=v1.a.b>',
          'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
        },
        category: 'newsletter',
      }),
    ];
    const queued = await queueMails(db, inputs);
    expect(new Set(queued.map((entry) => entry.outboxId)).size).toBe(3);
    for (const [index, entry] of queued.entries()) {
      const input = inputs[index]!;
      const row = await mailTables(db)
        .selectFrom('outbox')
        .selectAll()
        .where('id', '=', entry.outboxId)
        .executeTakeFirstOrThrow();
      expect(row).toMatchObject({
        to_address: input.to,
        to_name: input.toName ?? null,
        recipient_id: input.subjectId ?? null,
        subject: input.subject,
        text_body: input.text,
        html_body: input.html ?? null,
        headers:
          input.headers && Object.keys(input.headers).length > 0
            ? JSON.stringify(input.headers)
            : null,
        category: input.category,
        status: 'queued',
        message_id: null,
        sent_at: null,
      });
      const job = await readJob(db, entry.jobId);
      expect(job.name).toBe(MAIL_SEND_JOB);
      expect(JSON.parse(job.payload)).toEqual({ outboxId: entry.outboxId });
    }
    await run();
  });

  it("writes nothing when the caller's transaction rolls back", async () => {
    const db = current().db;
    const subject = 'A message that must never exist';
    await expect(
      db.transaction().execute(async (transaction) => {
        await queueMail(transaction, message({ subject }));
        throw new Error('registration failed');
      }),
    ).rejects.toThrow('registration failed');
    const rows = await mailTables(db)
      .selectFrom('outbox')
      .select('id')
      .where('subject', '=', subject)
      .execute();
    expect(rows).toEqual([]);
    const jobs = await jobsNamed(db, MAIL_SEND_JOB);
    const outboxIds = new Set(
      (await mailTables(db).selectFrom('outbox').select('id').execute()).map((row) => row.id),
    );
    const payloads = jobs.map((job) => JSON.parse(job.payload) as { outboxId: string });
    expect(payloads.every((payload) => outboxIds.has(payload.outboxId))).toBe(true);
  });

  it('refuses malformed messages with the field at fault and writes nothing', async () => {
    const db = current().db;
    const before = (await jobsNamed(db, MAIL_SEND_JOB)).length;
    const cases: [Partial<QueueMailInput>, string][] = [
      [{ to: 'not-an-address' }, 'to'],
      [{ to: 'jane@example.com, eve@example.com' }, 'to'],
      [{ subject: 'Hi\r\nBcc: eve@example.com' }, 'subject'],
      [{ toName: 'Jane\nBcc: eve@example.com' }, 'toName'],
      [{ text: '   ' }, 'text'],
      [{ category: 'Account Mail' }, 'category'],
      [{ headers: { Bcc: 'eve@example.com' } }, 'headers'],
      [{ headers: { 'List-Unsubscribe': '<https://x>\r\nBcc: eve@example.com' } }, 'headers'],
      [{ subjectId: 'jane@example.com' }, 'subjectId'],
    ];
    for (const [overrides, field] of cases) {
      const attempt = queueMail(db, message(overrides));
      await expect(attempt).rejects.toBeInstanceOf(MailInputError);
      await expect(queueMail(db, message(overrides))).rejects.toMatchObject({
        field,
        statusCode: 400,
      });
    }
    expect(await jobsNamed(db, MAIL_SEND_JOB)).toHaveLength(before);
  });

  it('without SMTP_URL files the message in the mail catcher and marks it sent', async () => {
    const db = current().db;
    const { outboxId, jobId } = await queueMail(
      db,
      message({ headers: { 'List-Unsubscribe': '<https://hearth.example.org/u/xyz>' } }),
    );
    expect((await run()).done).toBeGreaterThanOrEqual(1);
    expect(await readJob(db, jobId)).toMatchObject({ status: 'done' });

    const outbox = await mailTables(db)
      .selectFrom('outbox')
      .selectAll()
      .where('id', '=', outboxId)
      .executeTakeFirstOrThrow();
    expect(outbox.status).toBe('sent');
    expect(outbox.message_id).toBe(`<${outboxId.toLowerCase()}.outbox@hearth.example.org>`);
    expect(outbox.sent_at).not.toBeNull();

    const page = await listCaughtMail(db, { limit: 100 });
    const summary = page.items.find((item) => item.outboxId === outboxId);
    expect(summary).toMatchObject({
      to: 'jane@example.com',
      toName: 'Jane Doe',
      subject: 'Please confirm your email',
      category: 'account.verify-email',
      messageId: outbox.message_id,
    });
    const caught = await getCaughtMail(db, summary?.id ?? '');
    expect(caught).toMatchObject({
      from: 'Hearth <hello@hearth.example.org>',
      text: message().text,
      html: message().html,
      headers: { 'List-Unsubscribe': '<https://hearth.example.org/u/xyz>' },
      recipientId: '01JDXK5Q2V8W9Y0Z1A2B3C4D5E',
    });
    const parsed = parseMessage(caught?.raw ?? '');
    expect(parsed.header('message-id')).toBe(outbox.message_id);
    expect(parsed.header('to')).toBe('Jane Doe <jane@example.com>');
    expect(parsed.header('list-unsubscribe')).toBe('<https://hearth.example.org/u/xyz>');
    expect(parsed.parts.get('text/plain')).toBe(message().text);
    expect(parsed.parts.get('text/html')).toBe(message().html);
    expect(await getCaughtMail(db, 'no-such-id')).toBeUndefined();
  });

  it('is idempotent: running the send job again files no second copy', async () => {
    const db = current().db;
    const { outboxId } = await queueMail(db, message({ subject: 'Sent once only' }));
    await run();
    // A retry of the same row (as after a lost lease) and a handler run on an already-sent row.
    await mailTables(db)
      .updateTable('outbox')
      .set({ status: 'queued' })
      .where('id', '=', outboxId)
      .execute();
    await enqueueJob(db, MAIL_SEND_JOB, { outboxId });
    await enqueueJob(db, MAIL_SEND_JOB, { outboxId });
    expect((await run()).done).toBe(2);
    const copies = await mailTables(db)
      .selectFrom('mail_catcher')
      .select('id')
      .where('outbox_id', '=', outboxId)
      .execute();
    expect(copies).toHaveLength(1);
    const outbox = await mailTables(db)
      .selectFrom('outbox')
      .select('status')
      .where('id', '=', outboxId)
      .executeTakeFirstOrThrow();
    expect(outbox.status).toBe('sent');
  });

  it('sends nothing, and succeeds, when the outbox row was erased before the job ran', async () => {
    const db = current().db;
    const { outboxId, jobId } = await queueMail(db, message({ subject: 'Erased before sending' }));
    await mailTables(db).deleteFrom('outbox').where('id', '=', outboxId).execute();
    await run();
    expect(await readJob(db, jobId)).toMatchObject({ status: 'done' });
    const copies = await mailTables(db)
      .selectFrom('mail_catcher')
      .select('id')
      .where('outbox_id', '=', outboxId)
      .execute();
    expect(copies).toEqual([]);
  });

  it('pages caught mail newest first with a cursor, and refuses a bad cursor or limit', async () => {
    const db = current().db;
    for (const subject of ['Page one', 'Page two', 'Page three']) {
      await queueMail(db, message({ subject }));
    }
    await run();
    const all = await listCaughtMail(db, { limit: 100 });
    expect(all.nextCursor).toBeNull();
    expect(all.items.length).toBeGreaterThanOrEqual(3);
    const ids = all.items.map((item) => item.id);
    expect(ids).toEqual([...ids].sort().reverse());
    expect(
      all.items
        .slice(0, 3)
        .map((item) => item.subject)
        .sort(),
    ).toEqual(['Page one', 'Page three', 'Page two']);
    const first = await listCaughtMail(db, { limit: 2 });
    expect(first.items.map((item) => item.id)).toEqual(ids.slice(0, 2));
    expect(first.nextCursor).toBe(ids[1]);
    const second = await listCaughtMail(db, { limit: 2, cursor: first.nextCursor });
    expect(second.items.map((item) => item.id)).toEqual(ids.slice(2, 4));
    const last = await listCaughtMail(db, { limit: 100, cursor: ids[ids.length - 2] ?? null });
    expect(last).toEqual({ items: [all.items[all.items.length - 1]], nextCursor: null });
    await expect(listCaughtMail(db, { cursor: "x' or 1=1" })).rejects.toMatchObject({
      field: 'cursor',
    });
    await expect(listCaughtMail(db, { limit: 0 })).rejects.toMatchObject({ field: 'limit' });
    await expect(listCaughtMail(db, { limit: 101 })).rejects.toBeInstanceOf(MailInputError);
  });
});
