/**
 * The accounts journey of issue 4, in Chromium against the real built server sending mail to a
 * real SMTP server on loopback: a parent registers with Pregnancy Weekly and a due date, reads
 * the verification mail, verifies, logs in, edits the profile, switches to the anonymous
 * username and logs out; then an admin created with `hearth admin create` sets up two-factor
 * log-in, logs in again with a TOTP code and opens /admin. Every page passes axe-core.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { totpCode } from '../../src/modules/accounts/totp.js';
import { isChromiumAvailable } from '../helpers/browser.js';
import { expectAccessible, heading, submit, useMailJourney } from '../helpers/journey.js';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');

/** A date `months` months from today, as the date input takes it. */
function monthsAhead(months: number): string {
  const date = new Date();
  date.setUTCMonth(date.getUTCMonth() + months);
  return date.toISOString().slice(0, 10);
}

describe.skipIf(!isChromiumAvailable())('accounts journey in the browser', () => {
  const journey = useMailJourney();

  it('P02 P04 P37 registers with Pregnancy Weekly, verifies by mail, edits the profile, goes anonymous, logs out', async () => {
    const base = journey.server.url;
    const { page, consoleErrors, failedRequests } = await journey.browser.newPage();
    const email = 'maya.parent@example.org';
    const password = 'lantern orchard velvet 42';

    await page.goto(`${base}/register`);
    expect(await heading(page)).toBe('Join Hearth');
    await expectAccessible(page);
    await page.getByLabel('First name').fill('Maya');
    await page.getByLabel('Surname').fill('Okafor');
    await page.getByLabel('Email address').fill(email);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByLabel('Your location').selectOption('manchester');
    await page.getByLabel('Pregnancy Weekly', { exact: true }).check();
    await page.getByLabel(/Your due date/).fill(monthsAhead(4));
    await submit(page, page.getByRole('button', { name: 'Join Hearth', exact: true }));
    expect(await heading(page)).toBe('Check your email');
    await expectAccessible(page);

    const text = await journey.mailTo(email);
    const link = /(http:\/\/\S+\/verify-email\?token=[\w-]+)/.exec(text)?.[1];
    expect(link, text).toBeDefined();
    await page.goto(link ?? '', { waitUntil: 'load' });
    await expectAccessible(page);
    await submit(page, page.getByRole('button', { name: 'Confirm my email address', exact: true }));
    expect(await heading(page)).toBe('Your email address is confirmed');
    await expectAccessible(page);

    await page.goto(`${base}/login`);
    await expectAccessible(page);
    await page.getByLabel('Email address').fill(email);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await submit(page, page.getByRole('button', { name: 'Log in', exact: true }));
    expect(await heading(page)).toBe('Your account');
    expect(await page.getByText(/Your username is/).innerText()).toContain('Maya');
    await expectAccessible(page);

    const details = page.getByRole('form', { name: 'Your details' });
    await details.getByLabel('First name').fill('Mayowa');
    await submit(page, details.getByRole('button', { name: 'Save your details', exact: true }));
    expect(await heading(page)).toBe('Your account');
    expect(
      await page.getByRole('form', { name: 'Your details' }).getByLabel('First name').inputValue(),
    ).toBe('Mayowa');
    await expectAccessible(page);

    await submit(
      page,
      page.getByRole('button', { name: 'Post under an anonymous name', exact: true }),
    );
    expect(await page.getByText(/New posts show your anonymous name/).count()).toBe(1);
    await expectAccessible(page);

    await submit(page, page.getByRole('button', { name: 'Log out', exact: true }));
    await page.goto(`${base}/account`);
    expect(await heading(page)).toBe('Log in');
    await expectAccessible(page);

    expect(consoleErrors).toEqual([]);
    expect(failedRequests).toEqual([]);
  });

  it('an admin sets up two-factor log-in, logs in again with a TOTP code and opens /admin', async () => {
    const base = journey.server.url;
    const email = 'admin.journey@example.org';
    const password = 'quiet harbour copper 77';
    await run(
      process.execPath,
      [
        path.join(ROOT, 'bin/hearth.js'),
        'admin',
        'create',
        '--email',
        email,
        '--password',
        password,
      ],
      {
        env: { PATH: process.env.PATH ?? '', DATA_DIR: journey.server.dataDir, LOG_LEVEL: 'warn' },
      },
    );

    const { page, consoleErrors, failedRequests } = await journey.browser.newPage();
    const logIn = async () => {
      await page.goto(`${base}/login?next=/admin`);
      await page.getByLabel('Email address').fill(email);
      await page.getByLabel('Password', { exact: true }).fill(password);
      await submit(page, page.getByRole('button', { name: 'Log in', exact: true }));
    };

    // First log-in: staff must set up two-factor log-in before /admin opens.
    await logIn();
    expect(await heading(page)).toBe('Set up two-factor log-in');
    await expectAccessible(page);
    // The key is shown in groups of four after a visually hidden "Key:" label.
    const shown = ((await page.locator('.totp-key').textContent()) ?? '').replace(/\s+/g, '');
    const secret = /[A-Z2-7]{32}$/.exec(shown)?.[0] ?? '';
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    await page.getByLabel('6-digit code').fill(totpCode(secret));
    await submit(
      page,
      page.getByRole('button', { name: 'Turn on two-factor log-in', exact: true }),
    );
    expect(await heading(page)).toBe('Staff area');
    await page.goto(`${base}/account`);
    await submit(page, page.getByRole('button', { name: 'Log out', exact: true }));

    // Second log-in: password, then a code from the next time step (the set-up's code is spent).
    await logIn();
    expect(await heading(page)).toBe('Enter your two-factor code');
    await expectAccessible(page);
    await page
      .getByLabel('Code', { exact: true })
      .fill(totpCode(secret, new Date(Date.now() + 30_000)));
    await submit(page, page.getByRole('button', { name: 'Continue', exact: true }));
    expect(await heading(page)).toBe('Staff area');
    await expectAccessible(page);

    expect(consoleErrors).toEqual([]);
    expect(failedRequests).toEqual([]);
  });
});
