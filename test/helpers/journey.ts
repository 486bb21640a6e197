/**
 * One browser and one real built server per journey file: started before its tests, stopped
 * after. Tests read `journey.server.url` and open pages with `journey.browser.newPage()`.
 */
import type { FastifyInstance } from 'fastify';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import { buildTestApp } from './app.js';
import { launchBrowser, runAxe, type BrowserSession, type WatchedPage } from './browser.js';
import { createTestDatabase, type TestDatabase } from './dialects.js';
import { loginAs, type TestMember } from './members.js';
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

export interface AppJourney {
  readonly database: TestDatabase;
  readonly app: FastifyInstance;
  readonly browser: BrowserSession;
  /** Where the app listens, without a trailing slash. */
  readonly baseUrl: string;
  /** A fresh page (cookies cleared), logged in as `member` or as nobody. */
  watchedPageAs(
    member: TestMember | null,
    viewport?: { width: number; height: number },
  ): Promise<WatchedPage>;
  pageAs(member: TestMember | null, viewport?: { width: number; height: number }): Promise<Page>;
}

/**
 * A journey against an app built in this process on a fresh SQLite database (so the test can
 * make members and data directly), listening on loopback with its real CSP and assets.
 */
export function useAppJourney(options: Parameters<typeof buildTestApp>[1] = {}): AppJourney {
  let database: TestDatabase | undefined;
  let app: FastifyInstance | undefined;
  let browser: BrowserSession | undefined;
  let baseUrl = '';
  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    app = await buildTestApp(database, options);
    baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await database?.destroy();
  });
  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`the journey's ${what} is not started`);
    return value;
  };
  const journey: AppJourney = {
    get database() {
      return started(database, 'database');
    },
    get app() {
      return started(app, 'app');
    },
    get browser() {
      return started(browser, 'browser');
    },
    get baseUrl() {
      return baseUrl;
    },
    async watchedPageAs(member, viewport) {
      const session = journey.browser;
      await session.context.clearCookies();
      if (member) {
        const login = await loginAs(journey.app, member);
        await session.context.addCookies([
          { name: 'hearth_session', value: login.token, url: baseUrl },
        ]);
      }
      const watched = await session.newPage();
      if (viewport) await watched.page.setViewportSize(viewport);
      return watched;
    },
    async pageAs(member, viewport) {
      return (await journey.watchedPageAs(member, viewport)).page;
    },
  };
  return journey;
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
