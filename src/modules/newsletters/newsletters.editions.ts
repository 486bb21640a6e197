/**
 * Editions: the letters editors write. A general list has issues, each with the day it goes out;
 * Pregnancy Weekly has one edition per week of pregnancy (1–42), Baby Monthly one per month of a
 * baby's age. Which edition a subscriber is due is computed from their dates at sending
 * (newsletters.sending.ts); this file only stores and checks what editors write.
 */
import type { Kysely } from 'kysely';
import { tablesOf, type DbExecutor } from '../../platform/db/database.js';
import { newId } from '../../platform/db/ids.js';
import { isUniqueViolation, toDbTime } from '../../platform/db/portable.js';
import { AppError } from '../../platform/http/errors.js';
import type { NewsletterKind } from './newsletters.tables.js';
import type {
  EditionStatus,
  EditionsTable,
  EditionsTables,
} from './newsletters.editions.tables.js';

/** Pregnancy Weekly ends after week 42: later than that a pregnancy has ended. */
export const LAST_PREGNANCY_WEEK = 42;
/** Baby Monthly runs from the first month (0: the weeks after birth) to the third birthday. */
export const LAST_BABY_MONTH = 36;
export const MAX_SUBJECT_LENGTH = 200;
export const MAX_BODY_LENGTH = 100_000;

export interface Edition {
  id: string;
  list: string;
  kind: NewsletterKind;
  /** Week of pregnancy or month of age; null for a general issue. */
  stage: number | null;
  /** YYYY-MM-DD; general issues only. */
  sendOn: string | null;
  subject: string;
  body: string;
  status: EditionStatus;
  createdAt: string;
  updatedAt: string;
}

export interface EditionInput {
  list: string;
  stage?: number | null;
  sendOn?: string | null;
  subject: string;
  body: string;
  status: EditionStatus;
}

function tables(db: DbExecutor): Kysely<EditionsTables> {
  return tablesOf<EditionsTables>(db);
}

function isCalendarDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
}

/**
 * Checks an edition against its list's kind; returns field errors (empty when fine). A general
 * issue needs a day and no stage; a life-stage edition a stage in range and no day.
 */
export function editionErrors(
  input: EditionInput,
  kind: NewsletterKind | undefined,
): Record<string, string> {
  const errors: Record<string, string> = {};
  if (kind === undefined) errors.list = 'Choose a newsletter that exists.';
  const subject = input.subject.trim();
  if (subject.length === 0) errors.subject = 'Enter a subject.';
  else if (subject.length > MAX_SUBJECT_LENGTH || /[\r\n]/.test(subject)) {
    errors.subject = `Enter a subject on one line of at most ${MAX_SUBJECT_LENGTH} characters.`;
  }
  if (input.body.trim().length === 0) errors.body = 'Write the letter.';
  else if (input.body.length > MAX_BODY_LENGTH) {
    errors.body = `Keep the letter under ${MAX_BODY_LENGTH} characters.`;
  }
  const stage = input.stage ?? null;
  const sendOn = input.sendOn ?? null;
  if (kind === 'general') {
    if (stage !== null) errors.stage = 'A general newsletter has no week or month.';
    if (sendOn === null || !isCalendarDate(sendOn)) {
      errors.sendOn = 'Enter the day it goes out as YYYY-MM-DD.';
    }
  } else if (kind !== undefined) {
    const last = kind === 'pregnancy-weekly' ? LAST_PREGNANCY_WEEK : LAST_BABY_MONTH;
    const first = kind === 'pregnancy-weekly' ? 1 : 0;
    if (stage === null || !Number.isInteger(stage) || stage < first || stage > last) {
      errors.stage =
        kind === 'pregnancy-weekly'
          ? `Enter the week of pregnancy, ${first} to ${last}.`
          : `Enter the month of the baby’s age, ${first} to ${last}.`;
    }
    if (sendOn !== null)
      errors.sendOn = 'A week or month edition goes out by each date, not on a day.';
  }
  return errors;
}

function toEdition(row: EditionsTable & { kind: NewsletterKind }): Edition {
  return {
    id: row.id,
    list: row.list_key,
    kind: row.kind,
    stage: row.stage,
    sendOn: row.send_on,
    subject: row.subject,
    body: row.body,
    status: row.status,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function selectEditions(db: DbExecutor) {
  return tables(db)
    .selectFrom('newsletters_editions')
    .innerJoin('newsletters_lists', 'newsletters_lists.key', 'newsletters_editions.list_key')
    .selectAll('newsletters_editions')
    .select('newsletters_lists.kind');
}

/** Every edition, optionally of one list: by list, then stage, then day. */
export async function listEditions(db: DbExecutor, listKey?: string): Promise<Edition[]> {
  let query = selectEditions(db);
  if (listKey !== undefined) query = query.where('newsletters_editions.list_key', '=', listKey);
  const rows = await query
    .orderBy('newsletters_editions.list_key')
    .orderBy('newsletters_editions.stage')
    .orderBy('newsletters_editions.send_on')
    .orderBy('newsletters_editions.id')
    .execute();
  return rows.map(toEdition);
}

export async function findEdition(db: DbExecutor, id: string): Promise<Edition | undefined> {
  const row = await selectEditions(db).where('newsletters_editions.id', '=', id).executeTakeFirst();
  return row ? toEdition(row) : undefined;
}

async function kindOf(db: DbExecutor, listKey: string): Promise<NewsletterKind | undefined> {
  const row = await tables(db)
    .selectFrom('newsletters_lists')
    .select('kind')
    .where('key', '=', listKey)
    .executeTakeFirst();
  return row?.kind;
}

function checked(errors: Record<string, string>): void {
  if (Object.keys(errors).length > 0) {
    throw new AppError('validation_failed', 'Some edition fields need fixing.', { fields: errors });
  }
}

function stageTaken(error: unknown): AppError {
  return new AppError(
    'conflict',
    'That week or month already has an edition: edit that one instead.',
    { cause: error, fields: { stage: 'That week or month already has an edition.' } },
  );
}

/** Writes a new edition; 400 with field errors when it does not fit its list, 409 on a taken stage. */
export async function createEdition(
  db: DbExecutor,
  input: EditionInput,
  at = new Date(),
): Promise<Edition> {
  const kind = await kindOf(db, input.list);
  checked(editionErrors(input, kind));
  const atText = toDbTime(at);
  const row: EditionsTable = {
    id: newId(),
    list_key: input.list,
    stage: input.stage ?? null,
    send_on: input.sendOn ?? null,
    subject: input.subject.trim(),
    body: input.body,
    status: input.status,
    created_at: atText,
    updated_at: atText,
  };
  try {
    await tables(db).insertInto('newsletters_editions').values(row).execute();
  } catch (error) {
    if (isUniqueViolation(error)) throw stageTaken(error);
    throw error;
  }
  return toEdition({ ...row, kind: kind as NewsletterKind });
}

/** Replaces an edition's content; its list cannot change (404 when there is no such edition). */
export async function updateEdition(
  db: DbExecutor,
  id: string,
  input: EditionInput,
  at = new Date(),
): Promise<Edition> {
  const existing = await findEdition(db, id);
  if (!existing) throw new AppError('not_found', 'There is no such edition.');
  if (input.list !== existing.list) {
    checked({ list: 'An edition stays in its newsletter: write a new one for another.' });
  }
  checked(editionErrors(input, existing.kind));
  try {
    await tables(db)
      .updateTable('newsletters_editions')
      .set({
        stage: input.stage ?? null,
        send_on: input.sendOn ?? null,
        subject: input.subject.trim(),
        body: input.body,
        status: input.status,
        updated_at: toDbTime(at),
      })
      .where('id', '=', id)
      .execute();
  } catch (error) {
    if (isUniqueViolation(error)) throw stageTaken(error);
    throw error;
  }
  const updated = await findEdition(db, id);
  if (!updated) throw new AppError('not_found', 'There is no such edition.');
  return updated;
}
