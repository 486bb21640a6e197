import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tablesOf } from '../../platform/db/database.js';
import type { MailTables } from '../../platform/mail/mail.tables.js';
import { enqueueJob } from '../../platform/jobs/jobs.queue.js';
import { can, receiptIssuerFor, recordConsent } from '../../privacy/consent/index.js';
import { liftHold, placeHold } from '../../privacy/holds/holds.service.js';
import { ensureNoticePublished } from '../../privacy/notice/notice.service.js';
import { buildTestApp } from '../../../test/helpers/app.js';
import { describeEachDialect } from '../../../test/helpers/dialects.js';
import { loginAs, makeMember } from '../../../test/helpers/members.js';
import type { AccountsTables } from '../accounts/index.js';
import {
  approveErasureRequest,
  createPublicRequest,
  ERASURE_RECHECK_JOB,
  getRequest,
  listRequestsForSubject,
  verifyPublicRequest,
} from './rights.requests.service.js';

/** A cookie jar and the last form's CSRF token, for the public (logged-out) pages. */
class Visitor {
  private readonly cookies = new Map<string, string>();
  private csrf = '';
  constructor(private readonly app: FastifyInstance) {}

  private remember(response: LightMyRequestResponse): void {
    for (const cookie of response.cookies) this.cookies.set(cookie.name, cookie.value);
    const token = /name="_csrf" value="([^"]+)"/.exec(response.body)?.[1];
    if (token) this.csrf = token;
  }

  private get cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  async get(url: string): Promise<LightMyRequestResponse> {
    const response = await this.app.inject({ url, headers: { cookie: this.cookieHeader } });
    this.remember(response);
    return response;
  }

  async post(url: string, fields: Record<string, string>): Promise<LightMyRequestResponse> {
    const response = await this.app.inject({
      method: 'POST',
      url,
      headers: { cookie: this.cookieHeader, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ ...fields, _csrf: this.csrf }).toString(),
    });
    this.remember(response);
    return response;
  }
}

describeEachDialect('rights requests API', (current) => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestApp(current());
  });
  afterAll(async () => {
    await app.close();
  });

  const db = () => current().db;
  const userRow = (id: string) =>
    tablesOf<AccountsTables>(db())
      .selectFrom('accounts_users')
      .select(['id', 'status'])
      .where('id', '=', id)
      .executeTakeFirst();
  const send = (
    method: 'GET' | 'POST' | 'DELETE',
    url: string,
    headers: Record<string, string>,
    payload?: unknown,
  ) =>
    app.inject({
      method,
      url,
      headers,
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });

  describe('GET|POST /api/v1/me/requests', () => {
    it('P52 files a request with the §6 shape and lists it with its due date', async () => {
      const member = await makeMember(db());
      const session = await loginAs(app, member);
      expect((await send('GET', '/api/v1/me/requests', {})).statusCode).toBe(401);

      const created = await send('POST', '/api/v1/me/requests', session.headers, {
        kind: 'rectification',
        details: 'My surname is spelt Tester, not Testor.',
      });
      expect(created.statusCode).toBe(201);
      const body = created.json<Record<string, unknown>>();
      expect(Object.keys(body).sort()).toEqual(['dueAt', 'id', 'kind', 'receivedAt', 'status']);
      expect(body).toMatchObject({ kind: 'rectification', status: 'received' });
      expect(body.dueAt).toMatch(/^\d{4}-\d{2}-\d{2}$/);

      const listed = await send('GET', '/api/v1/me/requests', session.headers);
      expect(listed.statusCode).toBe(200);
      expect(listed.json()).toMatchObject({
        items: [
          {
            id: body.id,
            kind: 'rectification',
            details: 'My surname is spelt Tester, not Testor.',
            dueAt: body.dueAt,
            extendedDueAt: null,
          },
        ],
        nextCursor: null,
      });
    });

    it('refuses an unknown kind, a missing purpose, and erasure without a password, with 400', async () => {
      const member = await makeMember(db());
      const session = await loginAs(app, member);
      for (const payload of [
        { kind: 'everything' },
        { kind: 'objection' },
        { kind: 'restriction', purpose: 'not-a-purpose' },
        { kind: 'rectification' },
        { kind: 'erasure' },
      ]) {
        const response = await send('POST', '/api/v1/me/requests', session.headers, payload);
        expect(response.statusCode, JSON.stringify(payload)).toBe(400);
        expect(response.json()).toMatchObject({ error: { code: 'validation_failed' } });
      }
    });

    it('P53 an objection or restriction by request is honoured by can() at once', async () => {
      const member = await makeMember(db());
      const session = await loginAs(app, member);
      expect(await can(db(), member.id, 'advertising')).toBe(true);
      expect(await can(db(), member.id, 'community')).toBe(true);

      const objection = await send('POST', '/api/v1/me/requests', session.headers, {
        kind: 'objection',
        purpose: 'advertising',
        details: 'I do not want adverts chosen for me.',
      });
      expect(objection.statusCode).toBe(201);
      expect(await can(db(), member.id, 'advertising')).toBe(false);

      const restriction = await send('POST', '/api/v1/me/requests', session.headers, {
        kind: 'restriction',
        purpose: 'community',
      });
      expect(restriction.statusCode).toBe(201);
      expect(await can(db(), member.id, 'community')).toBe(false);

      // Objection is only for purposes resting on legitimate interests: 409, and nothing filed.
      const wrong = await send('POST', '/api/v1/me/requests', session.headers, {
        kind: 'objection',
        purpose: 'account',
      });
      expect(wrong.statusCode).toBe(409);
      const listed = await send('GET', '/api/v1/me/requests', session.headers);
      expect(listed.json<{ items: unknown[] }>().items).toHaveLength(2);
    });

    it('P27 P52 a withdrawal request withdraws the consent at once', async () => {
      const member = await makeMember(db());
      const session = await loginAs(app, member);
      const { version } = await ensureNoticePublished(db(), app.privacyRegistry);
      await recordConsent(
        db(),
        {
          subjectId: member.id,
          subjectKind: 'member',
          purpose: 'analytics',
          granted: true,
          method: 'form',
          noticeVersion: version,
        },
        receiptIssuerFor(app),
      );
      expect(await can(db(), member.id, 'analytics')).toBe(true);
      const response = await send('POST', '/api/v1/me/requests', session.headers, {
        kind: 'withdrawal',
        purpose: 'analytics',
      });
      expect(response.statusCode).toBe(201);
      expect(await can(db(), member.id, 'analytics')).toBe(false);

      const notConsent = await send('POST', '/api/v1/me/requests', session.headers, {
        kind: 'withdrawal',
        purpose: 'account',
      });
      expect(notConsent.statusCode).toBe(409);
    });
  });

  describe('DELETE /api/v1/me', () => {
    it('P36 P54 disables log-in at once, answers 202 {requestId}, and the job erases the account', async () => {
      const member = await makeMember(db());
      const session = await loginAs(app, member);
      const other = await loginAs(app, member, { kind: 'bearer' });

      const wrong = await send('DELETE', '/api/v1/me', session.headers, { password: 'not it' });
      expect(wrong.statusCode).toBeGreaterThanOrEqual(400);
      expect(wrong.statusCode).toBeLessThan(500);
      expect((await userRow(member.id))?.status).toBe('active');

      const response = await send('DELETE', '/api/v1/me', session.headers, {
        password: member.password,
      });
      expect(response.statusCode).toBe(202);
      const { requestId } = response.json<{ requestId: string }>();
      expect(requestId).toEqual(expect.any(String));
      expect((await userRow(member.id))?.status).toBe('erasing');
      expect((await send('GET', '/api/v1/me', session.headers)).statusCode).toBe(401);
      expect((await send('GET', '/api/v1/me', other.headers)).statusCode).toBe(401);
      expect((await getRequest(db(), requestId))?.status).toBe('in-progress');

      await app.runDueJobs();
      expect(await userRow(member.id)).toBeUndefined();
      const done = await getRequest(db(), requestId);
      expect(done).toMatchObject({ status: 'completed', kind: 'erasure' });
      // The DPO keeps the report: counts and reasons, per table.
      expect(done?.erasureReport).toMatchObject({ removed: expect.any(Number) as number });
      expect(JSON.stringify(done?.erasureReport)).not.toContain(member.email);
    });

    it('while a hold applies the request stays in progress, nothing is erased, and the member sees no hold', async () => {
      const member = await makeMember(db());
      const dpo = await makeMember(db(), { roles: ['dpo'] });
      const hold = await placeHold(db(), {
        subjectId: member.id,
        kind: 'legal',
        reason: 'Pending court order',
        placedBy: dpo.id,
      });
      const session = await loginAs(app, member);
      const response = await send('DELETE', '/api/v1/me', session.headers, {
        password: member.password,
      });
      expect(response.statusCode).toBe(202);
      const { requestId } = response.json<{ requestId: string }>();

      await app.runDueJobs();
      expect((await userRow(member.id))?.status).toBe('erasing');
      const held = await getRequest(db(), requestId);
      expect(held?.status).toBe('in-progress');
      // What the member is shown (their list) says nothing of the hold.
      const seen = JSON.stringify(await listRequestsForSubject(db(), member.id));
      expect(seen).toContain('in-progress');
      expect(seen.toLowerCase()).not.toContain('hold');
      expect(seen).not.toContain('court');

      // Once the hold is lifted, the daily re-check runs the erasure.
      await liftHold(db(), { holdId: hold.id, liftedBy: dpo.id, reason: 'Order discharged' });
      await enqueueJob(db(), ERASURE_RECHECK_JOB, {});
      await app.runDueJobs();
      await app.runDueJobs();
      expect(await userRow(member.id)).toBeUndefined();
      expect((await getRequest(db(), requestId))?.status).toBe('completed');
    });
  });

  describe('the public request form', () => {
    const mailsTo = (address: string) =>
      tablesOf<MailTables>(db())
        .selectFrom('outbox')
        .selectAll()
        .where('to_address', '=', address)
        .orderBy('id')
        .execute();

    it('mails a code, and the request joins the queue once the code is entered', async () => {
      const visitor = new Visitor(app);
      const page = await visitor.get('/privacy/request');
      expect(page.statusCode).toBe(200);
      const email = `public-${Date.now()}@example.test`;
      const invalid = await visitor.post('/privacy/request', {
        name: 'Pat Public',
        email,
        kind: 'objection',
        purpose: '',
        details: '',
      });
      expect(invalid.statusCode).toBe(422);
      expect(await mailsTo(email)).toHaveLength(0);

      const sent = await visitor.post('/privacy/request', {
        name: 'Pat Public',
        email,
        kind: 'access',
        purpose: '',
        details: '',
      });
      expect(sent.statusCode).toBe(303);
      const location = String(sent.headers.location);
      const requestId = new URL(location, 'http://x').searchParams.get('request') ?? '';
      expect((await getRequest(db(), requestId))?.status).toBe('awaiting-verification');
      const [mail] = await mailsTo(email);
      const code = /\b(\d{6})\b/.exec(mail?.text_body ?? '')?.[1] ?? '';
      expect(code).toMatch(/^\d{6}$/);

      await visitor.get(location);
      const wrong = await visitor.post('/privacy/request/verify', {
        request: requestId,
        code: code === '123456' ? '654321' : '123456',
      });
      expect(wrong.statusCode).toBe(422);
      const right = await visitor.post('/privacy/request/verify', { request: requestId, code });
      expect(right.statusCode).toBe(200);
      expect(right.body).toContain('We have your request');
      expect((await getRequest(db(), requestId))?.status).toBe('received');
    });

    it('a verified public erasure request waits for the DPO, whose approval erases the account', async () => {
      const member = await makeMember(db());
      const dpo = await makeMember(db(), { roles: ['dpo'] });
      const { request, code } = await createPublicRequest(db(), {
        email: member.email,
        name: 'Alex Tester',
        kind: 'erasure',
        timezone: 'Europe/London',
      });
      await verifyPublicRequest(db(), { requestId: request.id, code, timezone: 'Europe/London' });
      await enqueueJob(db(), ERASURE_RECHECK_JOB, {});
      await app.runDueJobs();
      await app.runDueJobs();
      expect((await userRow(member.id))?.status).toBe('active');
      expect((await getRequest(db(), request.id))?.status).toBe('received');

      const session = await loginAs(app, member);
      await approveErasureRequest(db(), { id: request.id, dpoId: dpo.id });
      expect((await send('GET', '/api/v1/me', session.headers)).statusCode).toBe(401);
      await app.runDueJobs();
      expect(await userRow(member.id)).toBeUndefined();
      expect((await getRequest(db(), request.id))?.status).toBe('completed');
    });

    it('answers alike for a registered address and an unknown one', async () => {
      const member = await makeMember(db());
      const answer = async (email: string) => {
        const visitor = new Visitor(app);
        await visitor.get('/privacy/request');
        const response = await visitor.post('/privacy/request', {
          name: 'Someone',
          email,
          kind: 'access',
          purpose: '',
          details: '',
        });
        const mails = await mailsTo(email);
        return {
          status: response.statusCode,
          location: String(response.headers.location).replace(/request=[^&]+/, 'request=ID'),
          subjects: mails.map((mail) => mail.subject),
        };
      };
      const known = await answer(member.email);
      const unknown = await answer(`unknown-${Date.now()}@example.test`);
      expect(known).toEqual(unknown);
    });
  });
});
