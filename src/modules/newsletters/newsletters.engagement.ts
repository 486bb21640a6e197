/**
 * Engagement without tracking (issue 8, point 6; P38). A subscription's `last_engaged_at` moves
 * when the member opens Hearth logged in or follows a signed link in a letter: never on an open
 * (there are no pixels). Which link was followed is counted per list, path and day, naming
 * nobody. After three years without engagement the daily review removes the subscription, but
 * only after a mail 30 days ahead with one click to stay.
 *
 * The retention engine warns only before `erase-subject` rules, and removing a subscription must
 * never erase the member, so this review is the newsletter's own job; the data map declares it.
 */
import fp from 'fastify-plugin';
import { sql, type Kysely } from 'kysely';
import { tablesOf, type Database, type DbExecutor } from '../../platform/db/database.js';
import { toDbTime } from '../../platform/db/portable.js';
import { addDuration, type DataMap } from '../../platform/datamap.js';
import type { JobHandler, ScheduleDefinition } from '../../platform/jobs/jobs.types.js';
import { queueMail } from '../../platform/mail/mail.outbox.js';
import { resolveSecretKey } from '../../platform/secrets.js';
import type { AccountsTables } from '../accounts/index.js';
import { signedNewsletterLink } from './newsletters.links.js';
import { deleteSubscription } from './newsletters.queries.js';
import type { NewslettersTables } from './newsletters.tables.js';

/** The columns migration 20261129_0041 adds to a subscription. */
export interface EngagementColumns {
  last_engaged_at: string | null;
  engagement_warned_at: string | null;
  suspended_at: string | null;
}

export interface LinkCountsTable {
  list_key: string;
  target: string;
  day: string;
  count: number;
}

export interface BouncesTable {
  id: string;
  user_id: string;
  kind: 'hard' | 'complaint';
  recorded_at: string;
}

export interface EngagementTables {
  newsletters_subscriptions: NewslettersTables['newsletters_subscriptions'] & EngagementColumns;
  newsletters_link_counts: LinkCountsTable;
  newsletters_bounces: BouncesTable;
  accounts_users: AccountsTables['accounts_users'];
}

function tables(db: DbExecutor): Kysely<EngagementTables> {
  return tablesOf<EngagementTables>(db);
}

/** Engagement is recorded at most once a day per subscription: one write, not one per page. */
export const ENGAGEMENT_RESOLUTION_MS = 24 * 60 * 60 * 1000;
/** P38: a subscription nobody engaged with for this long is removed. */
export const ENGAGEMENT_LAPSE = 'P3Y';
/** The "still want this?" mail goes this long before removal. */
export const ENGAGEMENT_WARNING = 'P30D';

export const ENGAGEMENT_REVIEW_JOB = 'newsletters.engagement-review';

/** The path a "keep my subscription" link leads to: the member's newsletter choices. */
export const KEEP_SUBSCRIPTION_PATH = '/account/newsletters';

/**
 * Marks the member's subscriptions engaged at `at` (all of them, or one list's), unless already
 * marked within the day. Engagement also cancels a pending removal warning.
 */
export async function recordEngagement(
  db: DbExecutor,
  userId: string,
  at: Date,
  listKey?: string,
): Promise<number> {
  const atText = toDbTime(at);
  const dayAgo = toDbTime(new Date(at.getTime() - ENGAGEMENT_RESOLUTION_MS));
  let update = tables(db)
    .updateTable('newsletters_subscriptions')
    .set({ last_engaged_at: atText, engagement_warned_at: null })
    .where('user_id', '=', userId)
    .where((eb) =>
      eb.or([
        eb('last_engaged_at', 'is', null),
        eb('last_engaged_at', '<', dayAgo),
        eb('engagement_warned_at', 'is not', null),
      ]),
    );
  if (listKey !== undefined) update = update.where('list_key', '=', listKey);
  const result = await update.executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Adds one to the aggregate count of `target` followed from `listKey` on the day of `at`. */
export async function countFollowedLink(
  db: DbExecutor,
  listKey: string,
  target: string,
  at: Date,
): Promise<void> {
  const path = target.split(/[?#]/, 1)[0] ?? '/';
  await tables(db)
    .insertInto('newsletters_link_counts')
    .values({ list_key: listKey, target: path, day: toDbTime(at).slice(0, 10), count: 1 })
    .onConflict((conflict) =>
      conflict
        .columns(['list_key', 'target', 'day'])
        .doUpdateSet({ count: sql<number>`newsletters_link_counts.count + 1` }),
    )
    .execute();
}

/** Followed-link counts of a list, newest day first: what editors may see. */
export function linkCounts(db: DbExecutor, listKey: string): Promise<LinkCountsTable[]> {
  return tables(db)
    .selectFrom('newsletters_link_counts')
    .selectAll()
    .where('list_key', '=', listKey)
    .orderBy('day', 'desc')
    .orderBy('target')
    .execute();
}

/** Members remembered as recently engaged; the memory is dropped when it grows past this. */
const RECENT_CAPACITY = 100_000;

/**
 * App-wide (through `fastify-plugin`, like accounts' activity hook): any request of a logged-in
 * member counts as engagement with their subscriptions, written after the response.
 */
export const newslettersEngagementPlugin = fp(
  (app, _options, done) => {
    const recentlyMarked = new Map<string, number>();
    app.addHook('onResponse', async (request) => {
      const userId = request.session?.userId;
      if (userId === undefined) return;
      const now = Date.now();
      const markedAt = recentlyMarked.get(userId);
      if (markedAt !== undefined && now - markedAt < ENGAGEMENT_RESOLUTION_MS) return;
      if (recentlyMarked.size >= RECENT_CAPACITY) recentlyMarked.clear();
      recentlyMarked.set(userId, now);
      try {
        await recordEngagement(app.db, userId, new Date(now));
      } catch (error) {
        // Bookkeeping: a failed write must not turn a served request into an error.
        recentlyMarked.delete(userId);
        request.log.warn({ err: error }, 'could not record newsletter engagement');
      }
    });
    done();
  },
  { name: 'hearth-newsletters-engagement', fastify: '5.x' },
);

export interface EngagementReviewReport {
  warned: number;
  removed: number;
}

const REVIEW_BATCH = 500;

function engagedAt() {
  return sql<string>`coalesce(newsletters_subscriptions.last_engaged_at, newsletters_subscriptions.created_at)`;
}

/**
 * The daily review (P38). Subscriptions last engaged with more than three years less 30 days
 * ago, not yet warned, get the mail with a "keep my subscription" link (suspended ones, which
 * cannot receive mail, are marked warned without one). Subscriptions warned at least 30 days
 * ago and still not engaged for three years are removed with their dates (P06). Removal is not
 * the member's withdrawal, so no consent event is written in their name: the subscription, which
 * sending reads, is what goes. Each batch is one transaction; a rerun finds nothing twice.
 */
export async function reviewEngagement(
  db: Database,
  options: { asOf: Date; publicUrl: string; secretKey: string },
): Promise<EngagementReviewReport> {
  const report: EngagementReviewReport = { warned: 0, removed: 0 };
  const lapsedBefore = toDbTime(addDuration(options.asOf, ENGAGEMENT_LAPSE, -1));
  const warnBefore = toDbTime(
    addDuration(addDuration(options.asOf, ENGAGEMENT_WARNING), ENGAGEMENT_LAPSE, -1),
  );
  const warnedBefore = toDbTime(addDuration(options.asOf, ENGAGEMENT_WARNING, -1));
  const asOfText = toDbTime(options.asOf);

  for (;;) {
    const warned = await db.transaction().execute(async (trx) => {
      const rows = await tables(trx)
        .selectFrom('newsletters_subscriptions')
        .innerJoin('accounts_users', 'accounts_users.id', 'newsletters_subscriptions.user_id')
        .select([
          'newsletters_subscriptions.id',
          'newsletters_subscriptions.user_id',
          'newsletters_subscriptions.list_key',
          'newsletters_subscriptions.suspended_at',
          'accounts_users.email',
          'accounts_users.first_name',
        ])
        .where('newsletters_subscriptions.engagement_warned_at', 'is', null)
        .where(engagedAt(), '<=', warnBefore)
        .orderBy('newsletters_subscriptions.id')
        .limit(REVIEW_BATCH)
        .execute();
      for (const row of rows) {
        if (row.suspended_at === null) {
          const keepLink = signedNewsletterLink(options.publicUrl, options.secretKey, {
            userId: row.user_id,
            listKey: row.list_key,
            target: KEEP_SUBSCRIPTION_PATH,
          });
          const removesOn = toDbTime(addDuration(options.asOf, ENGAGEMENT_WARNING)).slice(0, 10);
          await queueMail(trx, {
            to: row.email,
            toName: row.first_name,
            subjectId: row.user_id,
            subject: 'Do you still want this newsletter?',
            text: [
              `Dear ${row.first_name},`,
              '',
              `You have not opened Hearth or followed a link in our "${row.list_key}" newsletter for almost three years.`,
              `So that we keep nothing you no longer use, we will remove this subscription on ${removesOn}.`,
              '',
              `To keep it, follow this link (one click, nothing else to do): ${keepLink}`,
              '',
              'If you do nothing, the subscription and any dates it holds are deleted.',
            ].join('\n'),
            category: 'newsletters.engagement-warning',
          });
        }
        await tables(trx)
          .updateTable('newsletters_subscriptions')
          .set({ engagement_warned_at: asOfText })
          .where('id', '=', row.id)
          .execute();
      }
      return rows.length;
    });
    report.warned += warned;
    if (warned < REVIEW_BATCH) break;
  }

  for (;;) {
    const removed = await db.transaction().execute(async (trx) => {
      const rows = await tables(trx)
        .selectFrom('newsletters_subscriptions')
        .select(['id'])
        .where('engagement_warned_at', 'is not', null)
        .where('engagement_warned_at', '<=', warnedBefore)
        .where(engagedAt(), '<=', lapsedBefore)
        .orderBy('id')
        .limit(REVIEW_BATCH)
        .execute();
      for (const row of rows) await deleteSubscription(trx, row.id);
      return rows.length;
    });
    report.removed += removed;
    if (removed < REVIEW_BATCH) break;
  }
  return report;
}

export const reviewEngagementJob: JobHandler = async (context) => {
  const report = await reviewEngagement(context.db, {
    asOf: context.runAt,
    publicUrl: context.config.publicUrl,
    secretKey: await resolveSecretKey(context.db, context.config),
  });
  context.log.info(report, 'newsletter engagement reviewed');
};

export const ENGAGEMENT_REVIEW_SCHEDULE: ScheduleDefinition = {
  name: ENGAGEMENT_REVIEW_JOB,
  cron: '30 4 * * *',
  job: ENGAGEMENT_REVIEW_JOB,
};

/** The data map of the aggregate link counts (no personal data). */
export const engagementDataMap: DataMap = {
  newsletters_link_counts: {
    personal: false,
    description:
      'How often each link in a newsletter was followed, per day: a count that names nobody.',
    columns: {
      list_key: 'system.config',
      target: 'system.config',
      day: 'system.time',
      count: 'system.state',
    },
  },
};
