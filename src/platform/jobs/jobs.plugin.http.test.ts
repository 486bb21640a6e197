import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { afterEach, expect, it } from 'vitest';
import { buildTestApp } from '../../../test/helpers/app.js';
import { describeEachDialect } from '../../../test/helpers/dialects.js';
import { readJob, waitUntil } from '../../../test/helpers/jobs.js';
import type { HearthModule } from '../module.js';
import { queueMail } from '../mail/mail.outbox.js';
import type { MailTables } from '../mail/mail.tables.js';
import { enqueueJob } from './jobs.queue.js';

const mail = {
  to: 'sam@example.com',
  subject: 'Welcome to Hearth',
  text: 'Hello Sam',
  category: 'account.welcome',
};

async function outboxStatus<T>(db: Kysely<T>, id: string): Promise<string> {
  const row = await (db as unknown as Kysely<MailTables>)
    .selectFrom('outbox')
    .select('status')
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  return row.status;
}

describeEachDialect('jobs plugin', (current) => {
  let app: FastifyInstance | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('runs the worker in a process that runs it, and sends queued mail', async () => {
    app = await buildTestApp(current(), { startWorker: true });
    const { outboxId } = await queueMail(app.db, mail);
    await waitUntil(
      async () => (await outboxStatus(current().db, outboxId)) === 'sent',
      10_000,
      'the worker to send the mail',
    );
  });

  it('leaves jobs alone in a process that does not, until runDueJobs() is called', async () => {
    app = await buildTestApp(current());
    const { outboxId } = await queueMail(app.db, mail);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await outboxStatus(current().db, outboxId)).toBe('queued');
    expect(await app.runDueJobs()).toMatchObject({ done: 1, dead: 0 });
    expect(await outboxStatus(current().db, outboxId)).toBe('sent');
  });

  it('on close stops claiming and waits for the job in flight', async () => {
    const started: string[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const fixture: HearthModule = {
      name: 'fixture',
      dataMap: {},
      jobs: {
        'fixture.slow': async (context) => {
          started.push(context.jobId);
          await gate;
        },
      },
    };
    app = await buildTestApp(current(), { startWorker: true, modules: [fixture] });
    const { jobId } = await enqueueJob(app.db, 'fixture.slow', {});
    await waitUntil(() => started.length === 1, 10_000, 'the slow job to start');
    let isClosed = false;
    const closing = app.close().then(() => (isClosed = true));
    app = undefined;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(isClosed).toBe(false);
    release();
    await closing;
    expect(await readJob(current().db, jobId ?? '')).toMatchObject({ status: 'done' });
    const { jobId: afterClose } = await enqueueJob(current().db, 'fixture.slow', {});
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await readJob(current().db, afterClose ?? '')).toMatchObject({ status: 'queued' });
  });
});
