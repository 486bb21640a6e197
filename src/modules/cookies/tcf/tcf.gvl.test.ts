import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../../../test/helpers/config.js';
import {
  VendorListCache,
  VendorListError,
  VendorListUnavailableError,
  downloadVendorList,
  parseVendorList,
} from './tcf.gvl.js';

const FIXTURE = fileURLToPath(
  new URL('../../../../test/fixtures/tcf/vendor-list.json', import.meta.url),
);
const FIXTURE_TEXT = fs.readFileSync(FIXTURE, 'utf8');
const HOUR = 3_600_000;

function collectingLog() {
  const lines: string[] = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => lines.push(line) });
  return { log, lines };
}

/** A vendor list host on loopback that counts requests and can be told to fail. */
function startListHost() {
  const state = { requests: 0, status: 200, body: FIXTURE_TEXT };
  const server = http.createServer((request, response) => {
    state.requests += 1;
    if (request.url?.split('?')[0] !== '/v3/vendor-list.json') {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(state.status, { 'content-type': 'application/json' }).end(state.body);
  });
  return {
    state,
    async listen(): Promise<string> {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v3/vendor-list.json`;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('TCF: the Global Vendor List', () => {
  const host = startListHost();
  let url = '';
  beforeAll(async () => {
    url = await host.listen();
  });
  afterAll(async () => {
    await host.close();
  });

  it('P49 is fetched from an http URL once, cached in DATA_DIR, and fetched again when stale', async () => {
    host.state.requests = 0;
    const dataDir = makeTempDir();
    const cacheFile = path.join(dataDir, 'tcf', 'vendor-list.json');
    let now = new Date('2026-11-20T10:00:00Z');
    const { log } = collectingLog();
    const cache = new VendorListCache({
      url,
      cacheFile,
      refreshMs: 24 * HOUR,
      log,
      now: () => now,
    });

    const [first, concurrent] = await Promise.all([cache.get(), cache.get()]);
    expect(first.vendorList.vendorListVersion).toBe(87);
    expect(concurrent).toBe(first);
    expect(host.state.requests).toBe(1);
    expect(JSON.parse(fs.readFileSync(cacheFile, 'utf8'))).toMatchObject({
      url,
      fetchedAt: '2026-11-20T10:00:00.000Z',
      vendorList: { vendorListVersion: 87, tcfPolicyVersion: 4 },
    });

    now = new Date('2026-11-21T09:59:00Z');
    await cache.get();
    expect(host.state.requests).toBe(1);

    // A new list version is published; the next use after the interval fetches it.
    host.state.body = JSON.stringify({ ...JSON.parse(FIXTURE_TEXT), vendorListVersion: 88 });
    now = new Date('2026-11-21T10:00:01Z');
    expect((await cache.get()).vendorList.vendorListVersion).toBe(88);
    expect(host.state.requests).toBe(2);
    host.state.body = FIXTURE_TEXT;
  });

  it('P49 survives a restart from the DATA_DIR copy, without fetching', async () => {
    host.state.requests = 0;
    const cacheFile = path.join(makeTempDir(), 'tcf', 'vendor-list.json');
    const now = () => new Date('2026-11-20T10:00:00Z');
    const { log } = collectingLog();
    await new VendorListCache({ url, cacheFile, refreshMs: HOUR, log, now }).get();
    const restarted = new VendorListCache({ url, cacheFile, refreshMs: HOUR, log, now });
    expect((await restarted.get()).vendorList.vendorListVersion).toBe(87);
    expect(host.state.requests).toBe(1);
    // A copy fetched from another URL is not used for this one.
    const otherUrl = url.replace('vendor-list.json', 'vendor-list.json?mirror=2');
    host.state.requests = 0;
    await new VendorListCache({ url: otherUrl, cacheFile, refreshMs: HOUR, log, now }).get();
    expect(host.state.requests).toBe(1);
  });

  it('P49 keeps serving the last good copy while the host fails, and says so in the log', async () => {
    host.state.requests = 0;
    const cacheFile = path.join(makeTempDir(), 'vendor-list.json');
    let now = new Date('2026-11-20T10:00:00Z');
    const { log, lines } = collectingLog();
    const cache = new VendorListCache({ url, cacheFile, refreshMs: HOUR, log, now: () => now });
    await cache.get();

    host.state.status = 503;
    now = new Date('2026-11-20T12:00:00Z');
    expect((await cache.get()).vendorList.vendorListVersion).toBe(87);
    expect(host.state.requests).toBe(2);
    expect(lines.join('\n')).toContain('could not refresh the Global Vendor List');
    // No new attempt on every request while the host is down.
    now = new Date('2026-11-20T12:05:00Z');
    await cache.get();
    expect(host.state.requests).toBe(2);
    // Once it answers again, the list is refreshed.
    host.state.status = 200;
    now = new Date('2026-11-20T13:30:00Z');
    await cache.get();
    expect(host.state.requests).toBe(3);
  });

  it('answers 503 (service_unavailable) when no list was ever had', async () => {
    host.state.status = 500;
    const { log } = collectingLog();
    const cache = new VendorListCache({
      url,
      cacheFile: path.join(makeTempDir(), 'vendor-list.json'),
      refreshMs: HOUR,
      log,
    });
    host.state.requests = 0;
    const failure = await cache.get().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(VendorListUnavailableError);
    expect(failure).toMatchObject({ code: 'service_unavailable', statusCode: 503 });
    // Requests right after do not wait on the failing host again.
    await expect(cache.get()).rejects.toBeInstanceOf(VendorListUnavailableError);
    expect(host.state.requests).toBe(1);
    host.state.status = 200;
  });

  it('P49 reads a list from a file: URL (an operator mirror, and the tests)', async () => {
    const list = await downloadVendorList(pathToFileURL(FIXTURE).href);
    expect(list.vendorListVersion).toBe(87);
    expect(Object.keys(list.vendors)).toEqual(['12', '45', '91', '300', '1001']);
    await expect(downloadVendorList(pathToFileURL('/nonexistent/list.json').href)).rejects.toThrow(
      VendorListError,
    );
  });

  it('refuses a list older than TCF v2.2, one that is not a vendor list, and one that is not JSON', () => {
    const fixture = JSON.parse(FIXTURE_TEXT) as Record<string, unknown>;
    expect(() =>
      parseVendorList(JSON.stringify({ ...fixture, tcfPolicyVersion: 2 }), 'test'),
    ).toThrow(/policy version 2 is older than TCF v2.2/);
    expect(() =>
      parseVendorList(JSON.stringify({ ...fixture, vendors: undefined }), 'test'),
    ).toThrow(/not a v3 vendor list/);
    expect(() =>
      parseVendorList(
        JSON.stringify({
          ...fixture,
          vendors: { '5': { ...(fixture.vendors as Record<string, object>)['12'] } },
        }),
        'test',
      ),
    ).toThrow(/vendor 5 carries the id 12/);
    expect(() => parseVendorList('<html>', 'test')).toThrow(/not JSON/);
  });
});
