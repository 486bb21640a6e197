import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildTestApp } from '../../../test/helpers/app.js';
import { describeEachDialect } from '../../../test/helpers/dialects.js';
import { loginAs, makeMember } from '../../../test/helpers/members.js';
import { tablesOf, type DbExecutor } from '../../platform/db/database.js';
import { toDbTime } from '../../platform/db/portable.js';
import { listConsentHistory, receiptIssuerFor } from '../../privacy/consent/index.js';
import type { EngagementTables } from './newsletters.engagement.js';
import {
  listUnsubscribeHeaders,
  signNewsletterToken,
  signedNewsletterLink,
  unsubscribeFooter,
} from './newsletters.links.js';
import { todayIn } from './newsletters.preferences.js';
import { applyNewsletterPreferences } from './newsletters.service.js';
import type { NewslettersTables } from './newsletters.tables.js';

function daysFromToday(days: number): string {
  const today = new Date(`${todayIn('Europe/London')}T00:00:00Z`);
  return new Date(today.getTime() + days * 86_400_000).toISOString().slice(0, 10);
}

const ONE_CLICK = {
  'content-type': 'application/x-www-form-urlencoded',
};

function tables(db: DbExecutor) {
  return tablesOf<EngagementTables>(db);
}

function subscriptionsOf(db: DbExecutor, userId: string) {
  return tables(db)
    .selectFrom('newsletters_subscriptions')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('list_key')
    .execute();
}

/** A path and query of a URL under PUBLIC_URL, for `app.inject`. */
function localPart(url: string): string {
  const parsed = new URL(url);
  return `${parsed.pathname}${parsed.search}`;
}

describeEachDialect('newsletters one-click unsubscribe, links and bounces', (current) => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestApp(current());
  });
  afterAll(async () => {
    await app?.close();
  });

  async function pregnantMember() {
    const member = await makeMember(app.db);
    await applyNewsletterPreferences(
      app.db,
      member.id,
      [{ list: 'pregnancy-weekly', dueDate: daysFromToday(120) }, { list: 'general' }],
      { method: 'form', noticeVersion: 1, issuer: receiptIssuerFor(app) },
    );
    return member;
  }

  it('P07 P06 a mail client’s one-click POST (no cookie, no CSRF token) unsubscribes at once, deletes the due date and records an email-link withdrawal', async () => {
    const member = await pregnantMember();
    const headers = listUnsubscribeHeaders(app.config.publicUrl, app.secretKey, {
      userId: member.id,
      listKey: 'pregnancy-weekly',
    });
    expect(headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    const match = /^<(.+)>$/.exec(headers['List-Unsubscribe'] ?? '');
    expect(match?.[1]?.startsWith(`${app.config.publicUrl}/newsletters/unsubscribe?token=`)).toBe(
      true,
    );

    const response = await app.inject({
      method: 'POST',
      url: localPart(match?.[1] ?? ''),
      headers: ONE_CLICK,
      payload: 'List-Unsubscribe=One-Click',
    });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('You are unsubscribed');

    const rows = await subscriptionsOf(app.db, member.id);
    expect(rows.map((row) => row.list_key)).toEqual(['general']);
    expect(rows.some((row) => row.due_date !== null)).toBe(false);
    const withdrawals = (await listConsentHistory(app.db, member.id)).filter(
      (event) => !event.granted,
    );
    expect(withdrawals).toEqual([
      expect.objectContaining({
        scope: 'newsletter:pregnancy-weekly',
        method: 'email-link',
        purpose: 'newsletter-health',
      }),
    ]);

    // A second click (clients retry) changes nothing and records nothing more.
    const again = await app.inject({
      method: 'POST',
      url: localPart(match?.[1] ?? ''),
      headers: ONE_CLICK,
      payload: 'List-Unsubscribe=One-Click',
    });
    expect(again.statusCode).toBe(200);
    expect(again.body).toContain('already unsubscribed');
    expect(
      (await listConsentHistory(app.db, member.id)).filter((event) => !event.granted),
    ).toHaveLength(1);
  });

  it('P07 a one-click POST sent as multipart/form-data (RFC 8058 allows both) unsubscribes too; a malformed one is a 400; other routes still refuse multipart', async () => {
    const member = await pregnantMember();
    const token = signNewsletterToken(app.secretKey, {
      purpose: 'unsubscribe',
      userId: member.id,
      listKey: 'pregnancy-weekly',
    });
    const boundary = '----hearthOneClick7MA4YWxkTrZu0gW';
    const multipart = (field: string, value: string, end = `--${boundary}--\r\n`) =>
      [`--${boundary}`, `Content-Disposition: form-data; name="${field}"`, '', value, end].join(
        '\r\n',
      );
    const headers = { 'content-type': `multipart/form-data; boundary=${boundary}` };

    const truncated = await app.inject({
      method: 'POST',
      url: `/newsletters/unsubscribe?token=${token}`,
      headers,
      payload: multipart('List-Unsubscribe', 'One-Click', ''),
    });
    expect(truncated.statusCode).toBe(400);
    expect(truncated.body).toContain('closing boundary is missing');
    const noBoundary = await app.inject({
      method: 'POST',
      url: `/newsletters/unsubscribe?token=${token}`,
      headers: { 'content-type': 'multipart/form-data' },
      payload: multipart('List-Unsubscribe', 'One-Click'),
    });
    expect(noBoundary.statusCode).toBe(400);
    const wrongField = await app.inject({
      method: 'POST',
      url: `/newsletters/unsubscribe?token=${token}`,
      headers,
      payload: multipart('List-Unsubscribe', 'Maybe'),
    });
    expect(wrongField.statusCode).toBe(400);
    expect(wrongField.body).toContain('One-Click');
    expect((await subscriptionsOf(app.db, member.id)).map((row) => row.list_key)).toEqual([
      'general',
      'pregnancy-weekly',
    ]);

    const response = await app.inject({
      method: 'POST',
      url: `/newsletters/unsubscribe?token=${token}`,
      headers,
      payload: multipart('List-Unsubscribe', 'One-Click'),
    });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('You are unsubscribed');
    const rows = await subscriptionsOf(app.db, member.id);
    expect(rows.map((row) => row.list_key)).toEqual(['general']);
    expect((await listConsentHistory(app.db, member.id)).filter((event) => !event.granted)).toEqual(
      [expect.objectContaining({ scope: 'newsletter:pregnancy-weekly', method: 'email-link' })],
    );

    // The parser belongs to this route's plugin alone: the account form still refuses multipart.
    const session = await loginAs(app, member);
    const elsewhere = await app.inject({
      method: 'POST',
      url: '/account/newsletters',
      headers: { ...session.headers, ...headers },
      payload: multipart('_csrf', session.csrfToken),
    });
    expect(elsewhere.statusCode).toBe(415);
  });

  it('P07 a GET (a mail scanner) only shows the confirmation button; the button’s form unsubscribes', async () => {
    const member = await pregnantMember();
    const token = signNewsletterToken(app.secretKey, {
      purpose: 'unsubscribe',
      userId: member.id,
      listKey: 'general',
    });
    const page = await app.inject({ url: `/newsletters/unsubscribe?token=${token}` });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('name="List-Unsubscribe" value="One-Click"');
    expect((await subscriptionsOf(app.db, member.id)).map((row) => row.list_key)).toEqual([
      'general',
      'pregnancy-weekly',
    ]);
    const posted = await app.inject({
      method: 'POST',
      url: `/newsletters/unsubscribe?token=${token}`,
      headers: { ...ONE_CLICK, origin: app.config.publicUrl },
      payload: 'List-Unsubscribe=One-Click',
    });
    expect(posted.statusCode).toBe(200);
    expect((await subscriptionsOf(app.db, member.id)).map((row) => row.list_key)).toEqual([
      'pregnancy-weekly',
    ]);
  });

  it('refuses a tampered, foreign or wrong-purpose token and a POST without One-Click with a clear 400, changing nothing', async () => {
    const member = await pregnantMember();
    const good = signNewsletterToken(app.secretKey, {
      purpose: 'unsubscribe',
      userId: member.id,
      listKey: 'general',
    });
    const tampered = `${good.slice(0, -2)}AA`;
    const foreign = signNewsletterToken('another-instance-secret-key-of-32-chars!!', {
      purpose: 'unsubscribe',
      userId: member.id,
      listKey: 'general',
    });
    const linkToken = signNewsletterToken(app.secretKey, {
      purpose: 'link',
      userId: member.id,
      listKey: 'general',
    });
    for (const token of [tampered, foreign, linkToken, 'garbage', '']) {
      const response = await app.inject({
        method: 'POST',
        url: `/newsletters/unsubscribe?token=${encodeURIComponent(token)}`,
        headers: ONE_CLICK,
        payload: 'List-Unsubscribe=One-Click',
      });
      expect(response.statusCode).toBe(400);
      expect(response.body).toContain('not valid');
    }
    const noOneClick = await app.inject({
      method: 'POST',
      url: `/newsletters/unsubscribe?token=${good}`,
      headers: ONE_CLICK,
      payload: 'something=else',
    });
    expect(noOneClick.statusCode).toBe(400);
    expect(noOneClick.body).toContain('One-Click');
    const missing = await app.inject({ url: '/newsletters/unsubscribe' });
    expect(missing.statusCode).toBe(400);
    expect(await subscriptionsOf(app.db, member.id)).toHaveLength(2);
  });

  it('P06 a Baby Monthly link about one baby stops that baby’s letters only; the last baby ends the subscription', async () => {
    const member = await makeMember(app.db);
    await applyNewsletterPreferences(
      app.db,
      member.id,
      [
        {
          list: 'baby-monthly',
          babies: [{ birthDate: daysFromToday(-40) }, { birthDate: daysFromToday(-400) }],
        },
      ],
      { method: 'form', noticeVersion: 1, issuer: receiptIssuerFor(app) },
    );
    const [subscription] = await subscriptionsOf(app.db, member.id);
    const own = await tablesOf<NewslettersTables>(app.db)
      .selectFrom('newsletters_babies')
      .selectAll()
      .where('subscription_id', '=', subscription?.id ?? '')
      .execute();
    expect(own).toHaveLength(2);
    const post = (babyId: string) =>
      app.inject({
        method: 'POST',
        url: localPart(
          /^<(.+)>$/.exec(
            listUnsubscribeHeaders(app.config.publicUrl, app.secretKey, {
              userId: member.id,
              listKey: 'baby-monthly',
              babyId,
            })['List-Unsubscribe'] ?? '',
          )?.[1] ?? '',
        ),
        headers: ONE_CLICK,
        payload: 'List-Unsubscribe=One-Click',
      });
    expect((await post(own[0]?.id ?? '')).body).toContain('about this baby');
    expect(await subscriptionsOf(app.db, member.id)).toHaveLength(1);
    expect((await post(own[1]?.id ?? '')).statusCode).toBe(200);
    expect(await subscriptionsOf(app.db, member.id)).toHaveLength(0);
  });

  it('P08 the footer carries the unsubscribe link and the help contact', () => {
    const footer = unsubscribeFooter(
      app.config.publicUrl,
      app.secretKey,
      { userId: 'u1', listKey: 'general' },
      'help@hearth.example',
    );
    expect(footer.text).toContain(`${app.config.publicUrl}/newsletters/unsubscribe?token=`);
    expect(footer.text).toContain('help@hearth.example');
    expect(footer.html).toContain('href="http');
    expect(footer.html).toContain('help@hearth.example');
  });

  it('a signed newsletter link records engagement, counts the path in aggregate and redirects on-site only', async () => {
    const member = await pregnantMember();
    const old = toDbTime(new Date(Date.now() - 400 * 86_400_000));
    await tables(app.db)
      .updateTable('newsletters_subscriptions')
      .set({ last_engaged_at: old, engagement_warned_at: old })
      .where('user_id', '=', member.id)
      .execute();
    const link = signedNewsletterLink(app.config.publicUrl, app.secretKey, {
      userId: member.id,
      listKey: 'general',
      target: '/guides/sleep?from=letter',
    });
    const response = await app.inject({ url: localPart(link) });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/guides/sleep?from=letter');
    const rows = await subscriptionsOf(app.db, member.id);
    const general = rows.find((row) => row.list_key === 'general');
    const weekly = rows.find((row) => row.list_key === 'pregnancy-weekly');
    expect(general?.last_engaged_at).not.toBe(old);
    expect(general?.engagement_warned_at).toBeNull();
    // Only the list whose letter was followed: the other subscription's record is untouched.
    expect(weekly?.last_engaged_at).toBe(old);
    const counts = await tables(app.db)
      .selectFrom('newsletters_link_counts')
      .selectAll()
      .where('list_key', '=', 'general')
      .where('target', '=', '/guides/sleep')
      .execute();
    expect(counts[0]?.count).toBeGreaterThanOrEqual(1);

    const token = new URL(link).searchParams.get('token') ?? '';
    for (const to of ['//evil.example/x', 'https://evil.example/', '/\\evil.example']) {
      const refused = await app.inject({
        url: `/newsletters/l?token=${token}&to=${encodeURIComponent(to)}`,
      });
      expect(refused.statusCode).toBe(400);
    }
  });

  it('P38 opening any page of Hearth logged in marks every subscription engaged (once a day)', async () => {
    const member = await pregnantMember();
    const old = toDbTime(new Date(Date.now() - 10 * 86_400_000));
    await tables(app.db)
      .updateTable('newsletters_subscriptions')
      .set({ last_engaged_at: old })
      .where('user_id', '=', member.id)
      .execute();
    const session = await loginAs(app, member);
    // A page another part of Hearth serves (the privacy notice): the hook is app-wide.
    const response = await app.inject({ url: '/privacy', headers: session.headers });
    expect(response.statusCode).toBe(200);
    // The hook writes after the response has gone; wait for it briefly.
    let rows = await subscriptionsOf(app.db, member.id);
    for (
      let attempt = 0;
      attempt < 50 && rows.some((row) => row.last_engaged_at === old);
      attempt++
    ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      rows = await subscriptionsOf(app.db, member.id);
    }
    expect(rows.every((row) => row.last_engaged_at !== old)).toBe(true);
  });

  it('records a hard bounce or complaint (admins only) and suspends the member’s subscriptions', async () => {
    const member = await pregnantMember();
    const admin = await makeMember(app.db, { roles: ['admin'] });
    const adminSession = await loginAs(app, admin, { kind: 'bearer', secondFactor: true });
    const memberSession = await loginAs(app, member, { kind: 'bearer' });

    const forbidden = await app.inject({
      method: 'POST',
      url: '/api/v1/newsletters/bounces',
      headers: memberSession.headers,
      payload: { email: member.email, kind: 'hard' },
    });
    expect(forbidden.statusCode).toBe(403);
    const badKind = await app.inject({
      method: 'POST',
      url: '/api/v1/newsletters/bounces',
      headers: adminSession.headers,
      payload: { email: member.email, kind: 'soft' },
    });
    expect(badKind.statusCode).toBe(400);
    const unknown = await app.inject({
      method: 'POST',
      url: '/api/v1/newsletters/bounces',
      headers: adminSession.headers,
      payload: { email: 'nobody@example.test', kind: 'hard' },
    });
    expect(unknown.statusCode).toBe(404);

    const recorded = await app.inject({
      method: 'POST',
      url: '/api/v1/newsletters/bounces',
      headers: adminSession.headers,
      payload: { email: member.email.toUpperCase(), kind: 'complaint' },
    });
    expect(recorded.statusCode).toBe(200);
    expect(recorded.json()).toEqual({ suspended: 2 });
    const rows = await subscriptionsOf(app.db, member.id);
    expect(rows.every((row) => row.suspended_at !== null)).toBe(true);
    const bounces = await tables(app.db)
      .selectFrom('newsletters_bounces')
      .selectAll()
      .where('user_id', '=', member.id)
      .execute();
    expect(bounces.map((bounce) => bounce.kind)).toEqual(['complaint']);
  });
});
