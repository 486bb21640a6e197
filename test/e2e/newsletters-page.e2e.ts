/**
 * The account's newsletter page in Chromium under the app's real Content-Security-Policy: it
 * passes axe (WCAG A/AA) as first shown, shown again with errors, and after saving; the form
 * works by plain post/redirect/get; and each baby's stop button, found by its accessible name,
 * stops that baby's letters in one click.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatCalendarDay } from '../../src/modules/newsletters/newsletters.pages.js';
import { todayIn } from '../../src/modules/newsletters/newsletters.preferences.js';
import { applyNewsletterPreferences } from '../../src/modules/newsletters/newsletters.service.js';
import { receiptIssuerFor } from '../../src/privacy/consent/index.js';
import { CSRF_COOKIE } from '../../src/platform/http/csrf.js';
import { SESSION_COOKIE } from '../../src/platform/http/sessions.plugin.js';
import { buildTestApp } from '../helpers/app.js';
import {
  isChromiumAvailable,
  launchBrowser,
  runAxe,
  type BrowserSession,
} from '../helpers/browser.js';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase, type TestDatabase } from '../helpers/dialects.js';
import { loginAs, makeMember } from '../helpers/members.js';
import { findFreePort } from '../helpers/server.js';

function daysFromToday(days: number): string {
  const today = new Date(`${todayIn('Europe/London')}T00:00:00Z`);
  return new Date(today.getTime() + days * 86_400_000).toISOString().slice(0, 10);
}

describe.skipIf(!isChromiumAvailable())('the newsletters page in the browser', () => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let browser: BrowserSession;
  let url: string;

  beforeAll(async () => {
    const port = await findFreePort();
    url = `http://127.0.0.1:${port}`;
    database = await createTestDatabase('sqlite');
    app = await buildTestApp(database, { config: testConfig({ PUBLIC_URL: url }) });
    await app.listen({ host: '127.0.0.1', port });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await database?.destroy();
  });

  it('P06 P08 passes axe when shown, shown again with errors, and saved', async () => {
    const member = await makeMember(app.db);
    const session = await loginAs(app, member);
    const csrfCookie = /hearth_csrf=([^;]+)/.exec(session.headers.cookie ?? '')?.[1] ?? '';
    await browser.context.addCookies([
      { name: SESSION_COOKIE, value: session.token, url },
      { name: CSRF_COOKIE, value: csrfCookie, url },
    ]);
    const { page, consoleErrors, failedRequests } = await browser.newPage();

    const first = await page.goto(`${url}/account/newsletters`, { waitUntil: 'load' });
    expect(first?.status()).toBe(200);
    await expect
      .poll(() => page.getByRole('heading', { level: 1, name: 'Your newsletters' }).isVisible())
      .toBe(true);
    expect(await runAxe(page)).toEqual([]);

    // Pregnancy Weekly ticked without a due date: the form comes back with the message.
    await page.getByLabel('Pregnancy Weekly', { exact: true }).check();
    await page.getByRole('button', { name: 'Save newsletter choices' }).click();
    await page.waitForLoadState('load');
    await expect
      .poll(() => page.getByRole('heading', { name: 'There is a problem' }).isVisible())
      .toBe(true);
    expect(await page.title()).toMatch(/^Error: /);
    expect(await runAxe(page)).toEqual([]);

    await page.getByLabel('Your due date (for Pregnancy Weekly)').fill(daysFromToday(100));
    await page.getByRole('button', { name: 'Save newsletter choices' }).click();
    await page.waitForURL(`${url}/account/newsletters?saved=1`);
    await expect
      .poll(() => page.getByRole('status').textContent())
      .toContain('Your newsletter choices are saved');
    expect(await page.getByLabel('Pregnancy Weekly', { exact: true }).isChecked()).toBe(true);
    expect(await runAxe(page)).toEqual([]);

    // The 422 answer is a document response, not a failed request to report.
    expect(failedRequests.filter((request) => !request.isNavigation)).toEqual([]);
    expect(consoleErrors.filter((message) => !message.includes('422'))).toEqual([]);
    await page.close();
  });

  it('P06 one click on the button named for a baby’s date of birth stops that baby’s letters, with no question asked', async () => {
    const member = await makeMember(app.db);
    const older = daysFromToday(-400);
    const younger = daysFromToday(-30);
    await applyNewsletterPreferences(
      app.db,
      member.id,
      [{ list: 'baby-monthly', babies: [{ birthDate: older }, { birthDate: younger }] }],
      { method: 'form', noticeVersion: 1, issuer: receiptIssuerFor(app) },
    );
    const session = await loginAs(app, member);
    const csrfCookie = /hearth_csrf=([^;]+)/.exec(session.headers.cookie ?? '')?.[1] ?? '';
    await browser.context.clearCookies();
    await browser.context.addCookies([
      { name: SESSION_COOKIE, value: session.token, url },
      { name: CSRF_COOKIE, value: csrfCookie, url },
    ]);
    const { page, consoleErrors, failedRequests } = await browser.newPage();
    await page.goto(`${url}/account/newsletters`, { waitUntil: 'load' });
    const olderButton = page.getByRole('button', {
      name: `Stop letters about the baby born ${formatCalendarDay(older)}`,
      exact: true,
    });
    await expect.poll(() => olderButton.isVisible()).toBe(true);
    expect(await runAxe(page)).toEqual([]);

    await olderButton.click();
    await page.waitForURL(`${url}/account/newsletters?stopped=baby`);
    await expect
      .poll(() => page.getByRole('status').textContent())
      .toContain('Letters about that baby have stopped');
    expect(await olderButton.count()).toBe(0);
    expect(
      await page
        .getByRole('button', {
          name: `Stop letters about the baby born ${formatCalendarDay(younger)}`,
          exact: true,
        })
        .isVisible(),
    ).toBe(true);
    expect(await runAxe(page)).toEqual([]);
    expect(failedRequests.filter((request) => !request.isNavigation)).toEqual([]);
    expect(consoleErrors).toEqual([]);
    await page.close();
  });
});
