/**
 * The browser harness catches what it must, so a green journey means something: axe reports a
 * real violation, a blocked inline script shows up as a console error under Hearth's CSP, and a
 * missing asset as a failed request.
 */
import { describe, expect, it } from 'vitest';
import { isChromiumAvailable, runAxe } from '../helpers/browser.js';
import { useJourney } from '../helpers/journey.js';

describe.skipIf(!isChromiumAvailable())('browser harness', () => {
  const journey = useJourney();

  it('axe reports an image without a text alternative and a page without a language', async () => {
    const { page } = await journey.browser.newPage();
    await page.setContent('<title>t</title><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">');
    const ids = (await runAxe(page)).map((violation) => violation.id);
    expect(ids).toContain('image-alt');
    expect(ids).toContain('html-has-lang');
    await page.close();
  });

  it("records an inline script blocked by Hearth's CSP, and a missing asset", async () => {
    const { page, consoleErrors, failedRequests } = await journey.browser.newPage();
    await page.goto(`${journey.server.url}/`, { waitUntil: 'load' });
    // The document keeps the policy of the response it came from; written markup is parsed
    // under it, as an injected fragment would be.
    await page.setContent(
      `<!doctype html><html lang="en"><title>t</title><script>window.injected = true</script>` +
        `<link rel="stylesheet" href="${journey.server.url}/assets/missing.css"></html>`,
    );
    await expect.poll(() => failedRequests.length).toBeGreaterThan(0);
    expect(await page.evaluate(() => 'injected' in window)).toBe(false);
    expect(consoleErrors.some((error) => error.includes('Content Security Policy'))).toBe(true);
    expect(failedRequests).toContainEqual(
      // Reported as a 404, or as aborted: the 404 answer is HTML, which `nosniff` refuses to
      // apply as a stylesheet.
      expect.objectContaining({ url: `${journey.server.url}/assets/missing.css` }),
    );
    await page.close();
  });
});
