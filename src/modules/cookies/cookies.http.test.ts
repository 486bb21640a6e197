import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp } from '../../../test/helpers/app.js';
import { describeEachDialect } from '../../../test/helpers/dialects.js';
import { loginAs, makeMember } from '../../../test/helpers/members.js';
import { tablesOf } from '../../platform/db/database.js';
import { currentConsents } from '../../privacy/consent/index.js';
import type { ConsentTables } from '../../privacy/consent/consent.tables.js';
import { accounts } from '../accounts/index.js';
import { home } from '../home/index.js';
import { rights } from '../rights/index.js';
import { buildCookieCatalogue } from './cookies.catalogue.js';
import {
  CHOICE_COOKIE,
  CHOICE_LIFETIME_SECONDS,
  decodeChoice,
  deriveChoiceKey,
  encodeChoice,
  newVisitorId,
  type StoredChoice,
} from './cookies.choice-cookie.js';
import { DEMO_ADS_COOKIE } from './cookies.demo-ads.js';
import type { CookiesTables } from './cookies.tables.js';
import { cookies } from './index.js';

const ESSENTIAL = new Set(['hearth_csrf', 'hearth_session', CHOICE_COOKIE]);
const ALL_PURPOSES = ['analytics', 'advertising-cookies', 'personalised-advertising'];

/** A browser stand-in: keeps cookies (honouring expiry), the CSRF token and the GPC header. */
class Browser {
  readonly cookies = new Map<string, string>();
  private csrf = '';
  constructor(
    private readonly app: FastifyInstance,
    private readonly extraHeaders: Record<string, string> = {},
  ) {}

  private remember(response: LightMyRequestResponse): void {
    for (const cookie of response.cookies) {
      const expired =
        cookie.maxAge === 0 ||
        (cookie.expires !== undefined && cookie.expires.getTime() < Date.now());
      if (expired) this.cookies.delete(cookie.name);
      else this.cookies.set(cookie.name, cookie.value);
    }
    const token = /name="_csrf" value="([^"]+)"/.exec(response.body)?.[1];
    if (token) this.csrf = token;
  }

  get cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  async get(url: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    const response = await this.app.inject({
      url,
      headers: { ...this.extraHeaders, cookie: this.cookieHeader, ...headers },
    });
    this.remember(response);
    return response;
  }

  async post(url: string, fields: [string, string][]): Promise<LightMyRequestResponse> {
    const response = await this.app.inject({
      method: 'POST',
      url,
      headers: {
        ...this.extraHeaders,
        cookie: this.cookieHeader,
        'content-type': 'application/x-www-form-urlencoded',
      },
      payload: new URLSearchParams([...fields, ['_csrf', this.csrf]]).toString(),
    });
    this.remember(response);
    return response;
  }

  async api(method: 'GET' | 'PUT' | 'POST', url: string, body?: unknown) {
    const response = await this.app.inject({
      method,
      url,
      headers: {
        ...this.extraHeaders,
        cookie: this.cookieHeader,
        origin: this.app.config.publicUrl,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });
    this.remember(response);
    return response;
  }

  choice(): StoredChoice | null {
    return decodeChoice(deriveChoiceKey(this.app.secretKey), this.cookies.get(CHOICE_COOKIE));
  }
}

function bannerOf(html: string): string | null {
  return /<div class="cookie-banner"[\s\S]*?<\/form><\/div><\/div>/.exec(html)?.[0] ?? null;
}

function adScriptOf(html: string): string | null {
  return /<script src="(\/demo-ads\/ad\.js[^"]*)"/.exec(html)?.[1]?.replace(/&amp;/g, '&') ?? null;
}

describeEachDialect('cookie consent platform', (current) => {
  let app: FastifyInstance;
  const catalogue = buildCookieCatalogue();

  beforeAll(async () => {
    app = await buildTestApp(current(), { modules: [cookies, home] });
  });
  afterAll(async () => {
    await app?.close();
  });

  const choicesOf = (visitorId: string) =>
    tablesOf<CookiesTables>(app.db)
      .selectFrom('cookies_choices')
      .selectAll()
      .where('visitor_id', '=', visitorId)
      .orderBy('at')
      .execute();

  describe('the first visit', () => {
    it('P26 P41 shows the banner and sets only essential cookies: no visitor id, no partner tag', async () => {
      const browser = new Browser(app);
      const response = await browser.get('/');
      expect(response.statusCode).toBe(200);
      const banner = bannerOf(response.body);
      expect(banner).not.toBeNull();
      expect(banner).toContain('role="dialog"');
      expect(banner).toContain('aria-labelledby="cookie-banner-title"');
      // Equal prominence: the same element with the same class for all three.
      const buttons = [...(banner ?? '').matchAll(/<button([^>]*)>([^<]+)<\/button>/g)];
      expect(buttons.map((match) => match[2])).toEqual(['Accept all', 'Reject all', 'Manage']);
      expect(
        new Set(buttons.map((match) => /class="([^"]+)"/.exec(match[1] ?? '')?.[1])).size,
      ).toBe(1);
      // The banner is a form to Hearth, with a CSRF token: it works without JavaScript.
      expect(banner).toMatch(/<form action="\/cookies" method="post"/);
      expect(banner).toContain('name="_csrf"');
      // Only essential cookies; none carries an id that outlives the browser session.
      const names = response.cookies.map((cookie) => cookie.name);
      expect(names.every((name) => ESSENTIAL.has(name))).toBe(true);
      expect(names).not.toContain(CHOICE_COOKIE);
      for (const cookie of response.cookies) expect(cookie.maxAge).toBeUndefined();
      // No partner tag, yet an advert that is not personalised (P31).
      expect(adScriptOf(response.body)).toBeNull();
      expect(response.body).toContain('data-ad-slot="home"');
      expect(response.body).toContain('Chosen by this page, not by you');
    });

    it('P41 keeps the site usable without a choice: the banner does not replace the page', async () => {
      const response = await new Browser(app).get('/');
      expect(response.body).toContain('<main id="main"');
      expect(response.body).toContain('Welcome to Hearth');
      expect(response.body).not.toContain('aria-modal="true"');
    });
  });

  describe('choosing in the banner', () => {
    it('P26 P40 records "Accept all" in the ledger under a pseudonymous id and keeps it 13 months', async () => {
      const browser = new Browser(app);
      await browser.get('/');
      const response = await browser.post('/cookies', [
        ['action', 'accept-all'],
        ['return', '/'],
      ]);
      expect(response.statusCode).toBe(303);
      expect(response.headers.location).toBe('/');
      const set = response.cookies.find((cookie) => cookie.name === CHOICE_COOKIE);
      expect(set?.maxAge).toBe(CHOICE_LIFETIME_SECONDS);
      expect(CHOICE_LIFETIME_SECONDS / 86_400).toBeGreaterThan(395);
      expect(CHOICE_LIFETIME_SECONDS / 86_400).toBeLessThan(396);
      expect(set?.httpOnly).toBe(true);
      expect(set?.sameSite).toBe('Lax');

      const choice = browser.choice();
      expect(choice?.purposes).toEqual(ALL_PURPOSES);
      expect(choice?.partners).toEqual(catalogue.partners.map((partner) => partner.id));
      const visitorId = choice?.visitorId ?? '';
      expect(visitorId).toMatch(/^[A-Za-z0-9_-]{22}$/);

      const rows = await choicesOf(visitorId);
      expect(rows).toHaveLength(1);
      expect(JSON.parse(rows[0]?.purposes ?? '[]')).toEqual(ALL_PURPOSES);
      expect(rows[0]).toMatchObject({ member_id: null, method: 'cmp', gpc: '' });

      const consents = await currentConsents(app.db, visitorId);
      const granted = consents
        .filter((row) => row.granted)
        .map((row) => `${row.purpose} ${row.scope}`);
      expect(granted).toEqual(
        expect.arrayContaining([
          'analytics ',
          'analytics vendor:web-analytics',
          'advertising-cookies ',
          'advertising-cookies vendor:demo-ads',
          'advertising-cookies vendor:ad-network',
          'personalised-advertising ',
          'personalised-advertising vendor:demo-ads',
          'personalised-advertising vendor:ad-network',
        ]),
      );
      expect(consents.every((row) => row.method === 'cmp')).toBe(true);

      // The banner is gone, and the demo partner's tag loads, personalised.
      const next = await browser.get('/');
      expect(bannerOf(next.body)).toBeNull();
      expect(adScriptOf(next.body)).toBe('/demo-ads/ad.js?personalised=1');
    });

    it('P41 "Reject all" sets only the choice cookie, loads no tag and still shows adverts', async () => {
      const browser = new Browser(app);
      await browser.get('/');
      const response = await browser.post('/cookies', [
        ['action', 'reject-all'],
        ['return', '/'],
      ]);
      expect(response.statusCode).toBe(303);
      expect([...browser.cookies.keys()].every((name) => ESSENTIAL.has(name))).toBe(true);
      const choice = browser.choice();
      expect(choice).toMatchObject({ purposes: [], partners: [] });
      const consents = await currentConsents(app.db, choice?.visitorId ?? '');
      expect(consents.map((row) => [row.purpose, row.granted, row.method])).toEqual([
        ['advertising-cookies', false, 'cmp'],
        ['analytics', false, 'cmp'],
        ['personalised-advertising', false, 'cmp'],
      ]);
      const page = await browser.get('/');
      expect(page.statusCode).toBe(200);
      expect(bannerOf(page.body)).toBeNull();
      expect(adScriptOf(page.body)).toBeNull();
      expect(page.body).toContain('Chosen by this page, not by you');
    });

    it('"Manage" records nothing and opens the settings', async () => {
      const browser = new Browser(app);
      await browser.get('/');
      const response = await browser.post('/cookies', [
        ['action', 'manage'],
        ['return', '/'],
      ]);
      expect(response.statusCode).toBe(303);
      expect(response.headers.location).toBe('/cookies');
      expect(browser.cookies.has(CHOICE_COOKIE)).toBe(false);
    });

    it('goes back only to a path on this site', async () => {
      const browser = new Browser(app);
      await browser.get('/');
      for (const target of ['//evil.example/', 'https://evil.example/', '/\\evil.example']) {
        const response = await browser.post('/cookies', [
          ['action', 'reject-all'],
          ['return', target],
        ]);
        expect(response.headers.location).toBe('/');
      }
    });

    it('refuses a form without its CSRF token and an unknown action', async () => {
      const browser = new Browser(app);
      const forged = await app.inject({
        method: 'POST',
        url: '/cookies',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'action=accept-all',
      });
      expect(forged.statusCode).toBe(403);
      await browser.get('/');
      const odd = await browser.post('/cookies', [['action', 'accept-some']]);
      expect(odd.statusCode).toBe(400);
      expect(browser.cookies.has(CHOICE_COOKIE)).toBe(false);
    });
  });

  describe('the settings page', () => {
    it('P27 lists every purpose and partner with its own labelled switch', async () => {
      const response = await new Browser(app).get('/cookies');
      expect(response.statusCode).toBe(200);
      const html = response.body;
      expect(html).toContain('<h1>Cookie settings</h1>');
      expect(html).toMatch(
        /<input id="purpose-essential" type="checkbox"[^>]*checked[^>]*disabled/,
      );
      for (const purpose of catalogue.purposes) {
        expect(html).toContain(
          `id="field-purposes-${purpose.key}" type="checkbox" name="purposes" value="${purpose.key}"`,
        );
        expect(html).toContain(`for="field-purposes-${purpose.key}">${purpose.title}</label>`);
      }
      for (const partner of catalogue.partners) {
        expect(html).toContain(`name="partners" value="${partner.id}"`);
      }
      // Each switch has a name of its own, so a screen reader can tell them apart.
      const labels = [...html.matchAll(/<label class="checkbox__label" for="[^"]+">([^<]+)</g)].map(
        (match) => match[1],
      );
      expect(labels.length).toBe(1 + catalogue.purposes.length + catalogue.partners.length);
      expect(new Set(labels).size).toBe(labels.length);
      expect(html).toContain('TCF) is off');
      // The page itself needs no banner: it is the full choice.
      expect(bannerOf(html)).toBeNull();
    });

    it('P27 saves a choice purpose by purpose and partner by partner', async () => {
      const browser = new Browser(app);
      await browser.get('/cookies');
      const response = await browser.post('/cookies', [
        ['action', 'save'],
        ['return', '/cookies'],
        ['purposes', 'advertising-cookies'],
        ['partners', 'demo-ads'],
      ]);
      expect(response.headers.location).toBe('/cookies?saved=1');
      expect(browser.choice()).toMatchObject({
        purposes: ['advertising-cookies'],
        partners: ['demo-ads'],
      });
      const saved = await browser.get('/cookies?saved=1');
      expect(saved.body).toContain('Your cookie choices are saved.');
      expect(saved.body).toMatch(/value="advertising-cookies" checked/);
      expect(saved.body).not.toMatch(/value="analytics" checked/);
      // P28 P31: the partner's tag loads for advertising, but does not personalise.
      const page = await browser.get('/');
      expect(adScriptOf(page.body)).toBe('/demo-ads/ad.js?personalised=0');
    });

    it('P28 loads no tag without consent to the partner, or to its purpose', async () => {
      const withoutPartner = new Browser(app);
      await withoutPartner.get('/cookies');
      await withoutPartner.post('/cookies', [
        ['action', 'save'],
        ['return', '/cookies'],
        ...ALL_PURPOSES.map((key): [string, string] => ['purposes', key]),
        ['partners', 'ad-network'],
      ]);
      expect(adScriptOf((await withoutPartner.get('/')).body)).toBeNull();

      const withoutPurpose = new Browser(app);
      await withoutPurpose.get('/cookies');
      await withoutPurpose.post('/cookies', [
        ['action', 'save'],
        ['return', '/cookies'],
        ['purposes', 'analytics'],
        ['partners', 'demo-ads'],
      ]);
      expect(adScriptOf((await withoutPurpose.get('/')).body)).toBeNull();
    });

    it('P27 withdrawing expires the cookies the partner set on our site', async () => {
      const browser = new Browser(app);
      await browser.get('/');
      await browser.post('/cookies', [
        ['action', 'accept-all'],
        ['return', '/'],
      ]);
      // What the demo partner's tag stores in the browser with personalised advertising allowed.
      browser.cookies.set(DEMO_ADS_COOKIE, 'home.forum');
      await browser.get('/cookies');
      const response = await browser.post('/cookies', [
        ['action', 'save'],
        ['return', '/cookies'],
        ['purposes', 'advertising-cookies'],
        ['partners', 'demo-ads'],
      ]);
      const cleared = response.cookies.find((cookie) => cookie.name === DEMO_ADS_COOKIE);
      expect(cleared).toBeDefined();
      expect(cleared?.expires?.getTime() ?? Number.POSITIVE_INFINITY).toBeLessThan(Date.now());
      expect(cleared?.path).toBe('/');
      expect(browser.cookies.has(DEMO_ADS_COOKIE)).toBe(false);
      const consents = await currentConsents(app.db, browser.choice()?.visitorId ?? '');
      expect(
        consents.find((row) => row.purpose === 'personalised-advertising' && row.scope === ''),
      ).toMatchObject({ granted: false, method: 'cmp' });
      // One visitor id across both choices: the record is one person's history.
      expect(await choicesOf(browser.choice()?.visitorId ?? '')).toHaveLength(2);
    });

    it('P27 records a logged-in member’s choice under the member too', async () => {
      const member = await makeMember(app.db);
      const login = await loginAs(app, member);
      const browser = new Browser(app);
      for (const part of login.headers.cookie?.split('; ') ?? []) {
        const [name = '', value = ''] = part.split('=');
        browser.cookies.set(name, value);
      }
      await browser.get('/cookies');
      await browser.post('/cookies', [
        ['action', 'save'],
        ['return', '/cookies'],
        ['purposes', 'analytics'],
        ['partners', 'web-analytics'],
      ]);
      const visitorId = browser.choice()?.visitorId ?? '';
      expect((await choicesOf(visitorId))[0]?.member_id).toBe(member.id);
      const own = await currentConsents(app.db, member.id);
      expect(own.filter((row) => row.granted).map((row) => `${row.purpose} ${row.scope}`)).toEqual([
        'analytics ',
        'analytics vendor:web-analytics',
      ]);
      const events = await tablesOf<ConsentTables>(app.db)
        .selectFrom('privacy_consent_events')
        .select(['subject_kind', 'method', 'purpose'])
        .where('subject_id', '=', member.id)
        .where('purpose', 'in', ['analytics', 'advertising-cookies', 'personalised-advertising'])
        .execute();
      // analytics, analytics for its partner; advertising partners and personalised refused.
      expect(events).toHaveLength(4);
      expect(
        events.every((event) => event.subject_kind === 'member' && event.method === 'cmp'),
      ).toBe(true);
    });
  });

  describe('asking again', () => {
    const key = () => deriveChoiceKey(app.secretKey);
    const stored = (overrides: Partial<StoredChoice>): StoredChoice => ({
      visitorId: newVisitorId(),
      catalogueVersion: catalogue.version,
      purposes: ALL_PURPOSES,
      partners: catalogue.partners.map((partner) => partner.id),
      at: new Date(),
      gpc: '',
      ...overrides,
    });
    const pageWith = (choice: StoredChoice | string) =>
      app.inject({
        url: '/',
        headers: {
          cookie: `${CHOICE_COOKIE}=${typeof choice === 'string' ? choice : encodeChoice(key(), choice)}`,
        },
      });

    it('P40 asks again 13 months after the choice, and not before', async () => {
      const day = 86_400_000;
      const fresh = await pageWith(stored({ at: new Date(Date.now() - 390 * day) }));
      expect(bannerOf(fresh.body)).toBeNull();
      expect(adScriptOf(fresh.body)).not.toBeNull();
      const lapsed = await pageWith(stored({ at: new Date(Date.now() - 396 * day) }));
      expect(bannerOf(lapsed.body)).not.toBeNull();
      expect(adScriptOf(lapsed.body)).toBeNull();
    });

    it('P40 asks again when the purposes or partners changed since the choice', async () => {
      const changed = await pageWith(stored({ catalogueVersion: '0000000000000000' }));
      expect(bannerOf(changed.body)).not.toBeNull();
      expect(adScriptOf(changed.body)).toBeNull();
      // A new partner changes the version.
      const grown = buildCookieCatalogue([
        ...catalogue.partners,
        { ...catalogue.partners[0]!, id: 'new-partner', name: 'New partner' },
      ]);
      expect(grown.version).not.toBe(catalogue.version);
    });

    it('P28 ignores a choice cookie that Hearth did not sign', async () => {
      const genuine = encodeChoice(key(), stored({ purposes: [], partners: [] }));
      const [body] = genuine.split('.');
      const forgedBody = Buffer.from(
        JSON.stringify({
          ...JSON.parse(Buffer.from(body ?? '', 'base64url').toString()),
          p: ALL_PURPOSES,
          s: ['demo-ads'],
        }),
      ).toString('base64url');
      const forged = await pageWith(`${forgedBody}.${genuine.split('.')[1]}`);
      expect(bannerOf(forged.body)).not.toBeNull();
      expect(adScriptOf(forged.body)).toBeNull();
    });
  });

  describe('Global Privacy Control', () => {
    it('P26 publishes /.well-known/gpc.json', async () => {
      const response = await app.inject({ url: '/.well-known/gpc.json' });
      expect(response.statusCode).toBe(200);
      // Not a page: no banner, so not even the CSRF cookie.
      expect(response.cookies).toEqual([]);
      expect(response.json()).toEqual({
        gpc: true,
        lastUpdate: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) as string,
      });
    });

    it('P26 Sec-GPC withdraws advertising from an earlier "Accept all", once, with method gpc', async () => {
      const browser = new Browser(app);
      await browser.get('/');
      await browser.post('/cookies', [
        ['action', 'accept-all'],
        ['return', '/'],
      ]);
      const visitorId = browser.choice()?.visitorId ?? '';
      const page = await browser.get('/', { 'sec-gpc': '1' });
      expect(adScriptOf(page.body)).toBeNull();
      expect(browser.choice()).toMatchObject({ purposes: ['analytics'], gpc: 'honoured' });
      const consents = await currentConsents(app.db, visitorId);
      expect(
        consents.find((row) => row.purpose === 'personalised-advertising' && row.scope === ''),
      ).toMatchObject({ granted: false, method: 'gpc' });
      expect(
        consents.find((row) => row.purpose === 'advertising-cookies' && row.scope === ''),
      ).toMatchObject({ granted: false, method: 'gpc' });
      expect(consents.find((row) => row.purpose === 'analytics' && row.scope === '')).toMatchObject(
        {
          granted: true,
        },
      );
      const rows = await choicesOf(visitorId);
      expect(rows.map((row) => [row.method, row.gpc])).toEqual([
        ['cmp', ''],
        ['gpc', 'honoured'],
      ]);
      // Recorded once: the next pages agree without recording again.
      await browser.get('/', { 'sec-gpc': '1' });
      expect(await choicesOf(visitorId)).toHaveLength(2);
      const settings = await browser.get('/cookies', { 'sec-gpc': '1' });
      expect(settings.body).toContain('data-gpc-honoured');
      expect(settings.body).toContain('Global Privacy Control signal. We have honoured it');
    });

    it('P26 "Accept all" under GPC leaves advertising off; ticking it on the settings page opts in', async () => {
      const browser = new Browser(app, { 'sec-gpc': '1' });
      const first = await browser.get('/');
      expect(bannerOf(first.body)).toContain('Global Privacy Control');
      await browser.post('/cookies', [
        ['action', 'accept-all'],
        ['return', '/'],
      ]);
      expect(browser.choice()).toMatchObject({ purposes: ['analytics'], gpc: 'honoured' });
      const visitorId = browser.choice()?.visitorId ?? '';
      const underGpc = await currentConsents(app.db, visitorId);
      for (const purpose of ['advertising-cookies', 'personalised-advertising']) {
        expect(underGpc.find((row) => row.purpose === purpose)).toMatchObject({
          granted: false,
          method: 'gpc',
        });
      }
      expect(underGpc.find((row) => row.purpose === 'analytics' && row.scope === '')).toMatchObject(
        { granted: true, method: 'cmp' },
      );
      expect(adScriptOf((await browser.get('/')).body)).toBeNull();

      await browser.get('/cookies');
      await browser.post('/cookies', [
        ['action', 'save'],
        ['return', '/cookies'],
        ['purposes', 'advertising-cookies'],
        ['purposes', 'personalised-advertising'],
        ['partners', 'demo-ads'],
      ]);
      expect(browser.choice()).toMatchObject({
        purposes: ['advertising-cookies', 'personalised-advertising'],
        gpc: 'opt-in',
      });
      // The explicit opt-in stands although the browser still sends the signal.
      expect(adScriptOf((await browser.get('/')).body)).toBe('/demo-ads/ad.js?personalised=1');
    });

    it('P26 takes navigator.globalPrivacyControl from the page script', async () => {
      const browser = new Browser(app);
      await browser.api('PUT', '/api/v1/cookies/choices', {
        purposes: ALL_PURPOSES,
        partners: ['demo-ads'],
      });
      const page = await browser.get('/');
      expect(page.body).toContain('<meta name="hearth-gpc-report" content="/api/v1/cookies/gpc"');
      const reported = await browser.api('POST', '/api/v1/cookies/gpc', {});
      expect(reported.statusCode).toBe(200);
      expect(reported.json()).toMatchObject({
        gpc: { honoured: true },
        effective: { purposes: ['analytics'] },
      });
      const after = await browser.get('/');
      expect(after.body).not.toContain('hearth-gpc-report');
      expect(adScriptOf(after.body)).toBeNull();
    });
  });

  describe('the JSON API', () => {
    it('P27 reads and replaces the choice, with the catalogue', async () => {
      const browser = new Browser(app);
      const before = await browser.api('GET', '/api/v1/cookies/choices');
      expect(before.statusCode).toBe(200);
      expect(before.json()).toMatchObject({
        choice: null,
        catalogue: { version: catalogue.version },
      });
      expect(before.cookies).toEqual([]);

      const put = await browser.api('PUT', '/api/v1/cookies/choices', {
        purposes: ['analytics'],
        partners: ['web-analytics'],
      });
      expect(put.statusCode).toBe(200);
      const body = put.json<{ choice: { purposes: string[]; at: string; expiresAt: string } }>();
      expect(body.choice.purposes).toEqual(['analytics']);
      expect(Date.parse(body.choice.expiresAt) - Date.parse(body.choice.at)).toBe(
        CHOICE_LIFETIME_SECONDS * 1000,
      );
      const after = await browser.api('GET', '/api/v1/cookies/choices');
      expect(after.json()).toMatchObject({
        choice: { purposes: ['analytics'], partners: ['web-analytics'] },
      });
    });

    it('refuses unknown purposes and partners with a 400 naming them, and writes nothing', async () => {
      const browser = new Browser(app);
      const response = await browser.api('PUT', '/api/v1/cookies/choices', {
        purposes: ['analytics', 'mind-reading'],
        partners: ['nobody'],
      });
      expect(response.statusCode).toBe(400);
      const error = response.json<{ error: { code: string; fields: Record<string, string> } }>()
        .error;
      expect(error.code).toBe('validation_failed');
      expect(error.fields.purposes).toContain('mind-reading');
      expect(error.fields.partners).toContain('nobody');
      expect(browser.cookies.has(CHOICE_COOKIE)).toBe(false);
      const malformed = await browser.api('PUT', '/api/v1/cookies/choices', { purposes: 'all' });
      expect(malformed.statusCode).toBe(400);
    });

    it('refuses a change from another site', async () => {
      const response = await app.inject({
        method: 'PUT',
        url: '/api/v1/cookies/choices',
        headers: { origin: 'https://evil.example', 'content-type': 'application/json' },
        payload: JSON.stringify({ purposes: ALL_PURPOSES, partners: [] }),
      });
      expect(response.statusCode).toBe(403);
      expect(response.cookies).toEqual([]);
    });

    it('lists the routes in the OpenAPI document', async () => {
      const document = (await app.inject({ url: '/api/v1/openapi.json' })).json<{
        paths: Record<string, unknown>;
      }>();
      expect(Object.keys(document.paths)).toEqual(
        expect.arrayContaining(['/api/v1/cookies/choices', '/api/v1/cookies/gpc']),
      );
    });
  });

  describe('the demo ad partner', () => {
    it('serves its tag and pixel from our own origin', async () => {
      const tag = await app.inject({ url: '/demo-ads/ad.js' });
      expect(tag.statusCode).toBe(200);
      expect(tag.headers['content-type']).toBe('text/javascript; charset=utf-8');
      expect(tag.body).toContain(DEMO_ADS_COOKIE);
      const pixel = await app.inject({ url: '/demo-ads/pixel.gif?slot=home&personalised=0' });
      expect(pixel.statusCode).toBe(200);
      expect(pixel.headers['content-type']).toBe('image/gif');
      expect(pixel.cookies).toEqual([]);
    });
  });
  describe('the consent ledger, as the member sees it', () => {
    let full: FastifyInstance;
    beforeAll(async () => {
      full = await buildTestApp(current(), { modules: [accounts, rights, home, cookies] });
    });
    afterAll(async () => {
      await full?.close();
    });

    interface ConsentItem {
      purpose: string;
      scope: string;
      granted: boolean;
      method: string;
    }

    async function signedIn() {
      const member = await makeMember(full.db);
      const login = await loginAs(full, member);
      const browser = new Browser(full);
      for (const part of login.headers.cookie?.split('; ') ?? []) {
        const [name = '', value = ''] = part.split('=');
        browser.cookies.set(name, value);
      }
      const ownConsents = async (): Promise<ConsentItem[]> => {
        const response = await browser.api('GET', '/api/v1/me/consents');
        expect(response.statusCode).toBe(200);
        return response.json<{ items: ConsentItem[] }>().items;
      };
      const advertisingPartners = async () =>
        (await ownConsents()).find(
          (item) => item.purpose === 'advertising-cookies' && item.scope === '',
        );
      return { member, browser, advertisingPartners, ownConsents };
    }

    it('P26 P27 "Accept all" shows the advertising-partner consent in GET /api/v1/me/consents (cmp), "Reject all" withdraws it', async () => {
      const { browser, advertisingPartners, ownConsents } = await signedIn();
      await browser.get('/');
      await browser.post('/cookies', [
        ['action', 'accept-all'],
        ['return', '/'],
      ]);
      expect(await advertisingPartners()).toMatchObject({ granted: true, method: 'cmp' });
      expect(
        (await ownConsents())
          .filter((item) => item.purpose === 'advertising-cookies' && item.granted)
          .map((item) => item.scope),
      ).toEqual(['', 'vendor:ad-network', 'vendor:demo-ads']);
      // The visitor's own ledger rows say the same, under the pseudonymous id.
      const visitorId = browser.choice()?.visitorId ?? '';
      const asVisitor = await currentConsents(full.db, visitorId);
      expect(
        asVisitor.find((row) => row.purpose === 'advertising-cookies' && row.scope === ''),
      ).toMatchObject({ granted: true, method: 'cmp' });

      await browser.get('/cookies');
      await browser.post('/cookies', [
        ['action', 'reject-all'],
        ['return', '/'],
      ]);
      expect(await advertisingPartners()).toMatchObject({ granted: false, method: 'cmp' });
      expect((await ownConsents()).filter((item) => item.granted)).toEqual([]);
    });

    it('P26 Global Privacy Control shows as refused with method gpc', async () => {
      const { browser, advertisingPartners, ownConsents } = await signedIn();
      await browser.get('/');
      await browser.post('/cookies', [
        ['action', 'accept-all'],
        ['return', '/'],
      ]);
      await browser.get('/', { 'sec-gpc': '1' });
      expect(await advertisingPartners()).toMatchObject({ granted: false, method: 'gpc' });
      const items = await ownConsents();
      expect(
        items.find((item) => item.purpose === 'personalised-advertising' && item.scope === ''),
      ).toMatchObject({ granted: false, method: 'gpc' });
      expect(items.find((item) => item.purpose === 'analytics' && item.scope === '')).toMatchObject(
        { granted: true, method: 'cmp' },
      );
    });

    it('P26 refuses consent events for contextual advertising, which needs none', async () => {
      const { browser } = await signedIn();
      const response = await browser.api('PUT', '/api/v1/cookies/choices', {
        purposes: ['advertising'],
        partners: [],
      });
      expect(response.statusCode).toBe(400);
      expect(
        response.json<{ error: { fields: Record<string, string> } }>().error.fields.purposes,
      ).toContain('advertising');
    });
  });

  describe('without DEMO_ADS', () => {
    let plain: FastifyInstance;
    beforeAll(async () => {
      plain = await buildTestApp(current(), {
        modules: [cookies, home],
        env: { DEMO_ADS: 'false' },
      });
    });
    afterAll(async () => {
      await plain?.close();
    });

    it('P28 P31 offers no demo partner and serves none of its URLs; the slot keeps the house advert', async () => {
      const browser = new Browser(plain);
      const settings = await browser.get('/cookies');
      expect(settings.body).not.toContain('value="demo-ads"');
      expect(settings.body).toContain('value="ad-network"');
      expect((await plain.inject({ url: '/demo-ads/ad.js' })).statusCode).toBe(404);
      expect((await plain.inject({ url: '/demo-ads/pixel.gif' })).statusCode).toBe(404);

      await browser.post('/cookies', [
        ['action', 'accept-all'],
        ['return', '/'],
      ]);
      expect(browser.choice()?.partners).not.toContain('demo-ads');
      const page = await browser.get('/');
      expect(adScriptOf(page.body)).toBeNull();
      expect(page.body).not.toContain('/demo-ads/');
      expect(page.body).toContain('data-ad-slot="home"');
      expect(page.body).toContain('Chosen by this page, not by you');
      const demo = await browser.api('PUT', '/api/v1/cookies/choices', {
        purposes: ALL_PURPOSES,
        partners: ['demo-ads'],
      });
      expect(demo.statusCode).toBe(400);
    });

    it('P40 has its own catalogue version, so switching the demo partner on asks again', async () => {
      const response = await new Browser(plain).api('GET', '/api/v1/cookies/choices');
      const version = response.json<{ catalogue: { version: string } }>().catalogue.version;
      expect(version).not.toBe(catalogue.version);
    });
  });
});
