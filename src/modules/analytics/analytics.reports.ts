/**
 * What staff see: page views and unique visitors per day, and the most viewed pages. Every
 * figure is a count read from the aggregate tables; nothing here can name a visitor.
 */
import type { Kysely } from 'kysely';
import { tablesOf, type DbExecutor } from '../../platform/db/database.js';
import { toNumber } from '../../platform/db/portable.js';
import type { AnalyticsTables } from './analytics.tables.js';

function tables(db: DbExecutor): Kysely<AnalyticsTables> {
  return tablesOf<AnalyticsTables>(db);
}

export interface DailyFigures {
  day: string;
  views: number;
  /** Null for today: unique visitors are counted when the day is over. */
  visitors: number | null;
}

/** Views and unique visitors for each of `days` (oldest first); days without data count 0. */
export async function dailyFigures(
  db: DbExecutor,
  days: readonly string[],
  today: string,
): Promise<DailyFigures[]> {
  const first = days[0];
  const last = days[days.length - 1];
  if (first === undefined || last === undefined) return [];
  const [views, visitors] = await Promise.all([
    tables(db)
      .selectFrom('analytics_page_views')
      .select(['day', (eb) => eb.fn.sum<number | string>('views').as('views')])
      .where('day', '>=', first)
      .where('day', '<=', last)
      .groupBy('day')
      .execute(),
    tables(db)
      .selectFrom('analytics_daily_visitors')
      .select(['day', 'visitors'])
      .where('day', '>=', first)
      .where('day', '<=', last)
      .execute(),
  ]);
  const viewsByDay = new Map(views.map((row) => [row.day, toNumber(row.views)]));
  const visitorsByDay = new Map(visitors.map((row) => [row.day, toNumber(row.visitors)]));
  return days.map((day) => ({
    day,
    views: viewsByDay.get(day) ?? 0,
    visitors: day >= today ? null : (visitorsByDay.get(day) ?? 0),
  }));
}

/** Unique visitors so far today: the hashes written by the last flushes (a running count). */
export async function visitorsSoFar(db: DbExecutor, today: string): Promise<number> {
  const row = await tables(db)
    .selectFrom('analytics_visitor_hashes')
    .select((eb) => eb.fn.countAll<number | string>().as('count'))
    .where('day', '=', today)
    .executeTakeFirst();
  return toNumber(row?.count);
}

export interface PathFigure {
  path: string;
  views: number;
}

/** The most viewed route patterns between two days (inclusive). */
export async function topPaths(
  db: DbExecutor,
  from: string,
  to: string,
  limit: number,
): Promise<PathFigure[]> {
  const rows = await tables(db)
    .selectFrom('analytics_page_views')
    .select(['path', (eb) => eb.fn.sum<number | string>('views').as('views')])
    .where('day', '>=', from)
    .where('day', '<=', to)
    .groupBy('path')
    .orderBy((eb) => eb.fn.sum('views'), 'desc')
    .orderBy('path')
    .limit(limit)
    .execute();
  return rows.map((row) => ({ path: row.path, views: toNumber(row.views) }));
}

/** Views per route pattern and month (`YYYY-MM`) for the months given. */
export async function viewsByPathAndMonth(
  db: DbExecutor,
  months: readonly string[],
): Promise<{ path: string; month: string; views: number }[]> {
  const first = months[0];
  const last = months[months.length - 1];
  if (first === undefined || last === undefined) return [];
  const rows = await tables(db)
    .selectFrom('analytics_page_views')
    .select(['day', 'path', 'views'])
    .where('day', '>=', `${first}-01`)
    .where('day', '<=', `${last}-31`)
    .execute();
  return rows.map((row) => ({
    path: row.path,
    month: row.day.slice(0, 7),
    views: toNumber(row.views),
  }));
}
