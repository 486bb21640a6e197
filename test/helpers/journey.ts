/**
 * One browser and one real built server per journey file: started before its tests, stopped
 * after. Tests read `journey.server.url` and open pages with `journey.browser.newPage()`.
 */
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import { launchBrowser, runAxe, type BrowserSession } from './browser.js';
import { startBuiltServer, type StartServerOptions, type StartedServer } from './server.js';
import { parseMessage, startSmtpCapture, type SmtpCapture } from './smtp.js';

export interface Journey {
  readonly server: StartedServer;
  readonly browser: BrowserSession;
}

export function useJourney(options: StartServerOptions = {}): Journey {
  let server: StartedServer | undefined;
  let browser: BrowserSession | undefined;
  beforeAll(async () => {
    server = await startBuiltServer(options);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });
  return {
    get server() {
      if (!server) throw new Error('the journey server is not started');
      return server;
    },
    get browser() {
      if (!browser) throw new Error('the journey browser is not launched');
      return browser;
    },
  };
}

export interface MailJourney extends Journey {
  /** Waits for the first message to `address` and returns its text part. */
  mailTo(address: string, timeoutMs?: number): Promise<string>;
}

/**
 * A journey whose server sends mail through SMTP to a real capture server on loopback. Call it
 * inside the `describe` block: the capture starts first, so its port is known when the server
 * starts (the getter below is read then).
 */
export function useMailJourney(): MailJourney {
  let smtp: SmtpCapture | undefined;
  let smtpUrl = '';
  beforeAll(async () => {
    smtp = await startSmtpCapture();
    smtpUrl = smtp.url;
  });
  afterAll(async () => {
    await smtp?.close();
  });
  const journey = useJourney({
    env: {
      get SMTP_URL() {
        return smtpUrl;
      },
    },
  });
  return {
    get server() {
      return journey.server;
    },
    get browser() {
      return journey.browser;
    },
    async mailTo(address, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const message = smtp?.messages.find((each) => each.envelope.to.includes(address));
        if (message) return parseMessage(message.raw).parts.get('text/plain') ?? '';
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`no mail reached ${address}`);
    },
  };
}

/** The page passes axe-core's WCAG 2.x A and AA rules. */
export async function expectAccessible(page: Page): Promise<void> {
  expect(await runAxe(page)).toEqual([]);
}

/** The page's main heading. */
export async function heading(page: Page): Promise<string> {
  return (await page.locator('h1').first().innerText()).trim();
}

/** Clicks something that submits or follows a link, and waits for the next page to load. */
export async function submit(page: Page, target: Locator): Promise<void> {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), target.click()]);
}
