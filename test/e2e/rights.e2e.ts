/**
 * The rights journey of issue 5, in Chromium against the real built server: a member opens the
 * privacy center from their account, downloads their export, turns a consent on and withdraws
 * it, objects to a purpose and deletes their account; an admin (who holds the DPO's desk) places
 * a hold on another member, whose erasure then waits, and sees the requests in the queue. Every
 * page passes axe-core.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { describe, expect, it, onTestFinished } from 'vitest';
import { totpCode } from '../../src/modules/accounts/totp.js';
import { isChromiumAvailable, launchBrowser } from '../helpers/browser.js';
import { expectAccessible, heading, submit, useMailJourney } from '../helpers/journey.js';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');

describe.skipIf(!isChromiumAvailable())('rights journey in the browser', () => {
  const journey = useMailJourney();

  /** Registers through the API, confirms the address from the mail, and logs in on `page`. */
  async function registerAndLogIn(page: Page, email: string, password: string): Promise<void> {
    const base = journey.server.url;
    const registered = await page.request.post(`${base}/api/v1/auth/register`, {
      headers: { origin: base },
      data: {
        firstName: 'Priya',
        surname: 'Shah',
        email,
        password,
        location: 'manchester',
        newsletters: [],
      },
    });
    expect(registered.status()).toBe(201);
    const text = await journey.mailTo(email);
    const token = /verify-email\?token=([\w-]+)/.exec(text)?.[1];
    expect(token, text).toBeDefined();
    const verified = await page.request.post(`${base}/api/v1/auth/verify-email`, {
      headers: { origin: base },
      data: { token },
    });
    expect(verified.ok()).toBe(true);
    await page.goto(`${base}/login?next=/account`);
    await page.getByLabel('Email address').fill(email);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await submit(page, page.getByRole('button', { name: 'Log in', exact: true }));
    expect(await heading(page)).toBe('Your account');
  }

  async function deleteAccount(page: Page, password: string): Promise<void> {
    const form = page.getByRole('form', { name: 'Delete your account' });
    await form.getByLabel('Your password').fill(password);
    await submit(page, form.getByRole('button', { name: 'Delete my account' }));
    expect(await heading(page)).toBe('Your account is being deleted');
    await expectAccessible(page);
  }

  it('P01 P27 P36 P52 a member downloads their data, withdraws a consent, objects to a purpose and deletes their account', async () => {
    const base = journey.server.url;
    const { page, consoleErrors, failedRequests } = await journey.browser.newPage();
    const email = 'priya.rights@example.org';
    const password = 'meadow lantern cobalt 19';
    await registerAndLogIn(page, email, password);

    await submit(page, page.getByRole('link', { name: 'Your privacy' }));
    expect(await heading(page)).toBe('Your privacy');
    await expectAccessible(page);

    // On a phone (320 CSS pixels, WCAG 1.4.10) the page reflows without sideways scrolling and
    // stays clean under axe.
    await page.setViewportSize({ width: 320, height: 640 });
    expect(
      await page.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      ),
    ).toBeLessThanOrEqual(0);
    await expectAccessible(page);
    await page.setViewportSize({ width: 1280, height: 800 });

    // A wrong password is refused next to the form; the right one downloads the ZIP.
    const exportForm = page.getByRole('form', { name: 'Download your data' });
    await exportForm.getByLabel('Your password').fill('not my password');
    await submit(page, exportForm.getByRole('button', { name: 'Download my data' }));
    expect(await page.getByText('That password is not right').count()).toBe(1);
    await expectAccessible(page);
    await exportForm.getByLabel('Your password').fill(password);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      exportForm.getByRole('button', { name: 'Download my data' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/\.zip$/);
    const saved = await download.path();
    const zip = await readFile(saved);
    expect(zip.subarray(0, 2).toString('latin1')).toBe('PK');
    expect(zip.includes(Buffer.from('data.json'))).toBe(true);

    // Consent: turn the first consent purpose on, then withdraw it.
    await page.goto(`${base}/account/privacy`);
    const firstConsent = page.locator('#consents li').first();
    const title = (await firstConsent.locator('h3').innerText()).trim();
    await submit(page, firstConsent.getByRole('button', { name: /^Turn on/ }));
    await expect
      .poll(() => page.locator('#consents li').first().getByText('You said yes').count())
      .toBe(1);
    expect(await page.locator('#consents li').first().getByRole('link').count()).toBe(1);
    await submit(
      page,
      page
        .locator('#consents li')
        .first()
        .getByRole('button', { name: /^Turn off/ }),
    );
    expect(await page.locator('#consents li').first().getByText('You said no').count()).toBe(1);
    expect(await page.locator('#consents li').first().locator('h3').innerText()).toBe(title);
    await expectAccessible(page);

    // Object to a purpose: it is listed as stopped at once.
    const objectForm = page.getByRole('form', { name: 'Object', exact: true });
    await objectForm.getByLabel('Why do you object?').fill('I do not want this for my family');
    await submit(page, objectForm.getByRole('button', { name: 'Object', exact: true }));
    expect(await page.getByText('You objected to').count()).toBe(1);
    expect(
      await page.getByText('We have stopped this use of your data.', { exact: true }).count(),
    ).toBe(1);
    await expectAccessible(page);

    await deleteAccount(page, password);
    await page.goto(`${base}/account/privacy`);
    expect(await heading(page)).toBe('Log in');
    // Log-in is disabled at once.
    await page.getByLabel('Email address').fill(email);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await submit(page, page.getByRole('button', { name: 'Log in', exact: true }));
    expect(await heading(page)).toBe('Log in');

    // Two expected failures only: the export's navigation became a download (the browser
    // aborts the document load), and the log-in after the deletion was refused (403 while the
    // account is being erased, 401 once it is gone).
    expect(failedRequests.map((each) => [new URL(each.url).pathname, each.reason])).toEqual([
      ['/account/privacy/export', 'net::ERR_ABORTED'],
      ['/login', expect.stringMatching(/^HTTP 40[13]$/)],
    ]);
    expect(consoleErrors).toEqual([expect.stringMatching(/status of 40[13]/)]);
  });

  it('P34 the DPO places a hold on a member whose erasure then waits, and sees the requests', async () => {
    const base = journey.server.url;
    const adminEmail = 'dpo.rights@example.org';
    const adminPassword = 'harbour quiet copper 88';
    await run(
      process.execPath,
      [
        path.join(ROOT, 'bin/hearth.js'),
        'admin',
        'create',
        '--email',
        adminEmail,
        '--password',
        adminPassword,
      ],
      {
        env: { PATH: process.env.PATH ?? '', DATA_DIR: journey.server.dataDir, LOG_LEVEL: 'warn' },
      },
    );
    const desk = await journey.browser.newPage();
    const staffPage = desk.page;
    await staffPage.goto(`${base}/login?next=/admin`);
    await staffPage.getByLabel('Email address').fill(adminEmail);
    await staffPage.getByLabel('Password', { exact: true }).fill(adminPassword);
    await submit(staffPage, staffPage.getByRole('button', { name: 'Log in', exact: true }));
    expect(await heading(staffPage)).toBe('Set up two-factor log-in');
    const shown = ((await staffPage.locator('.totp-key').textContent()) ?? '').replace(/\s+/g, '');
    const secret = /[A-Z2-7]{32}$/.exec(shown)?.[0] ?? '';
    await staffPage.getByLabel('6-digit code').fill(totpCode(secret));
    await submit(
      staffPage,
      staffPage.getByRole('button', { name: 'Turn on two-factor log-in', exact: true }),
    );
    expect(await heading(staffPage)).toBe('Staff area');
    const staffNav = staffPage.getByRole('navigation', { name: 'Staff area' });

    // Another member, held before they ask to be erased.
    // A second browser: the journey's pages share one cookie jar, and the DPO stays logged in.
    const memberBrowser = await launchBrowser();
    onTestFinished(() => memberBrowser.close());
    const member = await memberBrowser.newPage();
    const heldEmail = 'sam.held@example.org';
    const heldPassword = 'willow ember granite 55';
    await registerAndLogIn(member.page, heldEmail, heldPassword);

    await submit(staffPage, staffNav.getByRole('link', { name: 'Holds' }));
    expect(await heading(staffPage)).toBe('Holds');
    await expectAccessible(staffPage);
    await staffPage.getByLabel('Member’s email address or id').fill(heldEmail);
    await submit(staffPage, staffPage.getByRole('button', { name: 'Find' }));
    const placeForm = staffPage.getByRole('form', { name: 'Place a hold' });
    await placeForm.getByLabel('Kind').selectOption('safeguarding');
    await placeForm.getByLabel('Reason').fill('Safeguarding referral SG-2026-14');
    await submit(staffPage, placeForm.getByRole('button', { name: 'Place the hold' }));
    expect(await staffPage.getByText('Safeguarding hold, in force').count()).toBe(1);
    await expectAccessible(staffPage);

    await member.page.goto(`${base}/account/privacy`);
    await deleteAccount(member.page, heldPassword);

    // The worker inside the server runs the erasure engine: the first member's erasure
    // completes, while the hold keeps the second one in hand.
    await submit(staffPage, staffNav.getByRole('link', { name: 'Privacy requests' }));
    expect(await heading(staffPage)).toBe('Privacy requests');
    expect(await staffPage.locator('svg[role="img"] title').count()).toBe(1);
    await expectAccessible(staffPage);
    const erasures = staffPage.getByRole('link', { name: 'Delete my account and data' });
    await expect
      .poll(
        async () => {
          await staffPage.goto(`${base}/admin/privacy/requests?status=completed`);
          return erasures.count();
        },
        { timeout: 30_000, interval: 500 },
      )
      .toBe(1);
    await staffPage.getByLabel('Show', { exact: true }).selectOption('in-progress');
    await submit(staffPage, staffPage.getByRole('button', { name: 'Filter' }));
    await submit(staffPage, staffPage.getByRole('link', { name: 'Delete my account and data' }));
    expect(await heading(staffPage)).toBe('Delete my account and data');
    expect(await staffPage.getByText('Being handled', { exact: true }).count()).toBe(1);
    expect(await staffPage.getByText('rights.request.viewed').count()).toBeGreaterThan(0);
    await expectAccessible(staffPage);

    await submit(staffPage, staffNav.getByRole('link', { name: 'Objections' }));
    expect(await heading(staffPage)).toBe('Objections awaiting a decision');
    await expectAccessible(staffPage);

    expect(desk.consoleErrors).toEqual([]);
    expect(desk.failedRequests).toEqual([]);
  });
});
