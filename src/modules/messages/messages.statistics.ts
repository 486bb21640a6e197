/**
 * Parent Supporter statistics (P25): how many members started a supported conversation, by
 * topic and month, published as k-anonymous tables (src/privacy/aggregates.ts) for staff and
 * partners.
 *
 * Why these choices:
 * - **The unit is a member.** A cell counts distinct members who started at least one
 *   conversation on that topic in that month, so one person writing ten times is one, not ten.
 * - **Fixed dimensions.** Rows are the fixed topic list; columns are the three months of one
 *   calendar quarter (in the operator's time zone). Nothing about the data changes the shape.
 * - **Only ended quarters, frozen at first publication.** A table for a period still running,
 *   or recomputed later (after retention deleted old cases), would differ from an earlier
 *   release, and two releases of the same cells can be subtracted to reveal what suppression
 *   hid. So a quarter is published once, after it ends, stored, and served unchanged for ever;
 *   quarters share no cell and no total, so no figure of one release helps to undo another.
 * - **k is fixed per release** (DEFAULT_K, 10): releasing the same quarter with two k's would
 *   give two suppression patterns to combine.
 */
import { tablesOf, type DbExecutor } from '../../platform/db/database.js';
import { nowTime } from '../../platform/db/portable.js';
import { AppError } from '../../platform/http/errors.js';
import {
  countTable,
  DEFAULT_K,
  publishWithSuppression,
  type PublishedTable,
} from '../../privacy/aggregates.js';
import { SUPPORT_TOPICS } from './messages.support.js';
import type { MessagesTables } from './messages.tables.js';

const PERIOD = /^(\d{4})-Q([1-4])$/;

/** How many ended quarters the statistics pages offer. */
export const PUBLISHED_QUARTERS = 8;

export interface Quarter {
  period: string;
  year: number;
  quarter: 1 | 2 | 3 | 4;
}

export function parsePeriod(value: string): Quarter {
  const match = PERIOD.exec(value);
  if (!match) {
    throw new AppError('validation_failed', 'A period is a year and quarter, like 2026-Q3.', {
      fields: { period: 'must look like 2026-Q3' },
    });
  }
  return {
    period: value,
    year: Number(match[1]),
    quarter: Number(match[2]) as Quarter['quarter'],
  };
}

/** The `YYYY-MM` labels of a quarter's months. */
export function monthsOf(quarter: Quarter): string[] {
  const first = (quarter.quarter - 1) * 3 + 1;
  return [first, first + 1, first + 2].map(
    (month) => `${quarter.year}-${String(month).padStart(2, '0')}`,
  );
}

/** `YYYY-MM` of an instant, as the calendar reads in `timeZone`. */
export function monthIn(time: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
  }).formatToParts(time);
  const year = parts.find((part) => part.type === 'year')?.value ?? '0000';
  const month = parts.find((part) => part.type === 'month')?.value ?? '01';
  return `${year}-${month}`;
}

function quarterOfMonth(month: string): Quarter {
  const year = Number(month.slice(0, 4));
  const quarter = (Math.floor((Number(month.slice(5, 7)) - 1) / 3) + 1) as Quarter['quarter'];
  return { period: `${year}-Q${quarter}`, year, quarter };
}

function previousQuarter(quarter: Quarter): Quarter {
  const year = quarter.quarter === 1 ? quarter.year - 1 : quarter.year;
  const number = (quarter.quarter === 1 ? 4 : quarter.quarter - 1) as Quarter['quarter'];
  return { period: `${year}-Q${number}`, year, quarter: number };
}

/** The last `count` quarters that have ended by `now` in `timeZone`, latest first. */
export function endedQuarters(now: Date, timeZone: string, count = PUBLISHED_QUARTERS): Quarter[] {
  let quarter = previousQuarter(quarterOfMonth(monthIn(now, timeZone)));
  const list: Quarter[] = [];
  for (let index = 0; index < count; index += 1) {
    list.push(quarter);
    quarter = previousQuarter(quarter);
  }
  return list;
}

function hasEnded(quarter: Quarter, now: Date, timeZone: string): boolean {
  const current = quarterOfMonth(monthIn(now, timeZone));
  return quarter.year * 4 + quarter.quarter < current.year * 4 + current.quarter;
}

/**
 * One record per distinct (member, topic, month) among cases started in the quarter. Cases are
 * read with a day's margin either side of the UTC quarter and placed by local month.
 */
export async function supportRecords(
  db: DbExecutor,
  quarter: Quarter,
  timeZone: string,
): Promise<{ row: string; column: string }[]> {
  const months = monthsOf(quarter);
  const startMonth = months[0]!;
  const from = new Date(`${startMonth}-01T00:00:00.000Z`);
  from.setUTCDate(from.getUTCDate() - 2);
  const to = new Date(Date.UTC(quarter.year, quarter.quarter * 3, 1));
  to.setUTCDate(to.getUTCDate() + 2);
  const rows = await tablesOf<MessagesTables>(db)
    .selectFrom('messages_support_cases')
    .select(['member_id', 'topic', 'created_at'])
    .where('created_at', '>=', from.toISOString())
    .where('created_at', '<', to.toISOString())
    .execute();
  const seen = new Set<string>();
  const records: { row: string; column: string }[] = [];
  for (const row of rows) {
    const month = monthIn(new Date(row.created_at), timeZone);
    if (!months.includes(month)) continue;
    const key = `${row.member_id}\u0000${row.topic}\u0000${month}`;
    if (seen.has(key)) continue;
    seen.add(key);
    records.push({ row: row.topic, column: month });
  }
  return records;
}

export interface SupportStatistics {
  period: string;
  publishedAt: string;
  table: PublishedTable;
}

/**
 * The published table of an ended quarter: read from the store, or computed, stored and read
 * back (so two processes publishing at once both serve the one stored release).
 */
export async function publishedSupportStatistics(
  db: DbExecutor,
  period: string,
  options: { now?: Date; timeZone: string },
): Promise<SupportStatistics> {
  const quarter = parsePeriod(period);
  const now = options.now ?? new Date();
  if (!hasEnded(quarter, now, options.timeZone)) {
    throw new AppError('not_found', 'Statistics for a quarter are published once it has ended.');
  }
  const store = tablesOf<MessagesTables>(db);
  const read = () =>
    store
      .selectFrom('messages_support_statistics')
      .selectAll()
      .where('period', '=', quarter.period)
      .executeTakeFirst();
  let stored = await read();
  if (!stored) {
    const table = publishWithSuppression(
      countTable(
        await supportRecords(db, quarter, options.timeZone),
        SUPPORT_TOPICS,
        monthsOf(quarter),
      ),
      DEFAULT_K,
    );
    await store
      .insertInto('messages_support_statistics')
      .values({
        period: quarter.period,
        k: table.k,
        published_table: JSON.stringify(table),
        published_at: nowTime(),
      })
      .onConflict((conflict) => conflict.column('period').doNothing())
      .execute();
    stored = await read();
    if (!stored) throw new Error(`statistics for ${quarter.period} could not be stored`);
  }
  return {
    period: stored.period,
    publishedAt: stored.published_at,
    table: JSON.parse(stored.published_table) as PublishedTable,
  };
}
