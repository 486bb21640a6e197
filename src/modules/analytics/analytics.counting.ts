/**
 * Counting page views and daily unique visitors without cookies and without keeping anything
 * about a person (P29).
 *
 * - A page view adds one to the count of its route pattern on its calendar day (in TIMEZONE).
 * - A unique visitor is a keyed hash: HMAC-SHA256 of the site, the IP address and the user
 *   agent under a random key drawn for the day (the day's *salt*). The IP address and user
 *   agent are never stored, only the hash, truncated to 128 bits.
 * - The salt lives in `analytics_day_salts` so that every process behind a load balancer hashes
 *   a visitor alike. When the day is over it is deleted (by the first process to need the next
 *   day's salt, and by the `analytics.close-days` job at midnight): from then on nobody, not
 *   even the operator, can tell whose a hash was.
 * - A few minutes later (`CLOSE_GRACE_MS`, so that every process has flushed its buffer) the
 *   job counts the day's hashes into `analytics_daily_visitors` and deletes them: only counts
 *   stay.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { tablesOf, type DbExecutor } from '../../platform/db/database.js';
import { toDbTime } from '../../platform/db/portable.js';
import type { AnalyticsTables } from './analytics.tables.js';
import { dayIn } from './analytics.time.js';

/**
 * How long after midnight a day's hashes are counted and deleted. Processes flush every
 * `FLUSH_INTERVAL_MS`; hashes of a day reaching a flush later than this are dropped rather than
 * counted twice.
 */
export const CLOSE_GRACE_MS = 2 * 60 * 1000;

/** Rows written per statement: well under both engines' limits on bound parameters. */
const WRITE_BATCH = 400;

function tables(db: DbExecutor): Kysely<AnalyticsTables> {
  return tablesOf<AnalyticsTables>(db);
}

/** What identifies a visitor for one day; hashed, never stored. */
export interface VisitorSignals {
  site: string;
  ip: string;
  userAgent: string;
}

/** The keyed hash of a visitor under a day's salt: 128 bits, base64url. */
export function visitorHash(salt: Buffer, signals: VisitorSignals): string {
  return createHmac('sha256', salt)
    .update(`${signals.site}\n${signals.ip}\n${signals.userAgent}`)
    .digest()
    .subarray(0, 16)
    .toString('base64url');
}

/**
 * The salt of `day`, drawn at random by the first process that needs it (two processes racing
 * both insert; the key keeps one, and both read it back). Salts of earlier days are deleted in
 * the same transaction: the day is over, so they must not outlive it.
 */
export async function daySalt(db: DbExecutor, day: string, now: Date): Promise<Buffer> {
  const salt = await db.transaction().execute(async (trx) => {
    await tables(trx)
      .insertInto('analytics_day_salts')
      .values({ day, salt: randomBytes(32).toString('base64url'), created_at: toDbTime(now) })
      .onConflict((conflict) => conflict.column('day').doNothing())
      .execute();
    await tables(trx).deleteFrom('analytics_day_salts').where('day', '<', day).execute();
    const row = await tables(trx)
      .selectFrom('analytics_day_salts')
      .select('salt')
      .where('day', '=', day)
      .executeTakeFirstOrThrow();
    return row.salt;
  });
  return Buffer.from(salt, 'base64url');
}

/** A batch of counts from one process's buffer. */
export interface CountBatch {
  /** Views by day and route pattern. */
  views: readonly { day: string; path: string; views: number }[];
  /** Hashes by day. */
  hashes: readonly { day: string; hash: string }[];
}

/** Adds a buffer's counts in one transaction: view counts add up, hashes are a set. */
export async function writeCounts(db: DbExecutor, batch: CountBatch): Promise<void> {
  if (batch.views.length === 0 && batch.hashes.length === 0) return;
  await db.transaction().execute(async (trx) => {
    for (let start = 0; start < batch.views.length; start += WRITE_BATCH) {
      await tables(trx)
        .insertInto('analytics_page_views')
        .values(batch.views.slice(start, start + WRITE_BATCH))
        .onConflict((conflict) =>
          conflict.columns(['day', 'path']).doUpdateSet({
            views: sql<number>`analytics_page_views.views + excluded.views`,
          }),
        )
        .execute();
    }
    for (let start = 0; start < batch.hashes.length; start += WRITE_BATCH) {
      await tables(trx)
        .insertInto('analytics_visitor_hashes')
        .values(batch.hashes.slice(start, start + WRITE_BATCH))
        .onConflict((conflict) => conflict.columns(['day', 'hash']).doNothing())
        .execute();
    }
  });
}

export interface CloseDaysReport {
  /** Salts of finished days deleted. */
  saltsDeleted: number;
  /** Days whose hashes were counted and deleted. */
  daysCounted: string[];
}

/**
 * Deletes the salts of every day before today, then, for every day that ended at least
 * `CLOSE_GRACE_MS` ago, counts its hashes into `analytics_daily_visitors` and deletes them.
 * The count is what the delete removed (`returning`), so two processes closing the same day at
 * once cannot both count it: the second deletes, and adds, nothing.
 */
export async function closeDays(
  db: DbExecutor,
  options: { timezone: string; now: Date },
): Promise<CloseDaysReport> {
  const today = dayIn(options.now, options.timezone);
  const settled = dayIn(new Date(options.now.getTime() - CLOSE_GRACE_MS), options.timezone);
  const deletedSalts = await tables(db)
    .deleteFrom('analytics_day_salts')
    .where('day', '<', today)
    .executeTakeFirst();
  const days = await tables(db)
    .selectFrom('analytics_visitor_hashes')
    .select('day')
    .distinct()
    .where('day', '<', settled)
    .orderBy('day')
    .execute();
  const daysCounted: string[] = [];
  for (const { day } of days) {
    await db.transaction().execute(async (trx) => {
      const removed = await tables(trx)
        .deleteFrom('analytics_visitor_hashes')
        .where('day', '=', day)
        .returning('hash')
        .execute();
      if (removed.length === 0) return;
      await tables(trx)
        .insertInto('analytics_daily_visitors')
        .values({ day, visitors: removed.length, counted_at: toDbTime(options.now) })
        .onConflict((conflict) =>
          conflict.column('day').doUpdateSet({
            visitors: sql<number>`analytics_daily_visitors.visitors + excluded.visitors`,
            counted_at: toDbTime(options.now),
          }),
        )
        .execute();
    });
    daysCounted.push(day);
  }
  return { saltsDeleted: Number(deletedSalts.numDeletedRows), daysCounted };
}

/** True when hashes of `day` may still be written: its count has not been taken yet. */
export function isDayOpenForHashes(day: string, now: Date, timezone: string): boolean {
  return day >= dayIn(new Date(now.getTime() - CLOSE_GRACE_MS), timezone);
}
