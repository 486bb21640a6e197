/**
 * The analytics pages of the staff area (roles admin and editor, second factor passed,
 * checked on the server whatever the navigation shows):
 *
 * - `/admin/analytics`: page views and unique visitors per day for the last 30 days, as a chart
 *   with its table, and the most viewed pages;
 * - `/admin/advertisers`: the k-anonymous aggregate report for advertisers (P32), with
 *   its CSV download (`/admin/advertisers.csv`) and its JSON twin in the API
 *   (`GET /api/v1/analytics/advertiser-report`).
 *
 * Everything shown is a count; downloading the report, which is made to leave Hearth, is
 * recorded in the audit log.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ComponentChildren } from 'preact';
import { AppError } from '../../platform/http/errors.js';
import type { AdminNavEntry } from '../../platform/module.js';
import { Button, ErrorSummary, Field, Form } from '../../platform/views/forms.js';
import { appendAudit } from '../../privacy/audit/audit.service.js';
import { getCurrentMember, rolesOnly, type CurrentMember, type Role } from '../accounts/index.js';
import { sendAdminPage } from '../admin/index.js';
import {
  buildAdvertiserReport,
  DEFAULT_K,
  MAX_K,
  parseK,
  reportCsv,
  type AdvertiserReport,
  type ReportTable,
} from './analytics.advertisers.js';
import { TrafficChart } from './analytics.chart.js';
import { dailyFigures, topPaths, visitorsSoFar } from './analytics.reports.js';
import { dayIn, daysEndingWith } from './analytics.time.js';

/** Roles that may open the analytics pages: counts only, but about the business. */
export const ANALYTICS_ROLES: readonly Role[] = ['admin', 'editor'];

export const ANALYTICS_PAGE = '/admin/analytics';
export const ADVERTISERS_PAGE = '/admin/advertisers';
export const ADVERTISERS_CSV = '/admin/advertisers.csv';
export const ADVERTISERS_API = '/api/v1/analytics/advertiser-report';

export const ANALYTICS_NAV: readonly AdminNavEntry[] = [
  { href: ANALYTICS_PAGE, label: 'Analytics', roles: ANALYTICS_ROLES },
  { href: ADVERTISERS_PAGE, label: 'Advertiser report', roles: ANALYTICS_ROLES },
];

const CHART_DAYS = 30;
const TOP_PATHS = 20;

async function staffMember(request: FastifyRequest): Promise<CurrentMember> {
  const member = await getCurrentMember(request);
  if (!member) throw new AppError('unauthenticated', 'Please log in first.');
  return member;
}

/** Records that a report left the staff area: who, which k, which format. */
export async function auditReportDownload(
  request: FastifyRequest,
  k: number,
  format: 'csv' | 'json',
): Promise<void> {
  const member = await staffMember(request);
  await appendAudit(request.server.db, {
    action: 'analytics.advertiser-report.downloaded',
    actorId: member.id,
    detail: { k, format },
  });
}

function PublishedTableView(props: { entry: ReportTable; k: number }) {
  const { entry, k } = props;
  const { table } = entry;
  const single = table.columns.length === 1;
  const cell = (value: number | null, key?: string | number) =>
    value === null ? (
      <td key={key} class="suppressed">
        <abbr title={`Suppressed: fewer than ${k}, or it would reveal a figure that is`}>
          suppressed
        </abbr>
      </td>
    ) : (
      <td key={key}>{value}</td>
    );
  return (
    <section aria-labelledby={`table-${entry.key}`}>
      <h2 id={`table-${entry.key}`}>{entry.title}</h2>
      <p>
        {entry.suppressed === 0
          ? `Every figure is shown: none describes fewer than ${k} ${entry.unit}.`
          : `${entry.suppressed} ${entry.suppressed === 1 ? 'figure is' : 'figures are'} suppressed.`}
      </p>
      <table class="table" tabIndex={0}>
        <caption>
          {entry.title} ({entry.unit})
        </caption>
        <thead>
          <tr>
            <th scope="col">{entry.rowHeading}</th>
            {entry.columnLabels.map((label) => (
              <th key={label} scope="col">
                {label}
              </th>
            ))}
            {single ? null : <th scope="col">Total</th>}
          </tr>
        </thead>
        <tbody>
          {table.rows.map((row, r) => (
            <tr key={row}>
              <th scope="row">{entry.rowLabels[r] ?? row}</th>
              {(table.cells[r] ?? []).map((value, c) => cell(value, table.columns[c] ?? c))}
              {single ? null : cell(table.rowTotals[r] ?? null)}
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row">Total</th>
            {table.columnTotals.map((value, c) => cell(value, table.columns[c] ?? c))}
            {single ? null : cell(table.total)}
          </tr>
        </tfoot>
      </table>
    </section>
  );
}

function ReportBody(props: {
  report: AdvertiserReport | null;
  kText: string;
  error?: string | undefined;
}) {
  const k = props.report?.k ?? DEFAULT_K;
  const query = `?k=${encodeURIComponent(String(k))}`;
  return (
    <>
      <h1>Aggregate report for advertisers</h1>
      <p>
        These figures may be shared with advertisers. No figure describes fewer than {k} members,
        subscribers or page views: smaller figures are <strong>suppressed</strong>, and so are
        enough others that a suppressed figure cannot be worked out from the totals or from the
        figures that are shown. Members who objected to the use of their data for advertising are
        not counted.
      </p>
      <ErrorSummary errors={props.error ? { k: props.error } : undefined} />
      <Form method="get" action={ADVERTISERS_PAGE} label="Minimum group size">
        <Field
          name="k"
          type="number"
          width="short"
          label="Smallest figure to show (k)"
          hint={`A whole number from 2 to ${MAX_K}; ${DEFAULT_K} unless you have a reason for more.`}
          value={props.kText}
          error={props.error}
          inputMode="numeric"
        />
        <Button variant="secondary">Show the report</Button>
      </Form>
      {props.report ? (
        <>
          <p>
            Download: <a href={`${ADVERTISERS_CSV}${query}`}>CSV</a> or{' '}
            <a href={`${ADVERTISERS_API}${query}`}>JSON</a>. Each download is recorded in the audit
            log.
          </p>
          {props.report.tables.map((entry) => (
            <PublishedTableView key={entry.key} entry={entry} k={k} />
          ))}
          <p>
            Months are calendar months in {props.report.timezone}. Page views are counted without
            cookies; sections are the first part of a page’s address.
          </p>
        </>
      ) : null}
    </>
  );
}

function AnalyticsBody(props: {
  figures: Parameters<typeof TrafficChart>[0]['figures'];
  visitorsToday: number;
  top: readonly { path: string; views: number }[];
}) {
  return (
    <>
      <h1>Analytics</h1>
      <p>
        Page views and unique visitors of the public pages over the last {CHART_DAYS} days. Counted
        without cookies: a visitor is recognised for one day only, by a code that cannot be traced
        back to them once the day is over. Robots, the staff area and the API are not counted;
        people who refused analytics in the cookie settings or send Global Privacy Control count as
        page views, not as visitors.
      </p>
      <TrafficChart figures={props.figures} visitorsToday={props.visitorsToday} />
      <h2>Most viewed pages</h2>
      {props.top.length === 0 ? (
        <p>No page views counted in the last {CHART_DAYS} days.</p>
      ) : (
        <table class="table" tabIndex={0}>
          <caption>
            The {props.top.length} most viewed pages in the last {CHART_DAYS} days
          </caption>
          <thead>
            <tr>
              <th scope="col">Page (address pattern)</th>
              <th scope="col">Page views</th>
            </tr>
          </thead>
          <tbody>
            {props.top.map((entry) => (
              <tr key={entry.path}>
                <th scope="row">
                  <code>{entry.path}</code>
                </th>
                <td>{entry.views}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p>
        <a href={ADVERTISERS_PAGE}>The aggregate report for advertisers</a>
      </p>
    </>
  );
}

export const analyticsPages: FastifyPluginAsync = (app) => {
  const guard = rolesOnly(ANALYTICS_ROLES);
  const timezone = app.config.timezone;

  const sendPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    title: string,
    body: ComponentChildren,
    options: { status?: number } = {},
  ) => sendAdminPage(app, request, reply, await staffMember(request), title, body, options);

  app.get(ANALYTICS_PAGE, { preHandler: guard }, async (request, reply) => {
    const now = new Date();
    const today = dayIn(now, timezone);
    const days = daysEndingWith(today, CHART_DAYS);
    const [figures, visitorsToday, top] = await Promise.all([
      dailyFigures(app.db, days, today),
      visitorsSoFar(app.db, today),
      topPaths(app.db, days[0] ?? today, today, TOP_PATHS),
    ]);
    return sendPage(
      request,
      reply,
      'Analytics',
      <AnalyticsBody figures={figures} visitorsToday={visitorsToday} top={top} />,
    );
  });

  app.get<{ Querystring: { k?: string } }>(
    ADVERTISERS_PAGE,
    { preHandler: guard },
    async (request, reply) => {
      const kText = typeof request.query.k === 'string' ? request.query.k : '';
      const k = parseK(kText);
      if (k === null) {
        return sendPage(
          request,
          reply,
          'Error: Aggregate report for advertisers',
          <ReportBody
            report={null}
            kText={kText}
            error={`Enter a whole number from 2 to ${MAX_K}.`}
          />,
          { status: 422 },
        );
      }
      const report = await buildAdvertiserReport(app.db, { k, timezone });
      return sendPage(
        request,
        reply,
        'Aggregate report for advertisers',
        <ReportBody report={report} kText={String(k)} />,
      );
    },
  );

  app.get<{ Querystring: { k?: string } }>(
    ADVERTISERS_CSV,
    { preHandler: guard, schema: { hide: true } },
    async (request, reply) => {
      const k = parseK(request.query.k);
      if (k === null) {
        throw new AppError('validation_failed', `k must be a whole number from 2 to ${MAX_K}.`, {
          fields: { k: `must be a whole number from 2 to ${MAX_K}` },
        });
      }
      const report = await buildAdvertiserReport(app.db, { k, timezone });
      await auditReportDownload(request, k, 'csv');
      const day = report.generatedAt.slice(0, 10);
      return reply
        .header('cache-control', 'no-store')
        .header('content-disposition', `attachment; filename="hearth-aggregates-${day}-k${k}.csv"`)
        .type('text/csv; charset=utf-8')
        .send(reportCsv(report));
    },
  );
  return Promise.resolve();
};
