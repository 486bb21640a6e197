/**
 * IAB TCF v2.2 in the browser (P49): the real built server with TCF configured (the fixture
 * vendor list, read from disk: no network), choices made through the cookie banner, and the
 * `__tcfapi` API called from the page and, through postMessage, from a cross-origin frame. Every
 * TC string the page hands out is decoded here in Node with @iabtcf/core.
 */
import { fileURLToPath } from 'node:url';
import type { Frame, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { describeTcString } from '../../src/modules/cookies/tcf/tcf.encode.js';
import { isChromiumAvailable } from '../helpers/browser.js';
import { expectAccessible, submit, useJourney } from '../helpers/journey.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/tcf/vendor-list.json', import.meta.url));

interface TcData {
  tcString: string;
  eventStatus: string;
  cmpStatus: string;
  listenerId?: number;
  cmpId: number;
  tcfPolicyVersion: number;
  gdprApplies: boolean;
  isServiceSpecific: boolean;
  publisherCC: string;
  purpose: { consents: Record<string, boolean>; legitimateInterests: Record<string, boolean> };
  vendor: { consents: Record<string, boolean>; legitimateInterests: Record<string, boolean> };
}

interface Answer<T> {
  value: T;
  success: boolean;
}

/** Calls `__tcfapi` in the page and resolves with its first answer. */
function callApi<T>(page: Page, command: string, parameter?: unknown): Promise<Answer<T>> {
  return page.evaluate(
    ([command, parameter]) =>
      new Promise<Answer<T>>((resolve) => {
        const api = (window as unknown as { __tcfapi: (...args: unknown[]) => void }).__tcfapi;
        api(command, 2, (value: T, success: boolean) => resolve({ value, success }), parameter);
      }),
    [command, parameter] as const,
  );
}

async function waitUntilLoaded(page: Page): Promise<void> {
  await expect
    .poll(async () => (await callApi<{ cmpLoaded: boolean }>(page, 'ping')).value.cmpLoaded)
    .toBe(true);
}

/** The TCF purposes whose consent flag is set. */
function consented(flags: Record<string, boolean>): number[] {
  return Object.entries(flags)
    .filter(([, isSet]) => isSet)
    .map(([id]) => Number(id))
    .sort((a, b) => a - b);
}

/**
 * A sandboxed frame (an opaque origin: it cannot touch the page's `__tcfapi`) that finds the
 * CMP through the `__tcfapiLocator` frame and calls it with postMessage, as a vendor's ad frame
 * does.
 */
async function crossOriginFrame(page: Page): Promise<Frame> {
  await page.evaluate(() => {
    const frame = document.createElement('iframe');
    frame.name = 'vendor-frame';
    frame.title = 'Vendor frame';
    frame.setAttribute('sandbox', 'allow-scripts');
    frame.srcdoc = '<!doctype html><title>Vendor</title><p>Vendor frame</p>';
    document.body.appendChild(frame);
  });
  await expect.poll(() => page.frame({ name: 'vendor-frame' })?.url()).toBe('about:srcdoc');
  return page.frame({ name: 'vendor-frame' })!;
}

function postMessageCall<T>(
  frame: Frame,
  command: string,
): Promise<Answer<T> & { callId: string }> {
  return frame.evaluate(
    (command) =>
      new Promise<Answer<T> & { callId: string }>((resolve, reject) => {
        let cmpWindow: Window | null = null;
        for (let candidate: Window = window; ; candidate = candidate.parent) {
          try {
            if (candidate.frames['__tcfapiLocator' as unknown as number]) {
              cmpWindow = candidate;
              break;
            }
          } catch {
            // Not reachable from here: keep climbing.
          }
          if (candidate === window.top) break;
        }
        if (!cmpWindow) {
          reject(new Error('no __tcfapiLocator frame found'));
          return;
        }
        const callId = `call-${Math.random()}`;
        window.addEventListener('message', (event: MessageEvent) => {
          const answer = (
            event.data as {
              __tcfapiReturn?: { returnValue: T; success: boolean; callId: string };
            } | null
          )?.__tcfapiReturn;
          if (answer?.callId === callId) {
            resolve({ value: answer.returnValue, success: answer.success, callId: answer.callId });
          }
        });
        cmpWindow.postMessage({ __tcfapiCall: { command, version: 2, callId } }, '*');
      }),
    command,
  );
}

describe.skipIf(!isChromiumAvailable())('IAB TCF __tcfapi in the browser', () => {
  const journey = useJourney({
    env: {
      TCF_CMP_ID: '300',
      TCF_CMP_VERSION: '2',
      TCF_PURPOSE_MAP: 'advertising-cookies:1,2,7;personalised-advertising:3,4;analytics:1,8,9,10',
      TCF_GVL_URL: FIXTURE,
    },
  });

  it('P49 before a choice: the API answers, the banner is showing and nothing is consented', async () => {
    const { page, consoleErrors, failedRequests } = await journey.browser.newPage();
    await page.goto(`${journey.server.url}/`, { waitUntil: 'load' });
    await waitUntilLoaded(page);

    const ping = await callApi<Record<string, unknown>>(page, 'ping');
    expect(ping).toEqual({
      success: true,
      value: {
        gdprApplies: true,
        cmpLoaded: true,
        cmpStatus: 'loaded',
        displayStatus: 'visible',
        apiVersion: '2.2',
        cmpVersion: 2,
        cmpId: 300,
        gvlVersion: 87,
        tcfPolicyVersion: 4,
      },
    });

    const { value, success } = await callApi<TcData>(page, 'getTCData');
    expect(success).toBe(true);
    expect(value).toMatchObject({
      eventStatus: 'cmpuishown',
      cmpStatus: 'loaded',
      cmpId: 300,
      tcfPolicyVersion: 4,
      gdprApplies: true,
      isServiceSpecific: true,
      publisherCC: 'GB',
    });
    expect(value.listenerId).toBeUndefined();
    expect(consented(value.purpose.consents)).toEqual([]);
    expect(describeTcString(value.tcString)).toMatchObject({
      cmpId: 300,
      cmpVersion: 2,
      tcfPolicyVersion: 4,
      purposeConsents: [],
      vendorConsents: [],
    });

    // The locator frame is in the page, hidden, and changes nothing for accessibility.
    expect(await page.locator('iframe[name="__tcfapiLocator"]').isHidden()).toBe(true);
    await expectAccessible(page);
    expect(consoleErrors).toEqual([]);
    expect(failedRequests).toEqual([]);
    await page.close();
  });

  it('P49 after Accept all: the TC string carries the mapped purposes, listeners hear changes, frames ask by postMessage', async () => {
    const { page, consoleErrors, failedRequests } = await journey.browser.newPage();
    await page.goto(`${journey.server.url}/`, { waitUntil: 'load' });
    await submit(page, page.getByRole('button', { name: 'Accept all' }));
    await waitUntilLoaded(page);

    const cookie = (await page.context().cookies(journey.server.url)).find(
      (each) => each.name === 'euconsent-v2',
    );
    expect(cookie).toBeDefined();

    const { value } = await callApi<TcData>(page, 'getTCData');
    expect(value.eventStatus).toBe('tcloaded');
    expect(value.tcString).toBe(cookie?.value);
    expect(consented(value.purpose.consents)).toEqual([1, 2, 3, 4, 7, 8, 9, 10]);
    expect(consented(value.purpose.legitimateInterests)).toEqual([]);
    const decoded = describeTcString(value.tcString);
    expect(decoded.purposeConsents).toEqual([1, 2, 3, 4, 7, 8, 9, 10]);
    expect(decoded.purposeLegitimateInterests).toEqual([]);
    expect(decoded.tcfPolicyVersion).toBe(4);

    // addEventListener: called at once, then again on a new choice; removeEventListener stops it.
    await page.evaluate(() => {
      const seen: unknown[] = [];
      (window as unknown as { tcfEvents: unknown[] }).tcfEvents = seen;
      const api = (window as unknown as { __tcfapi: (...args: unknown[]) => void }).__tcfapi;
      api(
        'addEventListener',
        2,
        (data: { eventStatus: string; listenerId: number }, success: boolean) =>
          seen.push({ eventStatus: data.eventStatus, listenerId: data.listenerId, success }),
      );
    });
    const events = () =>
      page.evaluate(
        () =>
          (window as unknown as { tcfEvents: { eventStatus: string; listenerId: number }[] })
            .tcfEvents,
      );
    await expect.poll(events).toHaveLength(1);
    const [first] = await events();
    expect(first).toMatchObject({ eventStatus: 'tcloaded', success: true });
    const listenerId = first!.listenerId;
    expect(typeof listenerId).toBe('number');

    await page.evaluate(() => document.dispatchEvent(new Event('hearth:consent-changed')));
    await expect.poll(events).toHaveLength(2);
    expect((await events())[1]).toMatchObject({ eventStatus: 'useractioncomplete', listenerId });

    expect(await callApi<boolean>(page, 'removeEventListener', listenerId)).toEqual({
      value: true,
      success: true,
    });
    expect(await callApi<boolean>(page, 'removeEventListener', listenerId)).toEqual({
      value: false,
      success: false,
    });
    const reloaded = page.waitForResponse((response) =>
      response.url().endsWith('/cookies/tc-data'),
    );
    await page.evaluate(() => window.dispatchEvent(new Event('hearth:consent-changed')));
    // The data is reloaded; give the script time to (wrongly) call the removed listener.
    await reloaded;
    await page.waitForTimeout(300);
    expect(await events()).toHaveLength(2);

    // A cross-origin frame cannot reach __tcfapi, but the locator and postMessage work.
    const frame = await crossOriginFrame(page);
    const direct = await frame.evaluate(() => {
      try {
        return typeof (window.parent as unknown as { __tcfapi?: unknown }).__tcfapi;
      } catch {
        return 'blocked';
      }
    });
    expect(direct).toBe('blocked');
    const ping = await postMessageCall<{ cmpId: number; cmpLoaded: boolean }>(frame, 'ping');
    expect(ping).toMatchObject({ success: true, value: { cmpId: 300, cmpLoaded: true } });
    const fromFrame = await postMessageCall<TcData>(frame, 'getTCData');
    expect(fromFrame.success).toBe(true);
    expect(fromFrame.value.tcString).toBe(value.tcString);
    expect(describeTcString(fromFrame.value.tcString).purposeConsents).toEqual([
      1, 2, 3, 4, 7, 8, 9, 10,
    ]);

    expect(consoleErrors).toEqual([]);
    expect(failedRequests).toEqual([]);
    await page.close();
  });

  it('P49 after Reject all: no purpose and no vendor, in the page and in the decoded string', async () => {
    const { page, consoleErrors } = await journey.browser.newPage();
    await page.goto(`${journey.server.url}/cookies`, { waitUntil: 'load' });
    await submit(page, page.getByRole('button', { name: 'Reject all' }).first());
    await waitUntilLoaded(page);
    const { value } = await callApi<TcData>(page, 'getTCData');
    expect(value.eventStatus).toBe('tcloaded');
    expect(consented(value.purpose.consents)).toEqual([]);
    expect(consented(value.vendor.consents)).toEqual([]);
    const decoded = describeTcString(value.tcString);
    expect(decoded.purposeConsents).toEqual([]);
    expect(decoded.vendorConsents).toEqual([]);
    expect(decoded.cmpId).toBe(300);
    expect(consoleErrors).toEqual([]);
    await page.close();
  });
});
