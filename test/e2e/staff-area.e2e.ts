/**
 * The staff-area pages and the two-factor set-up in Chromium, served by an app listening on
 * loopback in this process (its real CSP and assets): axe finds no WCAG A/AA violation on any
 * of them, including a form shown again with an error.
 */
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTotpSecret } from '../../src/modules/accounts/index.js';
import { admin } from '../../src/modules/admin/index.js';
import {
  ADMIN_SETUP_SHARED_FOR_MS,
  issueAdminSetupToken,
} from '../../src/modules/admin/admin.service.js';
import { queueMail } from '../../src/platform/mail/mail.outbox.js';
import { buildTestApp } from '../helpers/app.js';
import {
  isChromiumAvailable,
  launchBrowser,
  runAxe,
  type BrowserSession,
} from '../helpers/browser.js';
import { createTestDatabase, type TestDatabase } from '../helpers/dialects.js';
import { loginAs, makeMember } from '../helpers/members.js';

describe.skipIf(!isChromiumAvailable())('staff area in the browser', () => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let browser: BrowserSession;
  let baseUrl: string;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    app = await buildTestApp(database, { modules: [admin] });
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    baseUrl = address;
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await database?.destroy();
  });

  /** A page opened with `token` as the session cookie; returns the axe violations. */
  async function check(
    path: string,
    sessionToken: string | null,
    act?: (page: Page) => Promise<void>,
  ) {
    await browser.context.clearCookies();
    if (sessionToken) {
      await browser.context.addCookies([
        { name: 'hearth_session', value: sessionToken, url: baseUrl },
      ]);
    }
    const { page, consoleErrors } = await browser.newPage();
    const response = await page.goto(`${baseUrl}${path}`, { waitUntil: 'load' });
    if (act) await act(page);
    const violations = await runAxe(page);
    const status = response?.status();
    const html = await page.content();
    await page.close();
    return { violations, consoleErrors, status, html };
  }

  it('the set-up link page and the two-factor set-up, with and without errors, pass axe', async () => {
    // Listening already logged a link (the first-start hook): a later start replaces it.
    const issued = await issueAdminSetupToken(
      app.db,
      new Date(Date.now() + ADMIN_SETUP_SHARED_FOR_MS + 1000),
    );
    if (!issued.issued) throw new Error('expected a set-up link');
    const setup = await check(`/admin/setup?token=${issued.token}`, null, async (page) => {
      await page.getByLabel('First name').fill('Ada');
      await page.getByRole('button', { name: 'Create admin account' }).click();
      await page.waitForLoadState('load');
    });
    expect(setup.html).toContain('There is a problem');
    expect(setup.violations).toEqual([]);
    expect((await check('/admin/setup?token=nope', null)).violations).toEqual([]);

    const moderator = await makeMember(app.db, { roles: ['moderator'] });
    const login = await loginAs(app, moderator);
    const twoFactor = await check('/account/two-factor', login.token);
    expect(twoFactor.html).toContain('Set up two-factor log-in');
    expect(twoFactor.violations).toEqual([]);
    const withError = await check('/account/two-factor', login.token, async (page) => {
      await page.getByLabel('6-digit code').fill('000000');
      await page.getByRole('button', { name: 'Turn on two-factor log-in' }).click();
      await page.waitForLoadState('load');
    });
    expect(withError.html).toContain('That code is not right');
    expect(withError.violations).toEqual([]);
  });

  it('every staff page passes axe', async () => {
    const administrator = await makeMember(app.db, {
      roles: ['admin'],
      totpSecret: generateTotpSecret(),
      secretKey: app.secretKey,
    });
    const login = await loginAs(app, administrator);
    const member = await makeMember(app.db, { roles: ['editor'] });
    await queueMail(app.db, {
      to: member.email,
      subjectId: member.id,
      subject: 'Welcome to Hearth',
      text: 'Hello,\n\nWelcome.',
      category: 'account.welcome',
    });
    await app.runDueJobs();
    const list = await check('/admin/mail', login.token);
    const mailId = /href="\/admin\/mail\/([0-9A-Z]{26})"/.exec(list.html)?.[1] ?? '';
    for (const path of [
      '/admin',
      '/admin/members',
      `/admin/members?q=${encodeURIComponent(member.email)}`,
      `/admin/members/${member.id}`,
      '/admin/mail',
      `/admin/mail/${mailId}`,
    ]) {
      const result = await check(path, login.token);
      expect(result.status, path).toBe(200);
      expect(result.violations, path).toEqual([]);
      expect(result.consoleErrors, path).toEqual([]);
    }
  });
});
