import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildTestApp } from '../../../test/helpers/app.js';
import { describeEachDialect } from '../../../test/helpers/dialects.js';
import { loginAs, makeMember, type LoggedIn } from '../../../test/helpers/members.js';
import { tablesOf } from '../../platform/db/database.js';
import type { AuditTables } from '../../privacy/audit/audit.tables.js';
import { generateTotpSecret, type Role } from '../accounts/index.js';
import { MODULES } from '../index.js';
import { cookies } from '../cookies/index.js';
import type { AnalyticsTables } from './analytics.tables.js';
import { dayIn } from './analytics.time.js';

const BROWSER =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1';

describeEachDialect('analytics over HTTP', (current) => {
  const typed = () => tablesOf<AnalyticsTables>(current().db);

  beforeEach(async () => {
    await typed().deleteFrom('analytics_page_views').execute();
    await typed().deleteFrom('analytics_visitor_hashes').execute();
  });

  /** Runs requests against a fresh app, then closes it, which writes the counts. */
  const visit = async (
    requests: { url: string; method?: 'GET' | 'POST'; headers?: Record<string, string> }[],
  ) => {
    const app = await buildTestApp(current());
    const responses = [];
    try {
      for (const request of requests) {
        responses.push(
          await app.inject({
            method: request.method ?? 'GET',
            url: request.url,
            headers: { 'user-agent': BROWSER, ...request.headers },
          }),
        );
      }
    } finally {
      await app.close();
    }
    return responses;
  };
  const counted = () =>
    typed().selectFrom('analytics_page_views').select(['path', 'views']).orderBy('path').execute();
  const hashCount = async () =>
    (await typed().selectFrom('analytics_visitor_hashes').selectAll().execute()).length;

  it('P29 counts a page view without setting or reading any cookie, under its route pattern and without the query string', async () => {
    const [page, robot] = await visit([
      { url: '/?utm_source=newsletter&email=someone%40example.test' },
      // Not counted (a robot): the cookies any page sets without analytics.
      { url: '/', headers: { 'user-agent': 'Mozilla/5.0 (compatible; Googlebot/2.1)' } },
    ]);
    expect(page?.statusCode).toBe(200);
    const names = (header: string | string[] | undefined) =>
      [header ?? []].flat().map((cookie) => cookie.split('=')[0]);
    // Counting adds no cookie: the counted view sets exactly what the uncounted one sets (the
    // platform's strictly necessary CSRF cookie, if any), and none of it is a visitor id.
    expect(names(page?.headers['set-cookie'])).toEqual(names(robot?.headers['set-cookie']));
    for (const name of names(page?.headers['set-cookie'])) {
      expect(name).not.toMatch(/analytic|visitor|_ga|uid/i);
    }
    expect(await counted()).toEqual([{ path: '/', views: 1 }]);
    const [row] = await typed().selectFrom('analytics_page_views').select('day').execute();
    expect(row?.day).toBe(dayIn(new Date(), 'Europe/London'));
    expect(await hashCount()).toBe(1);
  });

  it('P29 does not count robots, the API, assets, missing pages, form posts or prefetches', async () => {
    await visit([
      { url: '/', headers: { 'user-agent': 'Mozilla/5.0 (compatible; Googlebot/2.1)' } },
      { url: '/', headers: { 'user-agent': '' } },
      { url: '/', headers: { 'user-agent': 'curl/8.5.0' } },
      { url: '/', headers: { 'sec-purpose': 'prefetch' } },
      { url: '/healthz' },
      { url: '/api/v1/locations?q=man' },
      { url: '/no-such-page' },
      { url: '/login', method: 'POST' },
    ]);
    expect(await counted()).toEqual([]);
  });

  it('P29 a visitor sending Global Privacy Control counts as a page view but is never hashed', async () => {
    await visit([
      { url: '/', headers: { 'sec-gpc': '1' } },
      { url: '/login', headers: { 'sec-gpc': '1' } },
    ]);
    expect(await counted()).toEqual([
      { path: '/', views: 1 },
      { path: '/login', views: 1 },
    ]);
    expect(await hashCount()).toBe(0);
  });

  it('P29 a visitor who refused analytics in the cookie settings counts as a page view but is never hashed', async () => {
    const modules = MODULES.includes(cookies) ? MODULES : [cookies, ...MODULES];
    const app = await buildTestApp(current(), { modules });
    const choose = async (action: 'reject-all' | 'accept-all') => {
      // Fetched as a robot, so that only the pages below are counted.
      const first = await app.inject({ url: '/', headers: { 'user-agent': 'Googlebot/2.1' } });
      const csrf = /name="_csrf" value="([^"]+)"/.exec(first.body)?.[1] ?? '';
      const jar = first.cookies.map((cookie) => `${cookie.name}=${cookie.value}`).join('; ');
      const chosen = await app.inject({
        method: 'POST',
        url: '/cookies',
        headers: {
          'user-agent': BROWSER,
          cookie: jar,
          'content-type': 'application/x-www-form-urlencoded',
        },
        payload: new URLSearchParams({ action, return: '/', _csrf: csrf }).toString(),
      });
      expect(chosen.statusCode).toBe(303);
      return [jar, ...chosen.cookies.map((cookie) => `${cookie.name}=${cookie.value}`)].join('; ');
    };
    try {
      const refused = await choose('reject-all');
      const accepted = await choose('accept-all');
      const page = await app.inject({
        url: '/login',
        headers: { 'user-agent': BROWSER, cookie: refused },
      });
      expect(page.statusCode).toBe(200);
      await app.inject({
        url: '/login',
        headers: { 'user-agent': `${BROWSER} other`, cookie: accepted },
      });
    } finally {
      await app.close();
    }
    expect(await counted()).toEqual([{ path: '/login', views: 2 }]);
    // Only the visitor who accepted is among the unique visitors.
    expect(await hashCount()).toBe(1);
  });

  it('P29 counts pages of every module, not only its own (the hook is app-wide)', async () => {
    await visit([{ url: '/' }, { url: '/login' }, { url: '/privacy' }, { url: '/register' }]);
    expect((await counted()).map((row) => row.path)).toEqual([
      '/',
      '/login',
      '/privacy',
      '/register',
    ]);
  });

  describe('staff pages', () => {
    let app: FastifyInstance;
    beforeAll(async () => {
      app = await buildTestApp(current());
    });
    afterAll(async () => {
      await app?.close();
    });

    const staff = async (roles: readonly Role[]) => {
      const member = await makeMember(current().db, {
        roles,
        totpSecret: generateTotpSecret(),
        secretKey: app.secretKey,
      });
      return { member, login: await loginAs(app, member) };
    };
    const get = (login: LoggedIn, url: string) =>
      app.inject({ method: 'GET', url, headers: { ...login.headers, 'user-agent': BROWSER } });

    it('P29 shows admins and editors the 30-day chart with its table, and refuses others', async () => {
      const today = dayIn(new Date(), 'Europe/London');
      await typed()
        .insertInto('analytics_page_views')
        .values({ day: today, path: '/forum', views: 42 })
        .execute();
      const { login: admin } = await staff(['admin']);
      const { login: editor } = await staff(['editor']);
      const { login: moderator } = await staff(['moderator']);
      const plain = await loginAs(app, await makeMember(current().db));
      for (const login of [admin, editor]) {
        const page = await get(login, '/admin/analytics');
        expect(page.statusCode).toBe(200);
        expect(page.body).toContain('role="img"');
        expect(page.body).toContain('<title id="traffic-chart-title">');
        expect(page.body).toMatch(/<caption>Page views and unique visitors per day/);
        expect(page.body).toContain('<code>/forum</code>');
        expect(page.body).not.toMatch(/\sstyle=/);
        expect(page.body.match(/<tr>/g)?.length ?? 0).toBeGreaterThanOrEqual(31);
      }
      for (const login of [moderator, plain]) {
        for (const url of ['/admin/analytics', '/admin/advertisers', '/admin/advertisers.csv']) {
          expect((await get(login, url)).statusCode, url).toBe(403);
        }
        expect((await get(login, '/api/v1/analytics/advertiser-report')).statusCode).toBe(403);
      }
      expect((await app.inject({ url: '/api/v1/analytics/advertiser-report' })).statusCode).toBe(
        401,
      );
    });

    it('P32 shows the advertiser report with suppressed figures explained, and rejects a bad k', async () => {
      const { login } = await staff(['admin']);
      const page = await get(login, '/admin/advertisers');
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('Members by region');
      expect(page.body).toContain('Newsletter subscribers by life stage');
      expect(page.body).toContain('Page views by section and month');
      expect(page.body).not.toMatch(/\sstyle=/);
      const bad = await get(login, '/admin/advertisers?k=1');
      expect(bad.statusCode).toBe(422);
      expect(bad.body).toContain('Enter a whole number from 2 to 1000.');
      expect((await get(login, '/admin/advertisers.csv?k=abc')).statusCode).toBe(400);
      const api = await get(login, '/api/v1/analytics/advertiser-report?k=1');
      expect(api.statusCode).toBe(400);
      expect(api.json()).toMatchObject({ error: { code: 'validation_failed' } });
    });

    it('P32 serves the report as CSV and JSON, suppressing small groups, and audits each download', async () => {
      const { member, login } = await staff(['editor']);
      for (let index = 0; index < 3; index += 1) {
        await makeMember(current().db, { locationId: 'belfast' });
      }
      const csv = await get(login, '/admin/advertisers.csv?k=10');
      expect(csv.statusCode).toBe(200);
      expect(csv.headers['content-type']).toMatch(/^text\/csv/);
      expect(csv.headers['content-disposition']).toMatch(
        /^attachment; filename="hearth-aggregates-.*-k10\.csv"$/,
      );
      expect(csv.body).toMatch(/Northern Ireland,suppressed/);

      const json = await get(login, '/api/v1/analytics/advertiser-report');
      expect(json.statusCode).toBe(200);
      const body = json.json<{
        k: number;
        tables: { key: string; rows: string[]; cells: (number | null)[][] }[];
      }>();
      expect(body.k).toBe(10);
      const members = body.tables.find((table) => table.key === 'members')!;
      expect(members.cells[members.rows.indexOf('Northern Ireland')]).toEqual([null]);

      const audits = await tablesOf<AuditTables>(current().db)
        .selectFrom('audit_chain')
        .innerJoin('audit_details', 'audit_details.seq', 'audit_chain.seq')
        .select(['audit_chain.action', 'audit_details.detail'])
        .where('audit_chain.action', '=', 'analytics.advertiser-report.downloaded')
        .where('audit_details.actor_id', '=', member.id)
        .orderBy('audit_chain.seq')
        .execute();
      expect(audits.map((entry) => JSON.parse(entry.detail) as unknown)).toEqual([
        { k: 10, format: 'csv' },
        { k: 10, format: 'json' },
      ]);
    });

    it('P32 lists the report in the OpenAPI document', async () => {
      const openapi = await app.inject({ url: '/api/v1/openapi.json' });
      expect(Object.keys(openapi.json<{ paths: object }>().paths)).toContain(
        '/api/v1/analytics/advertiser-report',
      );
    });
  });
});
