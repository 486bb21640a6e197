/**
 * `GET /api/v1/analytics/advertiser-report?k=`: the aggregate report for advertisers as JSON
 * (roles admin and editor). The same figures as the staff page and the CSV: suppressed figures
 * are `null`, never a number.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { errorResponses } from '../../platform/http/errors.js';
import { rolesOnly } from '../accounts/index.js';
import { buildAdvertiserReport, DEFAULT_K, MAX_K } from './analytics.advertisers.js';
import { ADVERTISERS_API, ANALYTICS_ROLES, auditReportDownload } from './analytics.pages.js';

const STAFF_SECURITY: { [scheme: string]: string[] }[] = [{ bearer: [] }, { cookie: [] }];

const Figure = Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], {
  description: 'A count, or null where suppressed.',
});

const ReportTableSchema = Type.Object({
  key: Type.String(),
  title: Type.String(),
  unit: Type.String(),
  rowHeading: Type.String(),
  columnHeading: Type.String(),
  rows: Type.Array(Type.String(), { description: 'Row keys (fixed dimension).' }),
  columns: Type.Array(Type.String(), { description: 'Column keys (fixed dimension).' }),
  rowLabels: Type.Array(Type.String()),
  columnLabels: Type.Array(Type.String()),
  cells: Type.Array(Type.Array(Figure), { description: 'cells[row][column].' }),
  rowTotals: Type.Array(Figure),
  columnTotals: Type.Array(Figure),
  total: Figure,
  suppressed: Type.Integer({ minimum: 0, description: 'How many figures are suppressed.' }),
});

const ReportSchema = Type.Object({
  generatedAt: Type.String(),
  k: Type.Integer(),
  timezone: Type.String(),
  tables: Type.Array(ReportTableSchema),
});

export const analyticsRoutes: FastifyPluginAsync = (fastify) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const guard = rolesOnly(ANALYTICS_ROLES);

  app.get(
    ADVERTISERS_API,
    {
      preHandler: guard,
      schema: {
        summary: 'The k-anonymous aggregate report for advertisers (staff)',
        description:
          'Page views by section and month, members by region and newsletter subscribers by life stage. Figures below k, and figures that would let one be worked out, are null.',
        tags: ['analytics'],
        security: STAFF_SECURITY,
        querystring: Type.Object({
          k: Type.Optional(
            Type.Integer({
              minimum: 2,
              maximum: MAX_K,
              default: DEFAULT_K,
              description: 'The smallest figure shown.',
            }),
          ),
        }),
        response: { 200: ReportSchema, ...errorResponses(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const k = request.query.k ?? DEFAULT_K;
      const report = await buildAdvertiserReport(app.db, { k, timezone: app.config.timezone });
      await auditReportDownload(request, k, 'json');
      void reply.header('cache-control', 'no-store');
      return {
        generatedAt: report.generatedAt,
        k: report.k,
        timezone: report.timezone,
        tables: report.tables.map((entry) => ({
          key: entry.key,
          title: entry.title,
          unit: entry.unit,
          rowHeading: entry.rowHeading,
          columnHeading: entry.columnHeading,
          rows: [...entry.table.rows],
          columns: [...entry.table.columns],
          rowLabels: [...entry.rowLabels],
          columnLabels: [...entry.columnLabels],
          cells: entry.table.cells,
          rowTotals: entry.table.rowTotals,
          columnTotals: entry.table.columnTotals,
          total: entry.table.total,
          suppressed: entry.suppressed,
        })),
      };
    },
  );
  return Promise.resolve();
};
