/**
 * The mail catcher: without SMTP_URL every message is filed here instead of sent, and admins
 * read it in /admin (DESIGN.md §2). Newest first, cursor-paginated (DESIGN.md §6 lists).
 */
import type { Kysely } from 'kysely';
import { MailInputError } from './mail.outbox.js';
import type { MailCatcherTable, MailTables } from './mail.tables.js';

export interface CaughtMailSummary {
  id: string;
  outboxId: string;
  to: string;
  toName: string | null;
  subject: string;
  category: string;
  messageId: string;
  caughtAt: string;
}

export interface CaughtMail extends CaughtMailSummary {
  recipientId: string | null;
  from: string;
  text: string;
  html: string | null;
  headers: Record<string, string>;
  /** The message as it would have gone out, headers and MIME parts included. */
  raw: string;
}

export const CAUGHT_MAIL_DEFAULT_LIMIT = 20;
export const CAUGHT_MAIL_MAX_LIMIT = 100;
/** Ids are ULIDs (ids.ts): a cursor is the id of the last item shown. */
const CURSOR = /^[0-9A-HJKMNP-TV-Z]{26}$/;

function summarise(
  row: Omit<
    MailCatcherTable,
    'raw_message' | 'text_body' | 'html_body' | 'headers' | 'from_address' | 'recipient_id'
  >,
): CaughtMailSummary {
  return {
    id: row.id,
    outboxId: row.outbox_id,
    to: row.to_address,
    toName: row.to_name,
    subject: row.subject,
    category: row.category,
    messageId: row.message_id,
    caughtAt: row.caught_at,
  };
}

export async function listCaughtMail<T>(
  executor: Kysely<T>,
  options: { limit?: number; cursor?: string | null } = {},
): Promise<{ items: CaughtMailSummary[]; nextCursor: string | null }> {
  const limit = options.limit ?? CAUGHT_MAIL_DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > CAUGHT_MAIL_MAX_LIMIT) {
    throw new MailInputError('limit', `must be a whole number from 1 to ${CAUGHT_MAIL_MAX_LIMIT}`);
  }
  const cursor = options.cursor ?? null;
  if (cursor !== null && !CURSOR.test(cursor)) {
    throw new MailInputError('cursor', 'is not a cursor from this list');
  }
  const db = executor as unknown as Kysely<MailTables>;
  let query = db
    .selectFrom('mail_catcher')
    .select([
      'id',
      'outbox_id',
      'to_address',
      'to_name',
      'subject',
      'category',
      'message_id',
      'caught_at',
    ])
    .orderBy('id', 'desc')
    .limit(limit + 1);
  if (cursor !== null) query = query.where('id', '<', cursor);
  const rows = await query.execute();
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map(summarise),
    nextCursor: rows.length > limit && last ? last.id : null,
  };
}

export async function getCaughtMail<T>(
  executor: Kysely<T>,
  id: string,
): Promise<CaughtMail | undefined> {
  if (!CURSOR.test(id)) return undefined;
  const db = executor as unknown as Kysely<MailTables>;
  const row = await db
    .selectFrom('mail_catcher')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) return undefined;
  const headers: unknown = row.headers === null ? {} : JSON.parse(row.headers);
  return {
    ...summarise(row),
    recipientId: row.recipient_id,
    from: row.from_address,
    text: row.text_body,
    html: row.html_body,
    headers:
      typeof headers === 'object' && headers !== null
        ? Object.fromEntries(
            Object.entries(headers).filter(
              (entry): entry is [string, string] => typeof entry[1] === 'string',
            ),
          )
        : {},
    raw: row.raw_message,
  };
}
