/**
 * The aggregate report for advertisers (P32): three tables with fixed dimensions, each
 * published through the k-anonymous table library (`privacy/aggregates.ts`), so that no figure
 * describes fewer than k people (or views) and no suppressed figure can be recovered by adding
 * and subtracting published ones (complementary suppression).
 *
 * - page views by section (the first path segment, from a fixed list) and month;
 * - members by region (the region of the place each member chose);
 * - newsletter subscribers by life stage.
 *
 * Dimensions are fixed lists, never values found in the data, so a report cannot grow a row
 * that describes one person. A record outside them (a path in no listed section) falls into
 * "Other pages", or for regions and stages is not counted.
 */
import type { DbExecutor } from '../../platform/db/database.js';
import {
  DEFAULT_K,
  publishWithSuppression,
  suppressedCount,
  type CountTable,
  type PublishedTable,
} from '../../privacy/aggregates.js';
import { countMembersByRegion, MEMBER_REGIONS } from '../accounts/index.js';
import { countSubscribersByLifeStage, LIFE_STAGES } from '../newsletters/index.js';
import { viewsByPathAndMonth } from './analytics.reports.js';
import { dayIn, monthsEndingWith } from './analytics.time.js';

export { DEFAULT_K };

/** The most k a report may be asked for; beyond it every figure would be hidden anyway. */
export const MAX_K = 1000;
/** Months of page views in a report, ending with the current month. */
export const REPORT_MONTHS = 12;

/** The sites' sections: the first segment of a page's path. */
export const SECTIONS: readonly { key: string; label: string; segments: readonly string[] }[] = [
  { key: 'home', label: 'Home page', segments: [''] },
  { key: 'forum', label: 'Forum', segments: ['forum'] },
  { key: 'newsletters', label: 'Newsletters', segments: ['newsletters'] },
  { key: 'competitions', label: 'Competitions', segments: ['competitions'] },
  { key: 'trials', label: 'Product trials', segments: ['trials'] },
  { key: 'surveys', label: 'Surveys, polls and panels', segments: ['surveys', 'polls', 'panels'] },
  { key: 'listings', label: 'Local listings and What’s on', segments: ['listings', 'whats-on'] },
  { key: 'reviews', label: 'Reviews', segments: ['reviews'] },
  { key: 'help', label: 'Help', segments: ['help'] },
  { key: 'other', label: 'Other pages', segments: [] },
];

const SECTION_BY_SEGMENT = new Map(
  SECTIONS.flatMap((section) => section.segments.map((segment) => [segment, section.key])),
);

/** The section of a route pattern: its first path segment if listed, else `other`. */
export function sectionOf(path: string): string {
  const segment = path.split('/')[1] ?? '';
  return SECTION_BY_SEGMENT.get(segment) ?? 'other';
}

const STAGE_LABELS: Readonly<Record<string, string>> = {
  general: 'General newsletters',
  'pregnancy-weekly': 'Pregnancy Weekly',
  'baby-monthly': 'Baby Monthly',
};

export interface ReportTable {
  key: 'page-views' | 'members' | 'subscribers';
  title: string;
  /** What one unit counted is. */
  unit: string;
  rowHeading: string;
  columnHeading: string;
  /** Labels people read, in the order of `table.rows` and `table.columns`. */
  rowLabels: readonly string[];
  columnLabels: readonly string[];
  table: PublishedTable;
  suppressed: number;
}

export interface AdvertiserReport {
  generatedAt: string;
  k: number;
  timezone: string;
  tables: ReportTable[];
}

function monthLabel(month: string): string {
  const [year, monthNumber] = month.split('-').map(Number);
  return new Date(Date.UTC(year ?? 1970, (monthNumber ?? 1) - 1, 1)).toLocaleDateString('en-GB', {
    month: 'short',
    year: 'numeric',
    timeZone: 'UTC',
  });
}

/** Page views by section and month, as a count table (before suppression). */
export async function pageViewsTable(
  db: DbExecutor,
  months: readonly string[],
): Promise<CountTable> {
  const rows = SECTIONS.map((section) => section.key);
  const counts = rows.map(() => months.map(() => 0));
  const monthIndex = new Map(months.map((month, index) => [month, index]));
  const rowIndex = new Map(rows.map((key, index) => [key, index]));
  for (const record of await viewsByPathAndMonth(db, months)) {
    const c = monthIndex.get(record.month);
    const r = rowIndex.get(sectionOf(record.path));
    const line = r === undefined ? undefined : counts[r];
    if (c !== undefined && line) line[c] = (line[c] ?? 0) + record.views;
  }
  return { rows, columns: months, counts };
}

/** Members by region, as a count table (one column). */
export async function membersTable(db: DbExecutor): Promise<CountTable> {
  const counts = await countMembersByRegion(db);
  const byRegion = new Map(counts.map((row) => [row.region, row.members]));
  return {
    rows: MEMBER_REGIONS,
    columns: ['members'],
    counts: MEMBER_REGIONS.map((region) => [byRegion.get(region) ?? 0]),
  };
}

/** Subscribers by life stage, as a count table (one column). */
export async function subscribersTable(db: DbExecutor): Promise<CountTable> {
  const counts = await countSubscribersByLifeStage(db);
  const byStage = new Map<string, number>(counts.map((row) => [row.stage, row.subscribers]));
  return {
    rows: LIFE_STAGES,
    columns: ['subscribers'],
    counts: LIFE_STAGES.map((stage) => [byStage.get(stage) ?? 0]),
  };
}

/** Reads a k from a query value: a whole number from 2 to MAX_K, or the default when absent. */
export function parseK(value: unknown): number | null {
  if (value === undefined || value === '') return DEFAULT_K;
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string' || !/^\d{1,4}$/.test(text)) return null;
  const k = Number(text);
  return k >= 2 && k <= MAX_K ? k : null;
}

/** Builds and publishes the three tables with minimum group size `k`. */
export async function buildAdvertiserReport(
  db: DbExecutor,
  options: { k?: number; timezone: string; now?: Date },
): Promise<AdvertiserReport> {
  const k = options.k ?? DEFAULT_K;
  const now = options.now ?? new Date();
  const months = monthsEndingWith(dayIn(now, options.timezone), REPORT_MONTHS);
  const [views, members, subscribers] = await Promise.all([
    pageViewsTable(db, months),
    membersTable(db),
    subscribersTable(db),
  ]);
  const publish = (table: CountTable) => {
    const published = publishWithSuppression(table, k);
    return { table: published, suppressed: suppressedCount(published) };
  };
  return {
    generatedAt: now.toISOString(),
    k,
    timezone: options.timezone,
    tables: [
      {
        key: 'page-views',
        title: 'Page views by section and month',
        unit: 'page views',
        rowHeading: 'Section',
        columnHeading: 'Month',
        rowLabels: SECTIONS.map((section) => section.label),
        columnLabels: months.map(monthLabel),
        ...publish(views),
      },
      {
        key: 'members',
        title: 'Members by region',
        unit: 'members',
        rowHeading: 'Region',
        columnHeading: 'Members',
        rowLabels: MEMBER_REGIONS,
        columnLabels: ['Members'],
        ...publish(members),
      },
      {
        key: 'subscribers',
        title: 'Newsletter subscribers by life stage',
        unit: 'subscribers',
        rowHeading: 'Life stage',
        columnHeading: 'Subscribers',
        rowLabels: LIFE_STAGES.map((stage) => STAGE_LABELS[stage] ?? stage),
        columnLabels: ['Subscribers'],
        ...publish(subscribers),
      },
    ],
  };
}

/** How a figure reads in a report: the count, or why it is not shown. */
export function figureText(value: number | null, k: number): string {
  return value === null ? `suppressed (fewer than ${k}, or would reveal one)` : String(value);
}

function csvField(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * The report as CSV: one block per table (a title line, a header, one line per row with its
 * total, then the totals line), blank lines between blocks. A suppressed figure is the word
 * `suppressed`, never an empty field that a spreadsheet would sum as zero.
 */
export function reportCsv(report: AdvertiserReport): string {
  const lines: string[] = [
    `# Hearth aggregate report,generated ${report.generatedAt},k = ${report.k}`,
    `# Figures describing fewer than ${report.k} (and figures that would reveal them) are "suppressed".`,
  ];
  const figure = (value: number | null) => (value === null ? 'suppressed' : String(value));
  for (const entry of report.tables) {
    const { table } = entry;
    lines.push('', csvField(`${entry.title} (${entry.unit})`));
    const single = table.columns.length === 1;
    lines.push(
      [entry.rowHeading, ...entry.columnLabels, ...(single ? [] : ['Total'])]
        .map(csvField)
        .join(','),
    );
    table.rows.forEach((_, r) => {
      lines.push(
        [
          csvField(entry.rowLabels[r] ?? ''),
          ...(table.cells[r] ?? []).map(figure),
          ...(single ? [] : [figure(table.rowTotals[r] ?? null)]),
        ].join(','),
      );
    });
    lines.push(
      ['Total', ...table.columnTotals.map(figure), ...(single ? [] : [figure(table.total)])].join(
        ',',
      ),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}
