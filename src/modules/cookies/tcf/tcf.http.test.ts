import { fileURLToPath } from 'node:url';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildTestApp } from '../../../../test/helpers/app.js';
import { describeEachDialect } from '../../../../test/helpers/dialects.js';
import { home } from '../../home/index.js';
import { cookies } from '../index.js';
import { describeTcString } from './tcf.encode.js';
import type { TcDataResponse } from './tcf.routes.js';

const FIXTURE = fileURLToPath(
  new URL('../../../../test/fixtures/tcf/vendor-list.json', import.meta.url),
);

/** Keeps one visitor's cookies and CSRF token between requests. */
class Visitor {
  readonly jar = new Map<string, string>();
  private csrf = '';
  constructor(
    private readonly app: FastifyInstance,
    private readonly headers: Record<string, string> = {},
  ) {}

  private keep(response: LightMyRequestResponse): LightMyRequestResponse {
    for (const cookie of response.cookies) {
      if (cookie.maxAge === 0) this.jar.delete(cookie.name);
      else this.jar.set(cookie.name, cookie.value);
    }
    this.csrf = /name="_csrf" value="([^"]+)"/.exec(response.body)?.[1] ?? this.csrf;
    return response;
  }

  private get cookie(): string {
    return [...this.jar].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  async get(url: string) {
    return this.keep(
      await this.app.inject({
        url,
        headers: { ...this.headers, accept: 'text/html', cookie: this.cookie },
      }),
    );
  }

  async choose(action: 'accept-all' | 'reject-all') {
    return this.keep(
      await this.app.inject({
        method: 'POST',
        url: '/cookies',
        headers: {
          ...this.headers,
          cookie: this.cookie,
          'content-type': 'application/x-www-form-urlencoded',
        },
        payload: new URLSearchParams({ action, return: '/', _csrf: this.csrf }).toString(),
      }),
    );
  }

  async tcData(): Promise<TcDataResponse> {
    const response = await this.app.inject({
      url: '/cookies/tc-data',
      headers: { ...this.headers, accept: 'application/json', cookie: this.cookie },
    });
    expect(response.statusCode).toBe(200);
    return response.json<TcDataResponse>();
  }
}

function consented(flags: Record<string, boolean>): number[] {
  return Object.entries(flags)
    .filter(([, isSet]) => isSet)
    .map(([id]) => Number(id));
}

describeEachDialect('TCF through the cookie platform', (current) => {
  let app: FastifyInstance;
  let off: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestApp(current(), {
      modules: [cookies, home],
      env: {
        TCF_CMP_ID: '300',
        TCF_PURPOSE_MAP:
          'advertising-cookies:1,2,7;personalised-advertising:3,4;analytics:1,8,9,10',
        TCF_GVL_URL: FIXTURE,
      },
    });
    off = await buildTestApp(current(), { modules: [cookies, home] });
  });
  afterAll(async () => {
    await app?.close();
    await off?.close();
  });

  it('P49 a choice made in the banner becomes the euconsent-v2 string that /cookies/tc-data serves', async () => {
    const visitor = new Visitor(app);
    await visitor.get('/');
    expect((await visitor.tcData()).hasChoice).toBe(false);

    expect((await visitor.choose('accept-all')).statusCode).toBe(303);
    const tcString = visitor.jar.get('euconsent-v2');
    expect(tcString).toBeDefined();
    const data = await visitor.tcData();
    expect(data).toMatchObject({ hasChoice: true, tcString, cmpId: 300, tcfPolicyVersion: 4 });
    expect(consented(data.purpose.consents)).toEqual([1, 2, 3, 4, 7, 8, 9, 10]);
    expect(describeTcString(tcString!).purposeConsents).toEqual([1, 2, 3, 4, 7, 8, 9, 10]);

    await visitor.get('/cookies');
    await visitor.choose('reject-all');
    const rejected = visitor.jar.get('euconsent-v2');
    expect(rejected).not.toBe(tcString);
    expect(describeTcString(rejected!).purposeConsents).toEqual([]);
    expect(consented((await visitor.tcData()).purpose.consents)).toEqual([]);
  });

  it('P49 Global Privacy Control: Accept all leaves the advertising purposes out of the TC string', async () => {
    const visitor = new Visitor(app, { 'sec-gpc': '1' });
    await visitor.get('/');
    await visitor.choose('accept-all');
    const decoded = describeTcString(visitor.jar.get('euconsent-v2')!);
    expect(decoded.purposeConsents).toEqual([1, 8, 9, 10]);
  });

  it('P49 without a CMP id: no TC string cookie, no TC data, and /cookies says TCF is off', async () => {
    const visitor = new Visitor(off);
    await visitor.get('/');
    await visitor.choose('accept-all');
    expect(visitor.jar.has('euconsent-v2')).toBe(false);
    const response = await off.inject({
      url: '/cookies/tc-data',
      headers: { accept: 'application/json' },
    });
    expect(response.statusCode).toBe(404);
    expect((await visitor.get('/cookies')).body).toMatch(
      /Transparency and Consent Framework.*is off/,
    );
  });
});
