/**
 * The browser harness for journeys (DESIGN.md §7): Chromium through playwright-core, a fresh
 * profile per launch, every console error and failed request of each page recorded, and axe-core
 * for accessibility.
 *
 * The page's Content-Security-Policy is ENFORCED (no `bypassCSP`): a journey is also the check
 * that the nonce wiring works, and bypassing the policy would let a blocked script or style pass
 * unnoticed. axe is injected through the DevTools protocol (`page.evaluate`), which the page's
 * policy does not govern, so it runs under the real policy too.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type AxeCore from 'axe-core';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Whether journeys can run here; under CI=true a missing Chromium is a failure, not a skip. */
export function isChromiumAvailable(): boolean {
  const available = fs.existsSync(CHROMIUM_PATH);
  if (!available && process.env.CI === 'true') {
    throw new Error(`CI=true but Chromium is missing at ${CHROMIUM_PATH}`);
  }
  return available;
}

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface FailedRequest {
  url: string;
  /** An HTTP status of 400 or more, or the network failure (`net::ERR_BLOCKED_BY_CSP`, …). */
  reason: string;
  resourceType: string;
  isNavigation: boolean;
}

export interface WatchedPage {
  page: Page;
  consoleErrors: string[];
  failedRequests: FailedRequest[];
}

export interface BrowserSession {
  context: BrowserContext;
  newPage(): Promise<WatchedPage>;
  close(): Promise<void>;
}

export interface LaunchOptions {
  /**
   * Turns the page's CSP off. Only for a journey that must inject a script the policy would
   * block; never for one that claims the page works under its policy.
   */
  bypassCSP?: boolean;
  viewport?: { width: number; height: number };
}

function watch(page: Page): WatchedPage {
  const watched: WatchedPage = { page, consoleErrors: [], failedRequests: [] };
  page.on('console', (message) => {
    if (message.type() === 'error') watched.consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => watched.consoleErrors.push(`uncaught: ${error.message}`));
  page.on('requestfailed', (request) => {
    watched.failedRequests.push({
      url: request.url(),
      reason: request.failure()?.errorText ?? 'failed',
      resourceType: request.resourceType(),
      isNavigation: request.isNavigationRequest(),
    });
  });
  page.on('response', (response) => {
    if (response.status() < 400) return;
    const request = response.request();
    watched.failedRequests.push({
      url: response.url(),
      reason: `HTTP ${response.status()}`,
      resourceType: request.resourceType(),
      isNavigation: request.isNavigationRequest(),
    });
  });
  return watched;
}

export async function launchBrowser(options: LaunchOptions = {}): Promise<BrowserSession> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
    bypassCSP: options.bypassCSP ?? false,
    viewport: options.viewport ?? { width: 1280, height: 800 },
    locale: 'en-GB',
  });
  return {
    context,
    async newPage() {
      return watch(await context.newPage());
    },
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

const require = createRequire(import.meta.url);
let axeSource: string | undefined;

/** WCAG 2.0, 2.1 and 2.2, levels A and AA. */
export const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'];

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  /** CSS selectors of the offending elements, with axe's summary for each. */
  nodes: { target: string; summary: string }[];
}

/** Runs axe-core's WCAG A/AA rules on the page as it is now; returns the violations. */
export async function runAxe(page: Page): Promise<AxeViolation[]> {
  axeSource ??= fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  const isLoaded = await page.evaluate(() => 'axe' in window);
  if (!isLoaded) await page.evaluate(axeSource);
  const violations = await page.evaluate(async (tags) => {
    const axe = (window as unknown as { axe: typeof AxeCore }).axe;
    const results = await axe.run(document, { runOnly: { type: 'tag', values: tags } });
    return results.violations;
  }, WCAG_TAGS);
  return violations.map((violation: AxeCore.Result) => ({
    id: violation.id,
    impact: violation.impact ?? null,
    help: violation.help,
    nodes: violation.nodes.map((node) => ({
      target: node.target.join(' '),
      summary: node.failureSummary ?? '',
    })),
  }));
}
