/**
 * The outbox (DESIGN.md §2): a message is a row written in the same transaction as the change
 * that causes it, with the `mail.send` job that delivers it. A rolled-back change therefore
 * sends nothing, and a committed one is never lost to a crash between commit and send.
 */
import type { Kysely } from 'kysely';
import { dialectOf, type DbExecutor } from '../db/database.js';
import { newId } from '../db/ids.js';
import { nowTime, unnestInsert } from '../db/portable.js';
import { inTransaction } from '../db/transactions.js';
import { enqueueJobs } from '../jobs/jobs.queue.js';
import type { MailTables, OutboxTable } from './mail.tables.js';

/** The job that delivers one outbox row. */
export const MAIL_SEND_JOB = 'mail.send';

/** Attempts to deliver a message: two to four hours of retries with the default backoff. */
export const MAIL_SEND_MAX_ATTEMPTS = 12;

export interface QueueMailInput {
  /** One recipient address. */
  to: string;
  toName?: string | null;
  /** The member the message is for (null for someone without an account). */
  subjectId?: string | null;
  subject: string;
  text: string;
  html?: string | null;
  /** Extra header lines, e.g. `List-Unsubscribe` and `List-Unsubscribe-Post` (RFC 8058). */
  headers?: Readonly<Record<string, string>>;
  /** What kind of message, e.g. `account.verify-email`, `newsletter.edition`. */
  category: string;
}

/**
 * A malformed message: a caller's mistake, reported with the offending field. Carries the
 * HTTP status so that a route passing input through unchanged answers 400, not 500.
 */
export class MailInputError extends Error {
  readonly code = 'validation_failed';
  readonly statusCode = 400;
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`Mail ${field}: ${message}`);
    this.name = 'MailInputError';
  }
}

const EMAIL =
  /^[^\s@<>()",;:\\[\]]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;
const CATEGORY = /^[a-z][a-z0-9-]*(?:[.:][a-z0-9-]+)*$/;
const HEADER_NAME = /^[A-Za-z0-9][A-Za-z0-9-]{0,75}$/;
const ID_LIKE = /^[A-Za-z0-9._:-]{1,100}$/;
const LINE_BREAK = /[\r\n]/;
/**
 * Headers the composer writes itself: letting a caller set them would forge the sender, add
 * hidden recipients, or break the MIME structure and the DKIM signature.
 */
const RESERVED_HEADERS = new Set([
  'from',
  'sender',
  'to',
  'cc',
  'bcc',
  'subject',
  'date',
  'message-id',
  'mime-version',
  'content-type',
  'content-transfer-encoding',
  'dkim-signature',
  'return-path',
  'received',
]);
const MAX_TEXT = 1_000_000;
const MAX_HTML = 2_000_000;
const MAX_HEADERS = 20;

/** Checks a message before it is stored; throws MailInputError naming the first bad field. */
export function validateMail(input: QueueMailInput): void {
  if (typeof input.to !== 'string' || input.to.length > 254 || !EMAIL.test(input.to)) {
    throw new MailInputError('to', 'must be one email address');
  }
  if (input.toName !== undefined && input.toName !== null) {
    if (typeof input.toName !== 'string' || input.toName.length > 200) {
      throw new MailInputError('toName', 'must be a name of at most 200 characters');
    }
    if (LINE_BREAK.test(input.toName)) {
      throw new MailInputError('toName', 'must be on one line');
    }
  }
  if (input.subjectId !== undefined && input.subjectId !== null && !ID_LIKE.test(input.subjectId)) {
    throw new MailInputError('subjectId', 'must be an id');
  }
  if (typeof input.subject !== 'string' || input.subject.trim() === '') {
    throw new MailInputError('subject', 'is required');
  }
  if (input.subject.length > 500 || LINE_BREAK.test(input.subject)) {
    throw new MailInputError('subject', 'must be one line of at most 500 characters');
  }
  if (typeof input.text !== 'string' || input.text.trim() === '') {
    throw new MailInputError('text', 'a plain-text body is required');
  }
  if (input.text.length > MAX_TEXT) {
    throw new MailInputError('text', `must be at most ${MAX_TEXT} characters`);
  }
  if (input.html !== undefined && input.html !== null) {
    if (typeof input.html !== 'string' || input.html.length > MAX_HTML) {
      throw new MailInputError('html', `must be at most ${MAX_HTML} characters`);
    }
  }
  if (
    typeof input.category !== 'string' ||
    input.category.length > 100 ||
    !CATEGORY.test(input.category)
  ) {
    throw new MailInputError('category', 'must be a lower-case name such as account.verify-email');
  }
  const headers = Object.entries(input.headers ?? {});
  if (headers.length > MAX_HEADERS) {
    throw new MailInputError('headers', `at most ${MAX_HEADERS} extra headers`);
  }
  for (const [name, value] of headers) {
    if (!HEADER_NAME.test(name)) {
      throw new MailInputError('headers', `"${name.slice(0, 80)}" is not a header name`);
    }
    if (RESERVED_HEADERS.has(name.toLowerCase())) {
      throw new MailInputError('headers', `${name} is set by the mailer and cannot be overridden`);
    }
    if (typeof value !== 'string' || LINE_BREAK.test(value) || value.length > 998) {
      throw new MailInputError('headers', `${name} must be one line of at most 998 characters`);
    }
  }
}

export interface QueuedMail {
  outboxId: string;
  jobId: string;
}

/**
 * Writes the message and its `mail.send` job. Pass the transaction of the change that causes
 * the message; given a plain handle, both rows are written in a transaction of their own.
 */
export async function queueMail<T>(
  executor: Kysely<T>,
  input: QueueMailInput,
): Promise<QueuedMail> {
  const [queued] = await queueMails(executor, [input]);
  if (!queued) throw new Error('The mail was not queued');
  return queued;
}

/** Rows per multi-row outbox insert, under both engines' parameter limits. */
const OUTBOX_INSERT_CHUNK = 500;

/** Rows per statement when the outbox rows travel as arrays (PostgreSQL). */
const OUTBOX_ARRAY_CHUNK = 5_000;

const OUTBOX_COLUMNS = [
  'id',
  'recipient_id',
  'to_address',
  'to_name',
  'subject',
  'text_body',
  'html_body',
  'headers',
  'category',
  'status',
  'message_id',
  'created_at',
  'sent_at',
] as const satisfies readonly (keyof OutboxTable)[];

/** PostgreSQL: the outbox rows as one text array per column (portable.ts `unnestInsert`). */
async function insertOutboxArrays(
  db: Kysely<MailTables>,
  rows: readonly OutboxTable[],
): Promise<void> {
  for (let start = 0; start < rows.length; start += OUTBOX_ARRAY_CHUNK) {
    await unnestInsert(
      'outbox',
      OUTBOX_COLUMNS,
      rows.slice(start, start + OUTBOX_ARRAY_CHUNK),
    ).execute(db);
  }
}

/**
 * Writes many messages and their `mail.send` jobs with multi-row inserts (a newsletter edition
 * to thousands of subscribers), in the caller's transaction or one of its own.
 */
export async function queueMails<T>(
  executor: Kysely<T>,
  inputs: readonly QueueMailInput[],
): Promise<QueuedMail[]> {
  for (const input of inputs) validateMail(input);
  if (!executor.isTransaction) {
    return inTransaction(executor as unknown as DbExecutor, (transaction) =>
      queueMails(transaction as unknown as Kysely<T>, inputs),
    );
  }
  const db = executor as unknown as Kysely<MailTables>;
  const createdAt = nowTime();
  const rows: OutboxTable[] = inputs.map((input) => {
    const headers = Object.entries(input.headers ?? {});
    return {
      id: newId(),
      recipient_id: input.subjectId ?? null,
      to_address: input.to,
      to_name: input.toName ?? null,
      subject: input.subject,
      text_body: input.text,
      html_body: input.html ?? null,
      headers: headers.length > 0 ? JSON.stringify(Object.fromEntries(headers)) : null,
      category: input.category,
      status: 'queued',
      message_id: null,
      created_at: createdAt,
      sent_at: null,
    };
  });
  if (rows.length > 1 && dialectOf(db) === 'postgres') {
    await insertOutboxArrays(db, rows);
  } else {
    for (let start = 0; start < rows.length; start += OUTBOX_INSERT_CHUNK) {
      await db
        .insertInto('outbox')
        .values(rows.slice(start, start + OUTBOX_INSERT_CHUNK))
        .execute();
    }
  }
  const jobIds = await enqueueJobs(
    executor,
    rows.map((row) => ({
      name: MAIL_SEND_JOB,
      payload: { outboxId: row.id },
      options: {
        maxAttempts: MAIL_SEND_MAX_ATTEMPTS,
        ...(row.recipient_id ? { subjectId: row.recipient_id } : {}),
      },
    })),
  );
  return rows.map((row, index) => ({ outboxId: row.id, jobId: jobIds[index] ?? '' }));
}
