/**
 * The `mail.send` job: delivers one outbox row through the SMTP relay of SMTP_URL (DKIM-signed
 * when a key is configured), or, without a relay, files it in the mail catcher that admins read.
 *
 * Idempotent: a row already sent is left alone, and the catcher keeps at most one copy per row.
 * Over SMTP, a worker stopping between the relay's acceptance and the database update sends the
 * message again on the retry; the Message-ID is derived from the outbox id, so the copy carries
 * the same Message-ID and receiving systems can recognise it.
 */
import type { Kysely } from 'kysely';
import nodemailer, { type SendMailOptions, type Transporter } from 'nodemailer';
import type { Config } from '../../config/config.js';
import { tablesOf } from '../db/database.js';
import { newId } from '../db/ids.js';
import { nowTime } from '../db/portable.js';
import { PermanentJobError, type JobHandler } from '../jobs/jobs.types.js';
import type { MailTables, OutboxTable } from './mail.tables.js';

/** Replies meaning the mailbox itself is refused or unknown: retrying cannot help (RFC 5321). */
const PERMANENT_SMTP_CODES = new Set([550, 551, 552, 553]);

/**
 * Bounds on every SMTP conversation, so a relay that hangs fails the attempt (and the job is
 * retried) well within the worker's lease instead of holding it.
 */
const SMTP_TIMEOUTS = {
  connectionTimeout: 15_000,
  greetingTimeout: 15_000,
  socketTimeout: 60_000,
} as const;

/** The address part of MAIL_FROM (`Hearth <no-reply@example.org>` → `no-reply@example.org`). */
export function mailFromAddress(config: Config): string {
  const bracketed = /<([^<>\s]+@[^<>\s]+)>\s*$/.exec(config.mailFrom);
  return (bracketed?.[1] ?? config.mailFrom).trim();
}

/** The domain our Message-IDs use: the sender's, else the public URL's host. */
export function mailDomain(config: Config): string {
  const domain = mailFromAddress(config).split('@')[1];
  return domain !== undefined && domain !== '' ? domain : new URL(config.publicUrl).hostname;
}

/** Derived from the outbox id, so every attempt at one message carries the same Message-ID. */
export function messageIdFor(outboxId: string, config: Config): string {
  return `<${outboxId.toLowerCase()}.outbox@${mailDomain(config)}>`;
}

function parseHeaders(json: string | null): Record<string, string> {
  if (json === null) return {};
  const parsed: unknown = JSON.parse(json);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {};
  return Object.fromEntries(
    Object.entries(parsed).filter(
      (entry): entry is [string, string] => typeof entry[1] === 'string',
    ),
  );
}

export function composeMessage(row: OutboxTable, config: Config): SendMailOptions {
  return {
    from: config.mailFrom,
    to: row.to_name ? { name: row.to_name, address: row.to_address } : row.to_address,
    subject: row.subject,
    text: row.text_body,
    ...(row.html_body !== null ? { html: row.html_body } : {}),
    headers: parseHeaders(row.headers),
    messageId: messageIdFor(row.id, config),
  };
}

/**
 * One pooled transport per process, shared by every send: a relay's greeting (often delayed on
 * purpose, against spammers) is paid once per connection, not once per message, which is what
 * makes a newsletter edition to many members practical. Idle connections close after a few
 * seconds; closeMailTransports() closes them at once when the process stops.
 */
let sharedTransport: { key: string; transport: Transporter } | undefined;

function smtpTransport(config: Config & { smtpUrl: string }): Transporter {
  const key = JSON.stringify([config.smtpUrl, config.dkim]);
  if (sharedTransport?.key !== key) {
    sharedTransport?.transport.close();
    const transport = nodemailer.createTransport({
      pool: true,
      url: config.smtpUrl,
      maxConnections: 5,
      idleTimeout: 5_000,
      ...SMTP_TIMEOUTS,
      ...(config.dkim ? { dkim: config.dkim } : {}),
    });
    sharedTransport = { key, transport };
  }
  return sharedTransport.transport;
}

/** Closes the pooled SMTP connections (the jobs plugin calls it when the app closes). */
export function closeMailTransports(): void {
  sharedTransport?.transport.close();
  sharedTransport = undefined;
}

/** Sends through the relay; a refused mailbox is a permanent failure, anything else retries. */
export async function deliverOverSmtp(
  config: Config & { smtpUrl: string },
  message: SendMailOptions,
): Promise<string> {
  try {
    const info = await smtpTransport(config).sendMail(message);
    return info.messageId;
  } catch (error) {
    const code = (error as { responseCode?: unknown }).responseCode;
    if (typeof code === 'number' && PERMANENT_SMTP_CODES.has(code)) {
      throw new PermanentJobError(`The relay refused the recipient (${code})`, { cause: error });
    }
    throw error;
  }
}

/** Builds the exact message the relay would receive (signed when DKIM is configured). */
export async function renderMessage(
  config: Config,
  message: SendMailOptions,
): Promise<{ raw: string; messageId: string }> {
  const transport = nodemailer.createTransport({
    streamTransport: true,
    buffer: true,
    newline: 'windows',
    ...(config.dkim ? { dkim: config.dkim } : {}),
  });
  const info = await transport.sendMail(message);
  const raw = Buffer.isBuffer(info.message) ? info.message.toString('utf8') : '';
  return { raw, messageId: info.messageId };
}

async function markSent(
  db: Kysely<MailTables>,
  outboxId: string,
  messageId: string,
): Promise<void> {
  await db
    .updateTable('outbox')
    .set({ status: 'sent', message_id: messageId, sent_at: nowTime() })
    .where('id', '=', outboxId)
    .where('status', '!=', 'sent')
    .execute();
}

async function catchMail(
  db: Kysely<MailTables>,
  row: OutboxTable,
  config: Config,
  message: SendMailOptions,
): Promise<string> {
  const rendered = await renderMessage(config, message);
  await db.transaction().execute(async (transaction) => {
    await transaction
      .insertInto('mail_catcher')
      .values({
        id: newId(),
        outbox_id: row.id,
        recipient_id: row.recipient_id,
        from_address: config.mailFrom,
        to_address: row.to_address,
        to_name: row.to_name,
        subject: row.subject,
        text_body: row.text_body,
        html_body: row.html_body,
        headers: row.headers,
        category: row.category,
        message_id: rendered.messageId,
        raw_message: rendered.raw,
        caught_at: nowTime(),
      })
      // A second run of the same job finds the copy already filed.
      .onConflict((conflict) => conflict.column('outbox_id').doNothing())
      .execute();
    await markSent(transaction, row.id, rendered.messageId);
  });
  return rendered.messageId;
}

export const sendOutboxMail: JobHandler = async (context, payload) => {
  const outboxId = payload.outboxId;
  if (typeof outboxId !== 'string' || outboxId === '') {
    throw new PermanentJobError('mail.send needs an outboxId');
  }
  const db = tablesOf<MailTables>(context.db);
  const row = await db
    .selectFrom('outbox')
    .selectAll()
    .where('id', '=', outboxId)
    .executeTakeFirst();
  if (!row) {
    // Erased with its recipient, or expired: there is nothing left to send.
    context.log.info({ outboxId }, 'outbox row is gone; nothing to send');
    return;
  }
  if (row.status === 'sent') return;
  const message = composeMessage(row, context.config);
  const { smtpUrl } = context.config;
  try {
    const messageId =
      smtpUrl !== null
        ? await deliverOverSmtp({ ...context.config, smtpUrl }, message)
        : await catchMail(db, row, context.config, message);
    if (smtpUrl !== null) await markSent(db, row.id, messageId);
    context.log.info(
      { outboxId, category: row.category, via: smtpUrl !== null ? 'smtp' : 'catcher' },
      'mail sent',
    );
  } catch (error) {
    const isLastAttempt =
      error instanceof PermanentJobError || context.attempt >= context.maxAttempts;
    if (isLastAttempt) {
      await db
        .updateTable('outbox')
        .set({ status: 'failed' })
        .where('id', '=', outboxId)
        .where('status', '=', 'queued')
        .execute();
    }
    throw error;
  }
};
