import type { FastifyInstance } from 'fastify';
import { compactVerify, createLocalJWKSet, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildTestApp } from '../../../test/helpers/app.js';
import { describeEachDialect } from '../../../test/helpers/dialects.js';
import { loginAs, makeMember } from '../../../test/helpers/members.js';
import { tablesOf } from '../../platform/db/database.js';
import { todayIn } from './newsletters.preferences.js';
import type { NewslettersTables } from './newsletters.tables.js';

function daysFromToday(days: number): string {
  const today = new Date(`${todayIn('Europe/London')}T00:00:00Z`);
  return new Date(today.getTime() + days * 86_400_000).toISOString().slice(0, 10);
}

function form(fields: Record<string, string | string[]>): string {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) {
    for (const each of Array.isArray(value) ? value : [value]) body.append(name, each);
  }
  return body.toString();
}

describeEachDialect('newsletters over HTTP', (current) => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestApp(current());
  });
  afterAll(async () => {
    await app?.close();
  });

  it('lists the catalogue publicly, cacheable', async () => {
    const response = await app.inject({ url: '/api/v1/newsletters/lists' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toContain('public');
    const keys = (response.json<{ items: { key: string }[] }>().items ?? []).map((i) => i.key);
    expect(keys).toEqual(expect.arrayContaining(['general', 'pregnancy-weekly', 'baby-monthly']));
  });

  it('needs a logged-in member for GET and PUT /api/v1/me/newsletters', async () => {
    const get = await app.inject({ url: '/api/v1/me/newsletters' });
    expect(get.statusCode).toBe(401);
    expect(get.json()).toMatchObject({ error: { code: 'unauthenticated' } });
    const put = await app.inject({
      method: 'PUT',
      url: '/api/v1/me/newsletters',
      payload: { newsletters: [] },
    });
    expect(put.statusCode).toBe(401);
  });

  it('P05 PUT replaces the choices, with one verifiable consent receipt per change; GET reads them', async () => {
    const member = await makeMember(app.db);
    const session = await loginAs(app, member, { kind: 'bearer' });
    const dueDate = daysFromToday(150);
    const newsletters = [{ list: 'general' }, { list: 'pregnancy-weekly', dueDate }];
    const put = await app.inject({
      method: 'PUT',
      url: '/api/v1/me/newsletters',
      headers: session.headers,
      payload: { newsletters },
    });
    expect(put.statusCode).toBe(200);
    const body = put.json<{
      newsletters: unknown;
      changes: unknown;
      receipts: { list: string; granted: boolean; jws: string }[];
    }>();
    expect(body.newsletters).toEqual(newsletters);
    expect(body.changes).toEqual({
      subscribed: ['general', 'pregnancy-weekly'],
      unsubscribed: [],
      updated: [],
    });
    // The receipts verify against the published keys alone.
    const jwks = (await app.inject({ url: '/.well-known/jwks.json' })).json<JSONWebKeySet>();
    const keys = createLocalJWKSet(jwks);
    for (const receipt of body.receipts) {
      const { payload } = await compactVerify(receipt.jws, keys);
      const claims = JSON.parse(new TextDecoder().decode(payload)) as {
        hearth: { scope: string; granted: boolean };
      };
      expect(claims.hearth).toMatchObject({ scope: `newsletter:${receipt.list}`, granted: true });
    }

    const get = await app.inject({ url: '/api/v1/me/newsletters', headers: session.headers });
    expect(get.statusCode).toBe(200);
    expect(get.headers['cache-control']).toBe('no-store');
    expect(get.json()).toEqual({ newsletters });
  });

  it('P06 PUT without Pregnancy Weekly deletes the due date', async () => {
    const member = await makeMember(app.db);
    const session = await loginAs(app, member, { kind: 'bearer' });
    const put = (newsletters: unknown) =>
      app.inject({
        method: 'PUT',
        url: '/api/v1/me/newsletters',
        headers: session.headers,
        payload: { newsletters },
      });
    expect((await put([{ list: 'pregnancy-weekly', dueDate: daysFromToday(30) }])).statusCode).toBe(
      200,
    );
    const response = await put([]);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      newsletters: [],
      changes: { unsubscribed: ['pregnancy-weekly'] },
      receipts: [{ list: 'pregnancy-weekly', granted: false }],
    });
    const rows = await tablesOf<NewslettersTables>(app.db)
      .selectFrom('newsletters_subscriptions')
      .select('due_date')
      .where('user_id', '=', member.id)
      .execute();
    expect(rows).toEqual([]);
  });

  it('answers bad choices with 400 and a plain message per field, changing nothing', async () => {
    const member = await makeMember(app.db);
    const session = await loginAs(app, member, { kind: 'bearer' });
    const response = await app.inject({
      method: 'PUT',
      url: '/api/v1/me/newsletters',
      headers: session.headers,
      payload: {
        newsletters: [
          { list: 'general', dueDate: daysFromToday(10) },
          { list: 'pregnancy-weekly' },
          { list: 'baby-monthly', babies: [{ birthDate: daysFromToday(3) }] },
          { list: 'gossip' },
        ],
      },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      error: {
        code: 'validation_failed',
        message: expect.any(String) as string,
        fields: {
          'newsletters.0.dueDate': 'A due date is only asked for Pregnancy Weekly.',
          'newsletters.1.dueDate': 'Enter your due date to get Pregnancy Weekly.',
          'newsletters.2.babies.0.birthDate': 'A date of birth cannot be in the future.',
          'newsletters.3.list': 'There is no newsletter with this name.',
        },
      },
    });
    const malformed = await app.inject({
      method: 'PUT',
      url: '/api/v1/me/newsletters',
      headers: session.headers,
      payload: { newsletters: 'general' },
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toMatchObject({ error: { code: 'validation_failed' } });
    const get = await app.inject({ url: '/api/v1/me/newsletters', headers: session.headers });
    expect(get.json()).toEqual({ newsletters: [] });
  });

  it('documents the routes in the OpenAPI document', async () => {
    const document = (await app.inject({ url: '/api/v1/openapi.json' })).json<{
      paths: Record<string, Record<string, unknown>>;
    }>();
    expect(Object.keys(document.paths['/api/v1/me/newsletters'] ?? {}).sort()).toEqual([
      'get',
      'put',
    ]);
    expect(document.paths['/api/v1/newsletters/lists']).toHaveProperty('get');
    expect(document.paths['/api/v1/locations']).toHaveProperty('get');
  });

  it('sends visitors from /account/newsletters to log in', async () => {
    const response = await app.inject({ url: '/account/newsletters' });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/login?next=%2Faccount%2Fnewsletters');
  });

  it('P08 shows the choices as a form with the help contact for subscription problems', async () => {
    const member = await makeMember(app.db);
    const session = await loginAs(app, member);
    await app.inject({
      method: 'PUT',
      url: '/api/v1/me/newsletters',
      headers: { ...session.headers, 'content-type': 'application/json' },
      payload: JSON.stringify({
        newsletters: [{ list: 'pregnancy-weekly', dueDate: daysFromToday(40) }],
      }),
    });
    const response = await app.inject({ url: '/account/newsletters', headers: session.headers });
    expect(response.statusCode).toBe(200);
    const html = response.body;
    expect(html).toContain('<h1>Your newsletters</h1>');
    expect(html).toMatch(/<input[^>]*name="newsletters"[^>]*value="pregnancy-weekly"[^>]*checked/);
    expect(html).toContain(`value="${daysFromToday(40)}"`);
    expect(html).toContain('explicitly consent');
    expect(html).toContain('href="mailto:help@example.org"');
    expect(html).toContain('name="_csrf"');
  });

  it('P07 the form saves with post/redirect/get, and shows errors again with 422 keeping the answers', async () => {
    const member = await makeMember(app.db);
    const session = await loginAs(app, member);
    const headers = { ...session.headers, 'content-type': 'application/x-www-form-urlencoded' };

    const invalid = await app.inject({
      method: 'POST',
      url: '/account/newsletters',
      headers,
      payload: form({
        _csrf: session.csrfToken,
        newsletters: ['general', 'baby-monthly'],
        'newsletter.pregnancy-weekly.dueDate': daysFromToday(50),
        'newsletter.baby-monthly.babies.0.birthDate': '2020-02-31',
      }),
    });
    expect(invalid.statusCode).toBe(422);
    expect(invalid.body).toContain('<title>Error: ');
    expect(invalid.body).toContain('href="#field-newsletter-baby-monthly-babies-0-birthDate"');
    expect(invalid.body).toContain('value="2020-02-31"');
    expect(invalid.body).toMatch(/value="general"[^>]*checked/);

    const saved = await app.inject({
      method: 'POST',
      url: '/account/newsletters',
      headers,
      payload: form({
        _csrf: session.csrfToken,
        newsletters: ['general', 'baby-monthly'],
        // Typed but not ticked: never read, never kept (P06).
        'newsletter.pregnancy-weekly.dueDate': daysFromToday(50),
        'newsletter.baby-monthly.babies.0.birthDate': daysFromToday(-100),
      }),
    });
    expect(saved.statusCode).toBe(303);
    expect(saved.headers.location).toBe('/account/newsletters?saved=1');
    const page = await app.inject({
      url: '/account/newsletters?saved=1',
      headers: session.headers,
    });
    expect(page.body).toContain('Your newsletter choices are saved');

    const api = await app.inject({ url: '/api/v1/me/newsletters', headers: session.headers });
    expect(api.json()).toEqual({
      newsletters: [
        { list: 'general' },
        { list: 'baby-monthly', babies: [{ birthDate: daysFromToday(-100) }] },
      ],
    });

    // Unticking everything unsubscribes from everything, at once (P07).
    const none = await app.inject({
      method: 'POST',
      url: '/account/newsletters',
      headers,
      payload: form({ _csrf: session.csrfToken }),
    });
    expect(none.statusCode).toBe(303);
    const after = await app.inject({ url: '/api/v1/me/newsletters', headers: session.headers });
    expect(after.json()).toEqual({ newsletters: [] });
  });

  it('refuses a form post without its CSRF token', async () => {
    const member = await makeMember(app.db);
    const session = await loginAs(app, member);
    const response = await app.inject({
      method: 'POST',
      url: '/account/newsletters',
      headers: { ...session.headers, 'content-type': 'application/x-www-form-urlencoded' },
      payload: form({ newsletters: 'general' }),
    });
    expect(response.statusCode).toBe(403);
    const api = await app.inject({ url: '/api/v1/me/newsletters', headers: session.headers });
    expect(api.json()).toEqual({ newsletters: [] });
  });
});
