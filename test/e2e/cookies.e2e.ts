/**
 * The cookie consent platform in Chromium against the built server: what is stored in the
 * browser before and after a choice, which of the demo ad partner's URLs the browser asked
 * for, that the banner shifts nothing, and that the banner and the settings page work by
 * keyboard and pass axe.
 */
import { gzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { beforeEach, describe, expect, it } from 'vitest';
import { isChromiumAvailable } from '../helpers/browser.js';
import { expectAccessible, submit, useJourney } from '../helpers/journey.js';

/** Cookies that need no consent (the session only once logged in). */
const ESSENTIAL = ['hearth_cookie_choices', 'hearth_csrf', 'hearth_session'];

describe.skipIf(!isChromiumAvailable())('cookie consent in the browser', () => {
  // The demo ad partner is off by default; these journeys watch it being gated.
  const journey = useJourney({ env: { DEMO_ADS: 'true' } });

  beforeEach(async () => {
    await journey.browser.context.clearCookies();
  });

  async function cookieNames(): Promise<string[]> {
    return (await journey.browser.context.cookies()).map((cookie) => cookie.name).sort();
  }

  /** Every demo-partner URL the page requests, as path and query. */
  function recordPartnerRequests(page: Page): string[] {
    const seen: string[] = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.pathname.startsWith('/demo-ads/')) seen.push(`${url.pathname}${url.search}`);
    });
    return seen;
  }

  it('P26 P41 stores only essential cookies before a choice and after "Reject all", and loads no partner URL', async () => {
    const { page, consoleErrors, failedRequests } = await journey.browser.newPage();
    const partnerRequests = recordPartnerRequests(page);
    await page.goto(`${journey.server.url}/`, { waitUntil: 'load' });
    const banner = page.getByRole('dialog', { name: 'Cookies on Hearth' });
    expect(await banner.isVisible()).toBe(true);
    const first = await cookieNames();
    expect(first.every((name) => ESSENTIAL.includes(name))).toBe(true);
    expect(first).not.toContain('hearth_cookie_choices');
    // P31: an advert is shown, chosen by the page, with no partner involved.
    expect(await page.locator('[data-ad-slot]').innerText()).toContain('Chosen by this page');

    await submit(page, banner.getByRole('button', { name: 'Reject all' }));
    expect(await page.getByRole('dialog').count()).toBe(0);
    const after = await cookieNames();
    expect(after).toContain('hearth_cookie_choices');
    expect(after.every((name) => ESSENTIAL.includes(name))).toBe(true);
    expect(partnerRequests).toEqual([]);
    // P41: the site still works: the settings page and the home page are served.
    await page.goto(`${journey.server.url}/cookies`, { waitUntil: 'load' });
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Cookie settings');
    expect(consoleErrors).toEqual([]);
    expect(failedRequests).toEqual([]);
    await page.close();
  });

  it('P28 P31 loads the partner tag only with consent, personalised only with that consent, and withdrawal deletes its cookie (P27)', async () => {
    const { page, consoleErrors, failedRequests } = await journey.browser.newPage();
    const partnerRequests = recordPartnerRequests(page);
    await page.goto(`${journey.server.url}/`, { waitUntil: 'load' });
    await submit(page, page.getByRole('button', { name: 'Accept all' }));
    const slot = page.locator('[data-ad-slot]');
    await expect.poll(() => slot.getAttribute('data-ad-filled')).toBe('personalised');
    await expect
      .poll(() => partnerRequests.some((url) => url.startsWith('/demo-ads/pixel.gif')))
      .toBe(true);
    expect(partnerRequests).toContain('/demo-ads/ad.js?personalised=1');
    expect(partnerRequests).toContain('/demo-ads/pixel.gif?slot=home&personalised=1');
    expect(await cookieNames()).toContain('hearth_demo_ads');

    // Advertising partners and the partner, without personalisation: the tag loads,
    // personalises nothing.
    partnerRequests.length = 0;
    await page.goto(`${journey.server.url}/cookies`, { waitUntil: 'load' });
    expect(
      await page.getByRole('checkbox', { name: 'Advertising partners', exact: true }).isChecked(),
    ).toBe(true);
    await page.getByRole('checkbox', { name: 'Personalised advertising', exact: true }).uncheck();
    await page.getByRole('checkbox', { name: 'Analytics', exact: true }).uncheck();
    await submit(page, page.getByRole('button', { name: 'Save my choices' }));
    expect(await page.getByRole('status').innerText()).toContain('saved');
    // P27: the partner's cookie is gone with the consent it needed.
    expect(await cookieNames()).not.toContain('hearth_demo_ads');
    await page.goto(`${journey.server.url}/`, { waitUntil: 'load' });
    await expect.poll(() => slot.getAttribute('data-ad-filled')).toBe('contextual');
    expect(partnerRequests).toContain('/demo-ads/ad.js?personalised=0');
    expect(partnerRequests.filter((url) => url.includes('personalised=1'))).toEqual([]);
    expect(await cookieNames()).not.toContain('hearth_demo_ads');

    // Without the partner, no URL of it is requested at all.
    partnerRequests.length = 0;
    await page.goto(`${journey.server.url}/cookies`, { waitUntil: 'load' });
    await page.getByRole('checkbox', { name: /Demo ad partner/ }).uncheck();
    await submit(page, page.getByRole('button', { name: 'Save my choices' }));
    await page.goto(`${journey.server.url}/`, { waitUntil: 'load' });
    expect(await slot.innerText()).toContain('Chosen by this page');
    expect(partnerRequests).toEqual([]);
    expect(consoleErrors).toEqual([]);
    expect(failedRequests).toEqual([]);
    await page.close();
  });

  /** The sum of the page's layout-shift scores so far (buffered from the start of the load). */
  function layoutShift(page: Page): Promise<number> {
    return page.evaluate(
      () =>
        new Promise<number>((resolve) => {
          let total = 0;
          new PerformanceObserver((list) => {
            for (const entry of list.getEntries()) {
              total += (entry as unknown as { value: number }).value;
            }
          }).observe({ type: 'layout-shift', buffered: true });
          setTimeout(() => resolve(total), 500);
        }),
    );
  }

  it('shows the banner, and lets the partner fill its slot, without any layout shift', async () => {
    const { page } = await journey.browser.newPage();
    for (const width of [1280, 320]) {
      await journey.browser.context.clearCookies();
      await page.setViewportSize({ width, height: 800 });
      await page.goto(`${journey.server.url}/`, { waitUntil: 'load' });
      expect(await page.getByRole('dialog').count()).toBe(1);
      expect(await layoutShift(page)).toBe(0);
      // Phones first: the banner reflows at 320px without sideways scrolling (WCAG 1.4.10).
      const overflow = await page.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      );
      expect(overflow).toBeLessThanOrEqual(0);
      await expectAccessible(page);

      await submit(page, page.getByRole('button', { name: 'Accept all' }));
      await expect
        .poll(() => page.locator('[data-ad-slot]').getAttribute('data-ad-filled'))
        .toBe('personalised');
      expect(await layoutShift(page)).toBe(0);
    }
    await page.close();
  });

  it('keeps the client script a page loads within 12 KB gzipped', async () => {
    const { page } = await journey.browser.newPage();
    await page.goto(`${journey.server.url}/`, { waitUntil: 'load' });
    const sources = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLScriptElement>('script[src]')]
        .map((script) => script.src)
        .filter((src) => new URL(src).pathname.startsWith('/assets/js/')),
    );
    expect(sources.length).toBeGreaterThan(0);
    let total = 0;
    for (const src of sources) {
      const body = Buffer.from(await (await fetch(src)).arrayBuffer());
      total += gzipSync(body, { level: 9 }).length;
    }
    expect(total).toBeLessThanOrEqual(12 * 1024);
    await page.close();
  });

  it('P27 works by keyboard: the banner comes first, Escape leaves it without choosing, and it passes axe', async () => {
    const { page, consoleErrors } = await journey.browser.newPage();
    await page.goto(`${journey.server.url}/`, { waitUntil: 'load' });
    await expectAccessible(page);
    await page.keyboard.press('Tab'); // the skip link
    await page.keyboard.press('Tab');
    const focused = () => page.evaluate(() => document.activeElement?.textContent?.trim());
    expect(await focused()).toBe('Cookie settings');
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('Accept all');
    await page.keyboard.press('Escape');
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('main');
    expect(await page.getByRole('dialog').count()).toBe(1);
    expect(await cookieNames()).not.toContain('hearth_cookie_choices');

    // Manage, then choose on the settings page with the keyboard alone.
    await page.getByRole('button', { name: 'Manage' }).focus();
    await Promise.all([
      page.waitForNavigation({ waitUntil: 'load' }),
      page.keyboard.press('Enter'),
    ]);
    expect(new URL(page.url()).pathname).toBe('/cookies');
    await expectAccessible(page);
    await page.getByRole('checkbox', { name: 'Analytics', exact: true }).focus();
    await page.keyboard.press('Space');
    await page.getByRole('button', { name: 'Save my choices' }).focus();
    await Promise.all([
      page.waitForNavigation({ waitUntil: 'load' }),
      page.keyboard.press('Enter'),
    ]);
    // Focus goes to the confirmation, so it is announced.
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.hasAttribute('data-cookie-saved')))
      .toBe(true);
    expect(await page.getByRole('checkbox', { name: 'Analytics', exact: true }).isChecked()).toBe(
      true,
    );
    await expectAccessible(page);
    expect(consoleErrors).toEqual([]);
    await page.close();
  });

  it('P26 honours navigator.globalPrivacyControl reported by the page script', async () => {
    const { page, consoleErrors } = await journey.browser.newPage();
    const partnerRequests = recordPartnerRequests(page);
    await page.goto(`${journey.server.url}/`, { waitUntil: 'load' });
    await submit(page, page.getByRole('button', { name: 'Accept all' }));
    await expect.poll(() => partnerRequests.length).toBeGreaterThan(0);

    // The browser now signals GPC (script property; Chromium sends no header of its own).
    await page.addInitScript(() => {
      Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true });
    });
    partnerRequests.length = 0;
    const reported = page.waitForResponse((response) =>
      response.url().endsWith('/api/v1/cookies/gpc'),
    );
    await page.goto(`${journey.server.url}/`, { waitUntil: 'load' });
    await reported;
    // The script reloads the page after the report; wait for that reload to finish (a navigation
    // started before it would be interrupted), then the page no longer carries the partner's tag.
    const reloadedWithoutTag = () =>
      page
        .evaluate(() => {
          const navigation = performance.getEntriesByType('navigation')[0] as
            PerformanceNavigationTiming | undefined;
          return (
            navigation?.type === 'reload' &&
            document.readyState === 'complete' &&
            document.querySelector('script[src^="/demo-ads/"]') === null
          );
        })
        .catch(() => false);
    await expect.poll(reloadedWithoutTag, { timeout: 10_000 }).toBe(true);
    await page.goto(`${journey.server.url}/cookies`, { waitUntil: 'load' });
    expect(await page.locator('[data-gpc-honoured]').innerText()).toContain('We have honoured it');
    expect(
      await page
        .getByRole('checkbox', { name: 'Personalised advertising', exact: true })
        .isChecked(),
    ).toBe(false);
    expect(consoleErrors).toEqual([]);
    await page.close();
  });
});

describe.skipIf(!isChromiumAvailable())('a fresh install (DEMO_ADS unset)', () => {
  const journey = useJourney();

  it('P28 P31 shows the house advert and requests no demo partner URL, even after "Accept all"', async () => {
    const { page, consoleErrors, failedRequests } = await journey.browser.newPage();
    const requested: string[] = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.pathname.startsWith('/demo-ads/')) requested.push(url.pathname);
    });
    await page.goto(`${journey.server.url}/`, { waitUntil: 'load' });
    await submit(page, page.getByRole('button', { name: 'Accept all' }));
    await page.goto(`${journey.server.url}/`, { waitUntil: 'load' });
    const slot = page.locator('[data-ad-slot]');
    expect(await slot.innerText()).toContain('Chosen by this page');
    expect(await slot.getAttribute('data-ad-filled')).toBeNull();
    expect(requested).toEqual([]);
    await page.goto(`${journey.server.url}/cookies`, { waitUntil: 'load' });
    expect(await page.getByRole('checkbox', { name: /Demo ad partner/ }).count()).toBe(0);
    expect(
      await page.getByRole('checkbox', { name: 'Advertising partners', exact: true }).isChecked(),
    ).toBe(true);
    const demo = await fetch(`${journey.server.url}/demo-ads/ad.js`);
    await demo.body?.cancel();
    expect(demo.status).toBe(404);
    expect(consoleErrors).toEqual([]);
    expect(failedRequests).toEqual([]);
    await page.close();
  });
});
