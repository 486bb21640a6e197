import { fileURLToPath } from 'node:url';
import cookie from '@fastify/cookie';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { testConfig } from '../../../../test/helpers/config.js';
import type { CookieChoices } from './tcf.choices.js';
import { describeTcString, encodeTcString } from './tcf.encode.js';
import { tcfRoutes, type TcDataResponse, type TcfRoutesOptions } from './tcf.routes.js';
import { tcfSettings } from './tcf.settings.js';

const FIXTURE = fileURLToPath(
  new URL('../../../../test/fixtures/tcf/vendor-list.json', import.meta.url),
);

const TCF_ENV = {
  TCF_CMP_ID: '300',
  TCF_CMP_VERSION: '3',
  TCF_PURPOSE_MAP: 'advertising-cookies:1,2,7;personalised-advertising:3,4;analytics:1,8,9,10',
  TCF_GVL_URL: FIXTURE,
};

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

/** The plugin as the cookie platform mounts it, on an app with the given configuration. */
async function appWith(env: Record<string, string>, options: TcfRoutesOptions = {}) {
  const app = Fastify({ logger: { level: 'silent' } });
  app.decorate('config', testConfig(env));
  await app.register(cookie);
  await app.register(tcfRoutes, options);
  await app.ready();
  apps.push(app);
  return app;
}

async function tcData(app: FastifyInstance, cookies: Record<string, string> = {}) {
  const response = await app.inject({
    url: '/cookies/tc-data',
    headers: { accept: 'application/json' },
    cookies,
  });
  return { response, body: response.json<TcDataResponse>() };
}

const ALL_PURPOSES = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11'];
const flags = (on: number[]) =>
  Object.fromEntries(ALL_PURPOSES.map((id) => [id, on.includes(Number(id))]));

describe('TCF: GET /cookies/tc-data', () => {
  it('P49 is off without TCF_CMP_ID', async () => {
    const app = await appWith({});
    expect(tcfSettings(app)).toBeNull();
    const { response } = await tcData(app);
    expect(response.statusCode).toBe(404);
    await expect(
      encodeTcString(app, { purposes: [], partners: [], at: new Date() }),
    ).rejects.toThrow(/TCF is off/);
  });

  it('P49 before any choice: nothing consented, the banner showing, never cached', async () => {
    const app = await appWith(TCF_ENV);
    const { response, body } = await tcData(app);
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(body).toMatchObject({
      hasChoice: false,
      gdprApplies: true,
      cmpId: 300,
      cmpVersion: 3,
      tcfPolicyVersion: 4,
      gvlVersion: 87,
      isServiceSpecific: true,
      useNonStandardTexts: false,
      publisherCC: 'GB',
      purposeOneTreatment: false,
      purpose: { consents: flags([]), legitimateInterests: flags([]) },
      specialFeatureOptins: { '1': false, '2': false },
    });
    expect(describeTcString(body.tcString)).toMatchObject({ cmpId: 300, purposeConsents: [] });
  });

  it('P49 serves the TC string of the recorded choice, with every field read back from it', async () => {
    const app = await appWith(TCF_ENV);
    const tcString = await encodeTcString(app, {
      purposes: ['analytics', 'advertising-cookies'],
      partners: [],
      at: new Date('2026-11-01T09:00:00Z'),
    });
    const { body } = await tcData(app, { 'euconsent-v2': tcString });
    expect(body.hasChoice).toBe(true);
    expect(body.tcString).toBe(tcString);
    expect(body.purpose.consents).toEqual(flags([1, 2, 7, 8, 9, 10]));
    expect(body.purpose.legitimateInterests).toEqual(flags([]));
    expect(describeTcString(body.tcString).purposeConsents).toEqual([1, 2, 7, 8, 9, 10]);
  });

  it('ignores a TC string that is not ours or not a TC string', async () => {
    const app = await appWith(TCF_ENV);
    const other = await appWith({ ...TCF_ENV, TCF_CMP_ID: '301' });
    const foreign = await encodeTcString(other, {
      purposes: ['analytics'],
      partners: [],
      at: new Date(),
    });
    for (const value of [foreign, 'not-a-tc-string', '<script>']) {
      const { response, body } = await tcData(app, { 'euconsent-v2': value });
      expect(response.statusCode).toBe(200);
      expect(body.hasChoice).toBe(false);
      expect(body.purpose.consents).toEqual(flags([]));
    }
  });

  it('P49 encodes the choice the cookie platform reads, when it passes one', async () => {
    let choice: CookieChoices | null = {
      purposes: ['personalised-advertising'],
      partners: [],
      at: new Date('2026-10-10T10:00:00Z'),
    };
    const app = await appWith(TCF_ENV, { choiceOf: () => choice });
    const { body } = await tcData(app);
    expect(body.hasChoice).toBe(true);
    expect(body.purpose.consents).toEqual(flags([3, 4]));
    expect(describeTcString(body.tcString).lastUpdated.toISOString()).toBe(
      '2026-10-10T00:00:00.000Z',
    );
    choice = null;
    expect((await tcData(app)).body.hasChoice).toBe(false);
  });

  it('answers 503 when the vendor list cannot be read', async () => {
    const app = await appWith({ ...TCF_ENV, TCF_GVL_URL: '/nonexistent/vendor-list.json' });
    const { response } = await tcData(app);
    expect(response.statusCode).toBe(503);
  });
});
