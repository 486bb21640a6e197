/**
 * Sending newsletters (issue 8 point 4) and stopping life-stage mail (point 3).
 *
 * `sendDueNewsletters` walks the subscriptions in keyset pages and, for each, finds what is due:
 * the latest ready issue of a general list whose day has come (and which is not older than the
 * subscription), the Pregnancy Weekly edition of the current week, and the Baby Monthly edition
 * of each baby's month of age. Each (recipient, edition) pair is claimed by inserting a row into
 * `newsletters_deliveries` under a unique key, in the same transaction as the queued mail: a
 * second run, a restart or a concurrent process finds the row and queues nothing. Only members
 * with a verified address, an active account and a consent `filterAllowed()` grants get mail.
 *
 * The rate: this only queues; the outbox worker sends, one `mail.send` job per message, as fast
 * as the worker's concurrency and the relay allow. `batchSize` bounds each transaction and so
 * how much one run holds at once; on PostgreSQL `concurrency` pages are written side by side
 * (the bulk writes use `unnest` arrays), which is what brings 100,000 subscribers under the 30 s
 * of bench/newsletters.ts.
 */
import { sql, type Kysely } from 'kysely';
import type { Config } from '../../config/config.js';
import { dialectOf, tablesOf, type Database, type DbExecutor } from '../../platform/db/database.js';
import { newId } from '../../platform/db/ids.js';
import { toDbTime, unnestInsert } from '../../platform/db/portable.js';
import { AppError } from '../../platform/http/errors.js';
import type { JobHandler, ScheduleDefinition } from '../../platform/jobs/jobs.types.js';
import { queueMails, type QueueMailInput } from '../../platform/mail/mail.outbox.js';
import { resolveSecretKey } from '../../platform/secrets.js';
import { filterAllowed, recordConsent, type ReceiptIssuer } from '../../privacy/consent/index.js';
import { renderMarkdown, escapeHtml } from '../../privacy/notice/notice.markdown.js';
import { currentNotice } from '../../privacy/notice/notice.service.js';
import type { AccountsTables } from '../accounts/index.js';
import { LAST_PREGNANCY_WEEK } from './newsletters.editions.js';
import type { DeliveriesTable, EditionsTables } from './newsletters.editions.tables.js';
import { listUnsubscribeHeaders, unsubscribeFooter } from './newsletters.links.js';
import { todayIn } from './newsletters.preferences.js';
import { consentPurposeFor, consentScopeFor } from './newsletters.service.js';
import type { NewsletterKind } from './newsletters.tables.js';

export const DEFAULT_SEND_BATCH_SIZE = 500;
export const MAX_SEND_BATCH_SIZE = 5_000;
const DEFAULT_PG_CONCURRENCY = 3;
export const MAX_SEND_CONCURRENCY = 8;
export const SEND_DUE_JOB = 'newsletters.send-due';
export const SEND_DUE_SCHEDULE = 'newsletters.send-due.daily';
/** Every morning at 07:00 in TIMEZONE: letters arrive with breakfast, not at midnight. */
export const SEND_DUE_CRON = '0 7 * * *';
export const NEWSLETTER_MAIL_CATEGORY = 'newsletter';
/** Rows per multi-row insert: well under SQLite's and PostgreSQL's parameter limits. */
const INSERT_CHUNK = 500;
/**
 * A general issue is sent only this long after its day: a subscriber who joins later, or a
 * scheduler that was down, does not get a stale letter, and delivery records (kept a year) are
 * always older than any issue that could still be sent.
 */
export const GENERAL_ISSUE_WINDOW_DAYS = 180;
const DAY_MS = 86_400_000;

type Tables = EditionsTables & AccountsTables;

function tables(db: DbExecutor): Kysely<Tables> {
  return tablesOf<Tables>(db);
}

function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);
}

/**
 * The week of pregnancy on `today` for a due date: 40 less the whole weeks until the due date,
 * at least 1; null after week 42, when Pregnancy Weekly has ended.
 */
export function pregnancyWeek(dueDate: string, today: string): number | null {
  const week = 40 - Math.floor(daysBetween(today, dueDate) / 7);
  if (week > LAST_PREGNANCY_WEEK) return null;
  return Math.max(1, week);
}

/** Whole calendar months from a birth date to `today` (0 in the first month); null before birth. */
export function babyMonth(birthDate: string, today: string): number | null {
  const [birthYear, birthMonth, birthDay] = birthDate.split('-').map(Number) as [
    number,
    number,
    number,
  ];
  const [year, month, day] = today.split('-').map(Number) as [number, number, number];
  const months = (year - birthYear) * 12 + (month - birthMonth) - (day < birthDay ? 1 : 0);
  return months < 0 ? null : months;
}

export interface SendDueOptions {
  asOf: Date;
  config: Pick<Config, 'publicUrl' | 'timezone'>;
  secretKey: string;
  batchSize?: number;
  /**
   * Pages sent side by side, each in its own transaction (PostgreSQL: 3 by default; SQLite has
   * one writer, so 1).
   */
  concurrency?: number;
}

export interface SendDueReport {
  /** The day editions were chosen for (YYYY-MM-DD in TIMEZONE). */
  day: string;
  subscriptionsExamined: number;
  /** Messages queued in this run. */
  queued: number;
  /** Editions due but already delivered before (an earlier run or another process). */
  alreadySent: number;
  /** Subscriptions whose consent `filterAllowed()` did not grant. */
  withoutConsent: number;
}

interface ReadyEdition {
  id: string;
  list_key: string;
  stage: number | null;
  send_on: string | null;
  subject: string;
  body: string;
}

interface DueEditions {
  /** General issues by list, latest day first. */
  issues: Map<string, ReadyEdition[]>;
  /** Life-stage editions by list, then stage. */
  stages: Map<string, Map<number, ReadyEdition>>;
}

async function loadDueEditions(db: DbExecutor, day: string): Promise<DueEditions> {
  const rows = await tables(db)
    .selectFrom('newsletters_editions')
    .select(['id', 'list_key', 'stage', 'send_on', 'subject', 'body'])
    .where('status', '=', 'ready')
    .where((eb) => eb.or([eb('send_on', 'is', null), eb('send_on', '<=', day)]))
    .orderBy('send_on', 'desc')
    .orderBy('id')
    .execute();
  const due: DueEditions = { issues: new Map(), stages: new Map() };
  for (const row of rows) {
    if (row.stage !== null) {
      const byStage = due.stages.get(row.list_key) ?? new Map<number, ReadyEdition>();
      byStage.set(row.stage, row);
      due.stages.set(row.list_key, byStage);
    } else if (row.send_on !== null) {
      const issues = due.issues.get(row.list_key) ?? [];
      issues.push(row);
      due.issues.set(row.list_key, issues);
    }
  }
  return due;
}

interface SubscriberRow {
  id: string;
  user_id: string;
  list_key: string;
  due_date: string | null;
  created_at: string;
  kind: NewsletterKind;
  email: string;
  first_name: string;
  surname: string;
}

interface PageRow extends SubscriberRow {
  status: string;
  email_verified_at: string | null;
  suspended_at: string | null;
}

interface SubscriberPage {
  /** The subscriptions on this page that may be mailed (active, verified, not suspended). */
  rows: SubscriberRow[];
  /** How many subscriptions the page covered, mailable or not; 0 at the end. */
  examined: number;
  /** The key to continue after. */
  lastId: string | null;
}

/**
 * One keyset page of subscriptions, by id. The page is cut from the subscriptions' primary key
 * alone (a derived table with its own LIMIT) and only then joined and filtered: a plan that
 * walks the index is chosen even when the planner's statistics are stale, as they are right
 * after a bulk import (PostgreSQL otherwise sorted the whole join for every page: quadratic).
 */
async function subscriberPage(
  db: DbExecutor,
  after: string | null,
  limit: number,
): Promise<SubscriberPage> {
  let page = tables(db)
    .selectFrom('newsletters_subscriptions')
    .select(['id', 'user_id', 'list_key', 'due_date', 'created_at'])
    // Written by bounces (newsletters.engagement.ts types it); read here without that type.
    .select(sql<string | null>`suspended_at`.as('suspended_at'));
  if (after !== null) page = page.where('id', '>', after);
  const rows = (await tables(db)
    .selectFrom(page.orderBy('id').limit(limit).as('page'))
    .innerJoin('newsletters_lists', 'newsletters_lists.key', 'page.list_key')
    .innerJoin('accounts_users', 'accounts_users.id', 'page.user_id')
    .select([
      'page.id',
      'page.user_id',
      'page.list_key',
      'page.due_date',
      'page.created_at',
      'page.suspended_at',
      'newsletters_lists.kind',
      'accounts_users.email',
      'accounts_users.first_name',
      'accounts_users.surname',
      'accounts_users.status',
      'accounts_users.email_verified_at',
    ])
    .orderBy('page.id')
    .execute()) as PageRow[];
  return {
    rows: rows
      .filter(
        (row) =>
          row.status === 'active' &&
          row.email_verified_at !== null &&
          // A hard bounce or a complaint suspends the subscription (newsletters.bounces.ts).
          row.suspended_at === null,
      )
      .map(
        ({ status: _status, email_verified_at: _verified, suspended_at: _suspended, ...row }) =>
          row,
      ),
    examined: rows.length,
    lastId: rows.at(-1)?.id ?? null,
  };
}

interface Candidate {
  subscriber: SubscriberRow;
  recipientKey: string;
  babyId?: string;
  edition: ReadyEdition;
}

function candidatesFor(
  subscriber: SubscriberRow,
  babies: readonly { id: string; birth_date: string }[],
  due: DueEditions,
  day: string,
): Candidate[] {
  if (subscriber.kind === 'general') {
    // Only the latest issue, and none older than the subscription: a new subscriber is not
    // sent the archive, and a scheduler that was down does not send a backlog in one morning.
    const latest = due.issues.get(subscriber.list_key)?.[0];
    if (!latest || latest.send_on === null) return [];
    if (latest.send_on < subscriber.created_at.slice(0, 10)) return [];
    if (daysBetween(latest.send_on, day) > GENERAL_ISSUE_WINDOW_DAYS) return [];
    return [{ subscriber, recipientKey: subscriber.id, edition: latest }];
  }
  const byStage = due.stages.get(subscriber.list_key);
  if (!byStage) return [];
  if (subscriber.kind === 'pregnancy-weekly') {
    if (subscriber.due_date === null) return [];
    const week = pregnancyWeek(subscriber.due_date, day);
    const edition = week === null ? undefined : byStage.get(week);
    return edition ? [{ subscriber, recipientKey: subscriber.id, edition }] : [];
  }
  const found: Candidate[] = [];
  for (const baby of babies) {
    const month = babyMonth(baby.birth_date, day);
    const edition = month === null ? undefined : byStage.get(month);
    if (edition) found.push({ subscriber, recipientKey: baby.id, babyId: baby.id, edition });
  }
  return found;
}

function composeMail(
  candidate: Candidate,
  options: SendDueOptions,
  helpContact: string,
  renderedBodies: Map<string, string>,
): QueueMailInput {
  const { subscriber, edition } = candidate;
  const link = {
    userId: subscriber.user_id,
    listKey: subscriber.list_key,
    ...(candidate.babyId ? { babyId: candidate.babyId } : {}),
  };
  const footer = unsubscribeFooter(options.config.publicUrl, options.secretKey, link, helpContact);
  // P05: addressed by name, as the member gave it at registration.
  const greeting = `Dear ${subscriber.first_name},`;
  // The body is the same for every recipient of an edition: rendered once per run.
  let html = renderedBodies.get(edition.id);
  if (html === undefined) {
    html = renderMarkdown(edition.body);
    renderedBodies.set(edition.id, html);
  }
  return {
    to: subscriber.email,
    toName: `${subscriber.first_name} ${subscriber.surname}`.trim(),
    subjectId: subscriber.user_id,
    subject: edition.subject,
    text: `${greeting}\n\n${edition.body.trim()}\n\n-- \n${footer.text}\n`,
    html: `<p>${escapeHtml(greeting)}</p>\n${html}\n<hr>\n${footer.html}\n`,
    headers: listUnsubscribeHeaders(options.config.publicUrl, options.secretKey, link),
    category: NEWSLETTER_MAIL_CATEGORY,
  };
}

/** The help address of the published notice; `help@<host>` before one exists. */
async function helpContactFor(db: DbExecutor, publicUrl: string): Promise<string> {
  const notice = await currentNotice(db);
  return notice?.content.helpEmail ?? `help@${new URL(publicUrl).hostname}`;
}

interface PageContext {
  db: Database;
  options: SendDueOptions;
  due: DueEditions;
  day: string;
  helpContact: string;
  renderedBodies: Map<string, string>;
}

/**
 * Checks consent for one page of mailable subscriptions, claims what is due to them and queues
 * the messages, in one transaction. Pages cover disjoint subscriptions, so pages processed side
 * by side never claim the same delivery key.
 */
async function sendPage(
  context: PageContext,
  mailable: readonly SubscriberRow[],
): Promise<Omit<SendDueReport, 'day'>> {
  const { db, options, due, day, helpContact, renderedBodies } = context;
  const counts = {
    subscriptionsExamined: mailable.length,
    queued: 0,
    alreadySent: 0,
    withoutConsent: 0,
  };
  if (mailable.length === 0) return counts;
  const allowed = new Set<string>();
  const byList = new Map<string, SubscriberRow[]>();
  for (const row of mailable) {
    const rows = byList.get(row.list_key);
    if (rows) rows.push(row);
    else byList.set(row.list_key, [row]);
  }
  for (const [listKey, rows] of byList) {
    const granted = await filterAllowed(
      db,
      rows.map((row) => row.user_id),
      consentPurposeFor(rows[0]!.kind),
      consentScopeFor(listKey),
    );
    for (const row of rows) if (granted.has(row.user_id)) allowed.add(row.id);
  }
  counts.withoutConsent = mailable.length - allowed.size;

  const monthly = mailable.filter((row) => row.kind === 'baby-monthly' && allowed.has(row.id));
  const babies = new Map<string, { id: string; birth_date: string }[]>();
  if (monthly.length > 0) {
    const rows = await tables(db)
      .selectFrom('newsletters_babies')
      .select(['id', 'subscription_id', 'birth_date'])
      .where(
        'subscription_id',
        'in',
        monthly.map((row) => row.id),
      )
      .orderBy('id')
      .execute();
    for (const baby of rows) {
      const list = babies.get(baby.subscription_id);
      if (list) list.push(baby);
      else babies.set(baby.subscription_id, [baby]);
    }
  }
  const candidates = mailable
    .filter((row) => allowed.has(row.id))
    .flatMap((row) => candidatesFor(row, babies.get(row.id) ?? [], due, day))
    // One order for every process, so concurrent runs take the unique keys in the same
    // order and wait for each other instead of deadlocking.
    .sort((a, b) =>
      a.recipientKey === b.recipientKey
        ? a.edition.id.localeCompare(b.edition.id)
        : a.recipientKey.localeCompare(b.recipientKey),
    );
  if (candidates.length === 0) return counts;

  const queued = await db.transaction().execute(async (trx) => {
    if (dialectOf(trx) === 'postgres') {
      // Safe to trade durability of the last moment for speed here: a crash can lose only
      // whole transactions, each holding both the delivery claims and their messages, so a
      // run after the crash queues those letters again, still once each.
      await sql`set local synchronous_commit = off`.execute(trx);
    }
    const claimed = await claimDeliveries(trx, candidates);
    // One multi-row write for the whole batch: on PostgreSQL a row at a time was 95 s for
    // 100,000 subscribers, against the 30 s target.
    await queueMails(
      trx,
      candidates
        .filter((candidate) =>
          claimed.has(deliveryKey(candidate.recipientKey, candidate.edition.id)),
        )
        .map((candidate) => composeMail(candidate, options, helpContact, renderedBodies)),
    );
    return claimed.size;
  });
  counts.queued = queued;
  counts.alreadySent = candidates.length - queued;
  return counts;
}

/** Queues every newsletter due on `asOf`'s day exactly once; see the file's comment. */
export async function sendDueNewsletters(
  db: Database,
  options: SendDueOptions,
): Promise<SendDueReport> {
  const batchSize = options.batchSize ?? DEFAULT_SEND_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_SEND_BATCH_SIZE) {
    throw new RangeError(`batchSize must be a whole number from 1 to ${MAX_SEND_BATCH_SIZE}`);
  }
  const concurrency =
    options.concurrency ?? (dialectOf(db) === 'postgres' ? DEFAULT_PG_CONCURRENCY : 1);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > MAX_SEND_CONCURRENCY) {
    throw new RangeError(`concurrency must be a whole number from 1 to ${MAX_SEND_CONCURRENCY}`);
  }
  const day = todayIn(options.config.timezone, options.asOf);
  const due = await loadDueEditions(db, day);
  const report: SendDueReport = {
    day,
    subscriptionsExamined: 0,
    queued: 0,
    alreadySent: 0,
    withoutConsent: 0,
  };
  if (due.issues.size === 0 && due.stages.size === 0) return report;
  const context: PageContext = {
    db,
    options,
    due,
    day,
    helpContact: await helpContactFor(db, options.config.publicUrl),
    renderedBodies: new Map(),
  };

  // Pages are read one after another (keyset) and sent up to `concurrency` at a time, each in
  // its own transaction: the database writes one page while the next is read and composed.
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  let after: string | null = null;
  while (failure === undefined) {
    const page = await subscriberPage(db, after, batchSize);
    if (page.examined === 0) break;
    after = page.lastId;
    const task: Promise<void> = sendPage(context, page.rows).then(
      (counts) => {
        report.subscriptionsExamined += counts.subscriptionsExamined;
        report.queued += counts.queued;
        report.alreadySent += counts.alreadySent;
        report.withoutConsent += counts.withoutConsent;
      },
      (error: unknown) => {
        failure ??= { error };
      },
    );
    inFlight.add(task);
    void task.finally(() => inFlight.delete(task));
    if (inFlight.size >= concurrency) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  if (failure !== undefined) throw failure.error;
  return report;
}

function deliveryKey(recipientKey: string, editionId: string): string {
  return `${recipientKey} ${editionId}`;
}

/**
 * Claims each (recipient, edition) pair by inserting its delivery row; a pair some run already
 * claimed is skipped by the unique key. Returns the pairs this call claimed. On PostgreSQL the
 * rows travel as one array per column (portable.ts `unnestInsert`).
 */
async function claimDeliveries(
  trx: DbExecutor,
  candidates: readonly Candidate[],
): Promise<Set<string>> {
  const claimed = new Set<string>();
  const createdAt = toDbTime(new Date());
  const rows: DeliveriesTable[] = candidates.map((candidate) => ({
    id: newId(),
    user_id: candidate.subscriber.user_id,
    recipient_key: candidate.recipientKey,
    edition_id: candidate.edition.id,
    created_at: createdAt,
  }));
  if (dialectOf(trx) === 'postgres') {
    const insert = unnestInsert(
      'newsletters_deliveries',
      ['id', 'user_id', 'recipient_key', 'edition_id', 'created_at'],
      rows,
    );
    const inserted = await sql<{ recipient_key: string; edition_id: string }>`${insert}
      on conflict (recipient_key, edition_id) do nothing
      returning recipient_key, edition_id`.execute(trx);
    for (const row of inserted.rows) claimed.add(deliveryKey(row.recipient_key, row.edition_id));
    return claimed;
  }
  for (let start = 0; start < rows.length; start += INSERT_CHUNK) {
    const inserted = await tables(trx)
      .insertInto('newsletters_deliveries')
      .values(rows.slice(start, start + INSERT_CHUNK))
      .onConflict((conflict) => conflict.columns(['recipient_key', 'edition_id']).doNothing())
      .returning(['recipient_key', 'edition_id'])
      .execute();
    for (const row of inserted) claimed.add(deliveryKey(row.recipient_key, row.edition_id));
  }
  return claimed;
}

/** The daily job: sends what is due today, with the instance's secret for the signed links. */
export const sendDueJob: JobHandler = async (context) => {
  const report = await sendDueNewsletters(context.db, {
    asOf: context.runAt,
    config: context.config,
    secretKey: await resolveSecretKey(context.db, context.config),
  });
  context.log.info({ ...report }, 'newsletters sent');
};

export const sendingSchedules: readonly ScheduleDefinition[] = [
  { name: SEND_DUE_SCHEDULE, cron: SEND_DUE_CRON, job: SEND_DUE_JOB },
];

export interface StopOptions {
  method: 'form' | 'api';
  noticeVersion: number;
  issuer: ReceiptIssuer;
  at?: Date;
}

async function withdraw(
  db: DbExecutor,
  userId: string,
  listKey: string,
  kind: NewsletterKind,
  options: StopOptions,
): Promise<void> {
  await recordConsent(
    db,
    {
      subjectId: userId,
      subjectKind: 'member',
      purpose: consentPurposeFor(kind),
      scope: consentScopeFor(listKey),
      granted: false,
      method: options.method,
      noticeVersion: options.noticeVersion,
      at: options.at ?? new Date(),
    },
    options.issuer,
  );
}

/**
 * Stops Pregnancy Weekly for a member at once, without asking why (point 3): the subscription
 * and its due date are deleted and the withdrawal recorded. Nothing resumes it but the member
 * subscribing again. Returns false when there was nothing to stop (a repeated click is fine).
 */
export async function stopPregnancyMail(
  db: DbExecutor,
  userId: string,
  options: StopOptions,
): Promise<boolean> {
  if (!db.isTransaction) {
    return db.transaction().execute((trx) => stopPregnancyMail(trx, userId, options));
  }
  const subscriptions = await tables(db)
    .selectFrom('newsletters_subscriptions')
    .innerJoin('newsletters_lists', 'newsletters_lists.key', 'newsletters_subscriptions.list_key')
    .select(['newsletters_subscriptions.id', 'newsletters_subscriptions.list_key'])
    .where('newsletters_subscriptions.user_id', '=', userId)
    .where('newsletters_lists.kind', '=', 'pregnancy-weekly')
    .execute();
  for (const subscription of subscriptions) {
    await tables(db)
      .deleteFrom('newsletters_subscriptions')
      .where('id', '=', subscription.id)
      .execute();
    await withdraw(db, userId, subscription.list_key, 'pregnancy-weekly', options);
  }
  return subscriptions.length > 0;
}

/**
 * Stops the letters about one baby, without asking why: that baby's birth date is deleted; when
 * it was the last baby, the subscription goes too and the withdrawal is recorded. 404 when the
 * baby is not one of this member's.
 */
export async function stopBabyMail(
  db: DbExecutor,
  userId: string,
  babyId: string,
  options: StopOptions,
): Promise<{ subscriptionRemoved: boolean }> {
  if (!db.isTransaction) {
    return db.transaction().execute((trx) => stopBabyMail(trx, userId, babyId, options));
  }
  const baby = await tables(db)
    .selectFrom('newsletters_babies')
    .innerJoin(
      'newsletters_subscriptions',
      'newsletters_subscriptions.id',
      'newsletters_babies.subscription_id',
    )
    .innerJoin('newsletters_lists', 'newsletters_lists.key', 'newsletters_subscriptions.list_key')
    .select([
      'newsletters_babies.subscription_id',
      'newsletters_subscriptions.list_key',
      'newsletters_lists.kind',
    ])
    .where('newsletters_babies.id', '=', babyId)
    .where('newsletters_subscriptions.user_id', '=', userId)
    .executeTakeFirst();
  if (!baby) throw new AppError('not_found', 'There are no letters about that baby to stop.');
  await tables(db).deleteFrom('newsletters_babies').where('id', '=', babyId).execute();
  const remaining = await tables(db)
    .selectFrom('newsletters_babies')
    .select('id')
    .where('subscription_id', '=', baby.subscription_id)
    .limit(1)
    .executeTakeFirst();
  if (remaining) return { subscriptionRemoved: false };
  await tables(db)
    .deleteFrom('newsletters_subscriptions')
    .where('id', '=', baby.subscription_id)
    .execute();
  await withdraw(db, userId, baby.list_key, baby.kind, options);
  return { subscriptionRemoved: true };
}
