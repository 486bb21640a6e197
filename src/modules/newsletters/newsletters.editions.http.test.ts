import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildTestApp } from '../../../test/helpers/app.js';
import { describeEachDialect } from '../../../test/helpers/dialects.js';
import { loginAs, makeMember } from '../../../test/helpers/members.js';
import { tablesOf } from '../../platform/db/database.js';
import { babyStopLabels } from './newsletters.pages.js';
import { todayIn } from './newsletters.preferences.js';
import type { NewslettersTables } from './newsletters.tables.js';

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/** `2026-05-01` → `1 May 2026`, written out independently of the page's own formatter. */
function spelledOut(day: string): string {
  const [year, month, date] = day.split('-').map(Number) as [number, number, number];
  return `${date} ${MONTHS[month - 1]} ${year}`;
}

function daysFromToday(days: number): string {
  const today = new Date(`${todayIn('Europe/London')}T00:00:00Z`);
  return new Date(today.getTime() + days * 86_400_000).toISOString().slice(0, 10);
}

describeEachDialect('newsletter editions and stops over HTTP', (current) => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestApp(current());
  });
  afterAll(async () => {
    await app?.close();
  });

  async function editorHeaders() {
    const editor = await makeMember(app.db, { roles: ['editor'] });
    return (await loginAs(app, editor, { kind: 'bearer', secondFactor: true })).headers;
  }

  it('lets editors write, list and change editions; members get 403, strangers 401', async () => {
    const headers = await editorHeaders();
    const created = await app.inject({
      method: 'POST',
      url: '/api/v1/newsletters/editions',
      headers,
      payload: {
        list: 'pregnancy-weekly',
        stage: 12,
        subject: 'Week 12',
        body: 'The first scan.',
        status: 'draft',
      },
    });
    expect(created.statusCode).toBe(201);
    const edition = created.json<{ id: string; kind: string }>();
    expect(edition).toMatchObject({ kind: 'pregnancy-weekly', stage: 12, sendOn: null });

    const updated = await app.inject({
      method: 'PUT',
      url: `/api/v1/newsletters/editions/${edition.id}`,
      headers,
      payload: {
        list: 'pregnancy-weekly',
        stage: 12,
        subject: 'Week 12: the scan',
        body: 'The first scan.',
        status: 'ready',
      },
    });
    expect(updated.statusCode).toBe(200);
    expect(updated.json()).toMatchObject({ subject: 'Week 12: the scan', status: 'ready' });

    const listed = await app.inject({
      url: '/api/v1/newsletters/editions?list=pregnancy-weekly',
      headers,
    });
    expect(listed.json<{ items: { id: string }[] }>().items.map((item) => item.id)).toContain(
      edition.id,
    );

    const member = await makeMember(app.db);
    const memberSession = await loginAs(app, member, { kind: 'bearer' });
    const forbidden = await app.inject({
      url: '/api/v1/newsletters/editions',
      headers: memberSession.headers,
    });
    expect(forbidden.statusCode).toBe(403);
    expect((await app.inject({ url: '/api/v1/newsletters/editions' })).statusCode).toBe(401);
  });

  it('refuses editions that do not fit their list with 400 by field, a taken week with 409, an unknown id with 404', async () => {
    const headers = await editorHeaders();
    const post = (payload: Record<string, unknown>) =>
      app.inject({ method: 'POST', url: '/api/v1/newsletters/editions', headers, payload });
    const base = { subject: 'Hello', body: 'Text', status: 'ready' };

    const weekOutOfRange = await post({ ...base, list: 'pregnancy-weekly', stage: 43 });
    expect(weekOutOfRange.statusCode).toBe(400);
    expect(weekOutOfRange.json()).toMatchObject({
      error: { fields: { stage: expect.any(String) as string } },
    });
    const generalWithoutDay = await post({ ...base, list: 'general' });
    expect(generalWithoutDay.json()).toMatchObject({
      error: { code: 'validation_failed', fields: { sendOn: expect.any(String) as string } },
    });
    const badDay = await post({ ...base, list: 'general', sendOn: '2027-02-30' });
    expect(badDay.statusCode).toBe(400);
    const unknownList = await post({ ...base, list: 'nope', sendOn: '2027-02-01' });
    expect(unknownList.json()).toMatchObject({
      error: { fields: { list: expect.any(String) as string } },
    });
    expect((await post({ ...base, list: 'baby-monthly', stage: 5 })).statusCode).toBe(201);
    const taken = await post({ ...base, list: 'baby-monthly', stage: 5 });
    expect(taken.statusCode).toBe(409);

    const missing = await app.inject({
      method: 'PUT',
      url: '/api/v1/newsletters/editions/nothing-here',
      headers,
      payload: { ...base, list: 'general', sendOn: '2027-02-01' },
    });
    expect(missing.statusCode).toBe(404);
  });

  it('stops Pregnancy Weekly and one baby’s letters in one POST each, without asking why', async () => {
    const member = await makeMember(app.db);
    const session = await loginAs(app, member, { kind: 'bearer' });
    const put = await app.inject({
      method: 'PUT',
      url: '/api/v1/me/newsletters',
      headers: session.headers,
      payload: {
        newsletters: [
          { list: 'pregnancy-weekly', dueDate: daysFromToday(100) },
          { list: 'baby-monthly', babies: [{ birthDate: daysFromToday(-300) }] },
        ],
      },
    });
    expect(put.statusCode).toBe(200);

    const stop = await app.inject({
      method: 'POST',
      url: '/api/v1/me/newsletters/pregnancy/stop',
      headers: session.headers,
    });
    expect(stop.statusCode).toBe(200);
    expect(stop.json()).toEqual({ stopped: true, subscriptionRemoved: true });

    const baby = await tablesOf<NewslettersTables>(app.db)
      .selectFrom('newsletters_babies')
      .innerJoin(
        'newsletters_subscriptions',
        'newsletters_subscriptions.id',
        'newsletters_babies.subscription_id',
      )
      .select('newsletters_babies.id')
      .where('newsletters_subscriptions.user_id', '=', member.id)
      .executeTakeFirstOrThrow();
    const stranger = await loginAs(app, await makeMember(app.db), { kind: 'bearer' });
    const notTheirs = await app.inject({
      method: 'POST',
      url: `/api/v1/me/newsletters/babies/${baby.id}/stop`,
      headers: stranger.headers,
    });
    expect(notTheirs.statusCode).toBe(404);
    const stopBaby = await app.inject({
      method: 'POST',
      url: `/api/v1/me/newsletters/babies/${baby.id}/stop`,
      headers: session.headers,
    });
    expect(stopBaby.json()).toEqual({ stopped: true, subscriptionRemoved: true });

    const get = await app.inject({ url: '/api/v1/me/newsletters', headers: session.headers });
    expect(get.json()).toEqual({ newsletters: [] });
  });

  it('lets editors write an edition in /admin/newsletters, with messages by field when it does not fit', async () => {
    const editor = await makeMember(app.db, { roles: ['editor'] });
    const session = await loginAs(app, editor, { kind: 'cookie', secondFactor: true });
    const page = await app.inject({ url: '/admin/newsletters', headers: session.headers });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('href="/admin/newsletters"');
    const headers = { ...session.headers, 'content-type': 'application/x-www-form-urlencoded' };
    const post = (fields: Record<string, string>) =>
      app.inject({
        method: 'POST',
        url: '/admin/newsletters/editions',
        headers,
        payload: new URLSearchParams({ _csrf: session.csrfToken, ...fields }).toString(),
      });
    const wrong = await post({
      list: 'pregnancy-weekly',
      stage: '50',
      subject: 'x',
      body: 'y',
      status: 'ready',
    });
    expect(wrong.statusCode).toBe(422);
    expect(wrong.body).toContain('Enter the week of pregnancy');
    const saved = await post({
      list: 'general',
      sendOn: daysFromToday(3),
      subject: 'Spring issue',
      body: 'Hello everyone.',
      status: 'draft',
    });
    expect(saved.statusCode).toBe(303);
    const listed = await app.inject({ url: '/admin/newsletters', headers: session.headers });
    expect(listed.body).toContain('Spring issue');

    const member = await makeMember(app.db);
    const memberSession = await loginAs(app, member);
    expect(
      (await app.inject({ url: '/admin/newsletters', headers: memberSession.headers })).statusCode,
    ).toBe(403);
  });

  it('P06 offers one stop button per baby, named by date of birth, that stops only that baby’s letters without asking why', async () => {
    const member = await makeMember(app.db);
    const session = await loginAs(app, member);
    const older = daysFromToday(-400);
    const younger = daysFromToday(-20);
    const put = await app.inject({
      method: 'PUT',
      url: '/api/v1/me/newsletters',
      headers: { ...session.headers, 'content-type': 'application/json' },
      payload: {
        newsletters: [
          { list: 'pregnancy-weekly', dueDate: daysFromToday(90) },
          { list: 'baby-monthly', babies: [{ birthDate: younger }, { birthDate: older }] },
        ],
      },
    });
    expect(put.statusCode).toBe(200);
    const babies = await tablesOf<NewslettersTables>(app.db)
      .selectFrom('newsletters_babies')
      .innerJoin(
        'newsletters_subscriptions',
        'newsletters_subscriptions.id',
        'newsletters_babies.subscription_id',
      )
      .select(['newsletters_babies.id', 'newsletters_babies.birth_date'])
      .where('newsletters_subscriptions.user_id', '=', member.id)
      .orderBy('newsletters_babies.birth_date')
      .execute();
    expect(babies.map((baby) => baby.birth_date)).toEqual([older, younger]);

    const page = await app.inject({ url: '/account/newsletters', headers: session.headers });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(
      `>Stop pregnancy letters (due ${spelledOut(daysFromToday(90))})</button>`,
    );
    for (const baby of babies) {
      const name = `Stop letters about the baby born ${spelledOut(baby.birth_date)}`;
      expect(page.body).toContain(`action="/account/newsletters/babies/${baby.id}/stop"`);
      expect(page.body).toContain(`aria-label="${name}"`);
      expect(page.body).toContain(`>${name}</button>`);
    }
    // No reason is asked: the stop form holds nothing but its CSRF token and the button.
    const olderForm = new RegExp(
      `<form action="/account/newsletters/babies/${babies[0]!.id}/stop"[^>]*>(.*?)</form>`,
      's',
    ).exec(page.body)?.[1];
    expect(olderForm?.match(/<(input|textarea|select)\b/g)).toEqual(['<input']);

    const form = { ...session.headers, 'content-type': 'application/x-www-form-urlencoded' };
    const withoutToken = await app.inject({
      method: 'POST',
      url: `/account/newsletters/babies/${babies[0]!.id}/stop`,
      headers: form,
      payload: '',
    });
    expect(withoutToken.statusCode).toBe(403);

    const stranger = await loginAs(app, await makeMember(app.db));
    const notTheirs = await app.inject({
      method: 'POST',
      url: `/account/newsletters/babies/${babies[0]!.id}/stop`,
      headers: { ...stranger.headers, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _csrf: stranger.csrfToken }).toString(),
    });
    expect(notTheirs.statusCode).toBe(404);

    const stop = await app.inject({
      method: 'POST',
      url: `/account/newsletters/babies/${babies[0]!.id}/stop`,
      headers: form,
      payload: new URLSearchParams({ _csrf: session.csrfToken }).toString(),
    });
    expect(stop.statusCode).toBe(303);
    expect(stop.headers.location).toBe('/account/newsletters?stopped=baby');
    const after = await app.inject({ url: '/api/v1/me/newsletters', headers: session.headers });
    expect(after.json()).toEqual({
      newsletters: [
        { list: 'pregnancy-weekly', dueDate: daysFromToday(90) },
        { list: 'baby-monthly', babies: [{ birthDate: younger }] },
      ],
    });
    const confirmed = await app.inject({
      url: '/account/newsletters?stopped=baby',
      headers: session.headers,
    });
    expect(confirmed.body).toContain(
      'Letters about that baby have stopped and their date of birth is deleted.',
    );
    expect(confirmed.body).not.toContain(`/account/newsletters/babies/${babies[0]!.id}/stop`);
    expect(confirmed.body).toContain(`/account/newsletters/babies/${babies[1]!.id}/stop`);
  });

  it('names twins’ stop buttons apart by order when they share a date of birth', () => {
    expect(babyStopLabels([{ birthDate: '2026-05-01' }, { birthDate: '2026-05-01' }])).toEqual([
      'Stop letters about the first baby born 1 May 2026',
      'Stop letters about the second baby born 1 May 2026',
    ]);
  });

  it('offers the one-button stop of Pregnancy Weekly on /account/newsletters', async () => {
    const member = await makeMember(app.db);
    const session = await loginAs(app, member);
    const headers = { ...session.headers, 'content-type': 'application/json' };
    await app.inject({
      method: 'PUT',
      url: '/api/v1/me/newsletters',
      headers,
      payload: { newsletters: [{ list: 'pregnancy-weekly', dueDate: daysFromToday(60) }] },
    });
    const page = await app.inject({ url: '/account/newsletters', headers: session.headers });
    expect(page.body).toContain('action="/account/newsletters/pregnancy/stop"');
    const stop = await app.inject({
      method: 'POST',
      url: '/account/newsletters/pregnancy/stop',
      headers: { ...session.headers, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _csrf: session.csrfToken }).toString(),
    });
    expect(stop.statusCode).toBe(303);
    const after = await app.inject({ url: '/api/v1/me/newsletters', headers: session.headers });
    expect(after.json()).toEqual({ newsletters: [] });
    const pageAfter = await app.inject({ url: '/account/newsletters', headers: session.headers });
    expect(pageAfter.body).not.toContain('action="/account/newsletters/pregnancy/stop"');
  });
});
