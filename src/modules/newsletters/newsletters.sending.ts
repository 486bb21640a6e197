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
 * how much one run holds at once.
 */
import { sql, type Kysely, type SqlBool } from 'kysely';
import type { Config } from '../../config/config.js';
import { tablesOf, type Database, type DbExecutor } from '../../platform/db/database.js';
import { newId } from '../../platform/db/ids.js';
import { toDbTime } from '../../platform/db/portable.js';
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

function subscriberPage(db: DbExecutor, after: string | null, limit: number) {
  let query = tables(db)
    .selectFrom('newsletters_subscriptions')
    .innerJoin('newsletters_lists', 'newsletters_lists.key', 'newsletters_subscriptions.list_key')
    .innerJoin('accounts_users', 'accounts_users.id', 'newsletters_subscriptions.user_id')
    .select([
      'newsletters_subscriptions.id',
      'newsletters_subscriptions.user_id',
      'newsletters_subscriptions.list_key',
      'newsletters_subscriptions.due_date',
      'newsletters_subscriptions.created_at',
      'newsletters_lists.kind',
      'accounts_users.email',
      'accounts_users.first_name',
      'accounts_users.surname',
    ])
    .where('accounts_users.status', '=', 'active')
    .where('accounts_users.email_verified_at', 'is not', null)
    // A hard bounce or a complaint suspends the subscription (newsletters.bounces.ts).
    .where(sql<SqlBool>`newsletters_subscriptions.suspended_at is null`);
  if (after !== null) query = query.where('newsletters_subscriptions.id', '>', after);
  return query.orderBy('newsletters_subscriptions.id').limit(limit).execute() as Promise<
    SubscriberRow[]
  >;
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

/** Queues every newsletter due on `asOf`'s day exactly once; see the file's comment. */
export async function sendDueNewsletters(
  db: Database,
  options: SendDueOptions,
): Promise<SendDueReport> {
  const executor: DbExecutor = db;
  const batchSize = options.batchSize ?? DEFAULT_SEND_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_SEND_BATCH_SIZE) {
    throw new RangeError(`batchSize must be a whole number from 1 to ${MAX_SEND_BATCH_SIZE}`);
  }
  const day = todayIn(options.config.timezone, options.asOf);
  const due = await loadDueEditions(executor, day);
  const helpContact = await helpContactFor(executor, options.config.publicUrl);
  const renderedBodies = new Map<string, string>();
  const report: SendDueReport = {
    day,
    subscriptionsExamined: 0,
    queued: 0,
    alreadySent: 0,
    withoutConsent: 0,
  };
  if (due.issues.size === 0 && due.stages.size === 0) return report;

  let after: string | null = null;
  for (;;) {
    const page = await subscriberPage(executor, after, batchSize);
    if (page.length === 0) break;
    after = page[page.length - 1]!.id;
    report.subscriptionsExamined += page.length;

    const allowed = new Set<string>();
    const byList = new Map<string, SubscriberRow[]>();
    for (const row of page) byList.set(row.list_key, [...(byList.get(row.list_key) ?? []), row]);
    for (const [listKey, rows] of byList) {
      const granted = await filterAllowed(
        executor,
        rows.map((row) => row.user_id),
        consentPurposeFor(rows[0]!.kind),
        consentScopeFor(listKey),
      );
      for (const row of rows) if (granted.has(row.user_id)) allowed.add(row.id);
    }
    report.withoutConsent += page.length - allowed.size;

    const monthly = page.filter((row) => row.kind === 'baby-monthly' && allowed.has(row.id));
    const babies =
      monthly.length === 0
        ? []
        : await tables(executor)
            .selectFrom('newsletters_babies')
            .select(['id', 'subscription_id', 'birth_date'])
            .where(
              'subscription_id',
              'in',
              monthly.map((row) => row.id),
            )
            .execute();
    const candidates = page
      .filter((row) => allowed.has(row.id))
      .flatMap((row) =>
        candidatesFor(
          row,
          babies.filter((baby) => baby.subscription_id === row.id),
          due,
          day,
        ),
      )
      // One order for every process, so concurrent runs take the unique keys in the same
      // order and wait for each other instead of deadlocking.
      .sort((a, b) =>
        a.recipientKey === b.recipientKey
          ? a.edition.id.localeCompare(b.edition.id)
          : a.recipientKey.localeCompare(b.recipientKey),
      );
    if (candidates.length === 0) continue;

    const queued = await db.transaction().execute(async (trx) => {
      const claimed = new Set<string>();
      const createdAt = toDbTime(new Date());
      for (let start = 0; start < candidates.length; start += INSERT_CHUNK) {
        const rows: DeliveriesTable[] = candidates
          .slice(start, start + INSERT_CHUNK)
          .map((candidate) => ({
            id: newId(),
            user_id: candidate.subscriber.user_id,
            recipient_key: candidate.recipientKey,
            edition_id: candidate.edition.id,
            created_at: createdAt,
          }));
        const inserted = await tables(trx)
          .insertInto('newsletters_deliveries')
          .values(rows)
          .onConflict((conflict) => conflict.columns(['recipient_key', 'edition_id']).doNothing())
          .returning(['recipient_key', 'edition_id'])
          .execute();
        for (const row of inserted) claimed.add(`${row.recipient_key} ${row.edition_id}`);
      }
      // One multi-row write for the whole batch: on PostgreSQL a row at a time was 95 s for
      // 100,000 subscribers, against the 30 s target.
      await queueMails(
        trx,
        candidates
          .filter((candidate) => claimed.has(`${candidate.recipientKey} ${candidate.edition.id}`))
          .map((candidate) => composeMail(candidate, options, helpContact, renderedBodies)),
      );
      return claimed.size;
    });
    report.queued += queued;
    report.alreadySent += candidates.length - queued;
  }
  return report;
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
