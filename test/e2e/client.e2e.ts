/**
 * The client bundle's progressive enhancements, in Chromium under Hearth's real CSP: focus moves
 * to the error summary, a summary link focuses its field, and a form is not submitted twice.
 * The form markup is rendered by the same components pages use, written into a page served by
 * the real server so that its policy and nonce apply.
 */
import { h } from 'preact';
import { renderToString } from 'preact-render-to-string';
import { describe, expect, it } from 'vitest';
import { Button, ErrorSummary, Field, Form } from '../../src/platform/views/forms.js';
import { isChromiumAvailable } from '../helpers/browser.js';
import { useJourney } from '../helpers/journey.js';

function formMarkup(nonce: string): string {
  // Written with h() because the journeys are .ts files (vitest.e2e.config.ts includes *.e2e.ts).
  const body = renderToString(
    h(
      'main',
      { id: 'main' },
      h(ErrorSummary, { errors: { email: 'Enter your email address' } }),
      h(Form, {
        action: '/client-test/submit',
        csrfToken: 'token',
        children: [
          h(Field, { name: 'name', label: 'Name', value: 'Ann' }),
          h(Field, { name: 'email', label: 'Email address', error: 'Enter your email address' }),
          h(Button, { children: 'Send' }),
        ],
      }),
    ),
  );
  return `<!doctype html><html lang="en-GB"><head><title>Form</title><script type="module" src="/assets/js/app.js" nonce="${nonce}"></script></head><body>${body}</body></html>`;
}

describe.skipIf(!isChromiumAvailable())('client enhancements in the browser', () => {
  const journey = useJourney();

  it('focuses the error summary, then the field its link names, and stops a double submit', async () => {
    const { page, consoleErrors } = await journey.browser.newPage();
    const response = await page.goto(`${journey.server.url}/`, { waitUntil: 'load' });
    const nonce = /'nonce-([^']+)'/.exec(response?.headers()['content-security-policy'] ?? '')?.[1];
    expect(nonce).toBeTruthy();
    await page.setContent(formMarkup(nonce!));
    await expect
      .poll(() => page.evaluate(() => document.documentElement.classList.contains('js-enabled')))
      .toBe(true);

    expect(await page.evaluate(() => document.activeElement?.className)).toBe('error-summary');

    await page.getByRole('link', { name: 'Enter your email address' }).click();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('field-email');

    // Hold the submission open, then press the button twice in a row.
    let submissions = 0;
    await page.route(`${journey.server.url}/client-test/submit`, async (route) => {
      submissions += 1;
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await route.fulfill({ status: 204 });
    });
    const prevented = await page.evaluate(() => {
      const seen: boolean[] = [];
      document.addEventListener('submit', (event) => seen.push(event.defaultPrevented));
      const button = document.querySelector<HTMLButtonElement>('button[type="submit"]')!;
      button.click();
      button.click();
      return { seen, busy: button.getAttribute('aria-disabled') };
    });
    expect(prevented).toEqual({ seen: [false, true], busy: 'true' });
    await expect.poll(() => submissions).toBe(1);
    expect(consoleErrors).toEqual([]);
    await page.close();
  });
});
