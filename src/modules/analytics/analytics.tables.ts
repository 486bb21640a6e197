/** Kysely types of the analytics tables (migration 20261129_0080_analytics). */

export interface PageViewsTable {
  /** YYYY-MM-DD, the calendar day in TIMEZONE. */
  day: string;
  /** A route pattern such as `/forum/t/:id`. */
  path: string;
  views: number;
}

export interface DailyVisitorsTable {
  day: string;
  visitors: number;
  counted_at: string;
}

export interface DaySaltsTable {
  day: string;
  salt: string;
  created_at: string;
}

export interface VisitorHashesTable {
  day: string;
  hash: string;
}

export interface AnalyticsTables {
  analytics_page_views: PageViewsTable;
  analytics_daily_visitors: DailyVisitorsTable;
  analytics_day_salts: DaySaltsTable;
  analytics_visitor_hashes: VisitorHashesTable;
}
