/**
 * The home page in Chromium against the real built server: it renders, its stylesheet and
 * script load and run under the server's real Content-Security-Policy (this is the check that
 * the nonce wiring works end to end), nothing fails, and axe finds no WCAG A/AA violation.
 */
import { describe, expect, it } from 'vitest';
import { isChromiumAvailable, runAxe } from '../helpers/browser.js';
import { useJourney } from '../helpers/journey.js';

describe.skipIf(!isChromiumAvailable())('home page in the browser', () => {
  const journey = useJourney();

  it('renders with its css and js under the real CSP, without errors, and passes axe', async () => {
    const { page, consoleErrors, failedRequests } = await journey.browser.newPage();
    const response = await page.goto(`${journey.server.url}/`, { waitUntil: 'load' });
    expect(response?.status()).toBe(200);

    // The policy is the server's own, with a fresh nonce that the page's script carries.
    const policy = response?.headers()['content-security-policy'] ?? '';
    const nonce = /'nonce-([^']+)'/.exec(policy)?.[1];
    expect(policy).toContain("'strict-dynamic'");
    expect(nonce).toBeTruthy();
    // Browsers hide the nonce attribute from the DOM once the policy applies (nonce hiding);
    // the element's `nonce` property keeps it.
    expect(
      await page
        .locator('script[type="module"]')
        .evaluate((script) => (script as HTMLScriptElement).nonce),
    ).toBe(nonce);

    await expect
      .poll(() => page.getByRole('heading', { level: 1, name: 'Welcome to Hearth' }).isVisible())
      .toBe(true);
    // The stylesheet applied (the header's ember background) and the module ran.
    const headerBackground = await page
      .locator('.site-header')
      .evaluate((element) => getComputedStyle(element).backgroundColor);
    expect(headerBackground).toBe('rgb(122, 46, 14)');
    await expect
      .poll(() => page.evaluate(() => document.documentElement.classList.contains('js-enabled')))
      .toBe(true);

    expect(await runAxe(page)).toEqual([]);
    expect(consoleErrors).toEqual([]);
    expect(failedRequests).toEqual([]);
    await page.close();
  });

  it('reflows on a 320px wide screen without scrolling sideways (WCAG 1.4.10)', async () => {
    const { page, consoleErrors } = await journey.browser.newPage();
    await page.setViewportSize({ width: 320, height: 640 });
    await page.goto(`${journey.server.url}/`, { waitUntil: 'load' });
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
    expect(await runAxe(page)).toEqual([]);
    expect(consoleErrors).toEqual([]);
    await page.close();
  });

  it('lets a keyboard user skip to the main content', async () => {
    const { page } = await journey.browser.newPage();
    await page.goto(`${journey.server.url}/`, { waitUntil: 'load' });
    await page.keyboard.press('Tab');
    const skipLink = page.getByRole('link', { name: 'Skip to main content' });
    await expect
      .poll(() => skipLink.evaluate((link) => link === document.activeElement))
      .toBe(true);
    expect(await skipLink.isVisible()).toBe(true);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('main');
    await page.close();
  });

  it('serves a 404 page that passes axe', async () => {
    const { page, consoleErrors, failedRequests } = await journey.browser.newPage();
    const response = await page.goto(`${journey.server.url}/no-such-page`, { waitUntil: 'load' });
    expect(response?.status()).toBe(404);
    expect(response?.headers()['content-type']).toMatch(/^text\/html/);
    await expect.poll(() => page.getByRole('heading', { level: 1 }).isVisible()).toBe(true);
    expect(await runAxe(page)).toEqual([]);
    // The document itself is the one expected failure; its assets must all load.
    expect(failedRequests.filter((request) => !request.isNavigation)).toEqual([]);
    expect(consoleErrors.filter((error) => !/status of 404/.test(error))).toEqual([]);
    await page.close();
  });
});
