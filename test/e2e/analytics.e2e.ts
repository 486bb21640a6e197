/**
 * The analytics pages of the staff area in Chromium, served by an app listening on loopback in
 * this process (its real CSP and assets): the 30-day chart and the advertiser report pass axe,
 * reflow at 320 CSS pixels, and the page a visitor opens sets no analytics cookie.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { generateTotpSecret } from '../../src/modules/accounts/index.js';
import { MODULES } from '../../src/modules/index.js';
import type { AnalyticsTables } from '../../src/modules/analytics/analytics.tables.js';
import { addDays, dayIn } from '../../src/modules/analytics/analytics.time.js';
import { tablesOf } from '../../src/platform/db/database.js';
import { isChromiumAvailable, runAxe } from '../helpers/browser.js';
import { useAppJourney } from '../helpers/journey.js';
import { makeMember, type TestMember } from '../helpers/members.js';

describe.skipIf(!isChromiumAvailable())('analytics pages in the browser', () => {
  const journey = useAppJourney({ modules: MODULES });
  let administrator: TestMember;

  beforeAll(async () => {
    const { database, app } = journey;
    const today = dayIn(new Date(), 'Europe/London');
    const analytics = tablesOf<AnalyticsTables>(database.db);
    for (let back = 1; back <= 30; back += 1) {
      const day = addDays(today, -back);
      await analytics
        .insertInto('analytics_page_views')
        .values([
          { day, path: '/', views: 40 + back },
          { day, path: '/forum/t/:id', views: 10 + (back % 7) },
        ])
        .execute();
      await analytics
        .insertInto('analytics_daily_visitors')
        .values({ day, visitors: 12 + (back % 5), counted_at: new Date().toISOString() })
        .execute();
    }
    for (let index = 0; index < 3; index += 1) {
      await makeMember(database.db, { locationId: 'belfast' });
    }
    administrator = await makeMember(database.db, {
      roles: ['admin'],
      totpSecret: generateTotpSecret(),
      secretKey: app.secretKey,
    });
  });

  async function open(path: string, width = 1280) {
    const { page, consoleErrors } = await journey.watchedPageAs(administrator, {
      width,
      height: 800,
    });
    const response = await page.goto(`${journey.baseUrl}${path}`, { waitUntil: 'load' });
    const violations = await runAxe(page);
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    const html = await page.content();
    await page.close();
    return { status: response?.status(), violations, consoleErrors, overflow, html };
  }

  it('P29 the 30-day chart and its table pass axe, on a desktop and on a 320 px phone', async () => {
    for (const width of [1280, 320]) {
      const result = await open('/admin/analytics', width);
      expect(result.status).toBe(200);
      expect(result.html).toContain('Page views and unique visitors per day');
      expect(result.violations).toEqual([]);
      expect(result.consoleErrors).toEqual([]);
      expect(result.overflow).toBeLessThanOrEqual(0);
    }
  });

  it('P32 the advertiser report, with suppressed figures, passes axe on a desktop and on a phone', async () => {
    for (const width of [1280, 320]) {
      const result = await open('/admin/advertisers', width);
      expect(result.status).toBe(200);
      expect(result.html).toContain('suppressed');
      expect(result.violations).toEqual([]);
      expect(result.consoleErrors).toEqual([]);
      expect(result.overflow).toBeLessThanOrEqual(0);
    }
    const invalid = await open('/admin/advertisers?k=1');
    expect(invalid.status).toBe(422);
    expect(invalid.violations).toEqual([]);
  });

  it('P29 a visitor’s page view leaves no analytics cookie in the browser', async () => {
    const page = await journey.pageAs(null);
    await page.goto(`${journey.baseUrl}/`, { waitUntil: 'load' });
    const names = (await journey.browser.context.cookies()).map((cookie) => cookie.name);
    await page.close();
    for (const name of names) expect(['hearth_csrf', 'hearth_session']).toContain(name);
  });
});
