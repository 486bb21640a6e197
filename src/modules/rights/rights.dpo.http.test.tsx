import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildTestApp } from '../../../test/helpers/app.js';
import { describeEachDialect } from '../../../test/helpers/dialects.js';
import { loginAs, makeMember, type LoggedIn } from '../../../test/helpers/members.js';
import { tablesOf } from '../../platform/db/database.js';
import type { AuditTables } from '../../privacy/audit/audit.tables.js';
import { listProcessingLimits, recordObjection } from '../../privacy/consent/index.js';
import { isUnderHold, listHolds } from '../../privacy/holds/holds.service.js';
import { PURPOSE_KEYS, PURPOSES } from '../../privacy/purposes.js';
import { generateTotpSecret, type AccountsTables, type Role } from '../accounts/index.js';
import { runErasureRequest } from './rights.jobs.js';
import { createRequest, getRequest } from './rights.requests.service.js';
import { RequestsChart } from './rights.chart.js';
import { renderToString } from 'preact-render-to-string';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

describeEachDialect('the DPO’s desk', (current) => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestApp(current());
  });
  afterAll(async () => {
    await app?.close();
  });

  /** A staff member with two-factor log-in set up and passed in this session. */
  const staff = async (roles: readonly Role[]) => {
    const member = await makeMember(current().db, {
      roles,
      totpSecret: generateTotpSecret(),
      secretKey: app.secretKey,
    });
    return { member, login: await loginAs(app, member) };
  };
  const get = (login: LoggedIn, url: string) =>
    app.inject({ method: 'GET', url, headers: login.headers });
  const postForm = (login: LoggedIn, url: string, fields: Record<string, string>) =>
    app.inject({
      method: 'POST',
      url,
      headers: { ...login.headers, ...FORM },
      payload: new URLSearchParams({ _csrf: login.csrfToken, ...fields }).toString(),
    });

  it('P46 refuses every desk page to a plain member and to a moderator', async () => {
    const plain = await loginAs(app, await makeMember(current().db));
    const { login: moderator } = await staff(['moderator']);
    const subject = await makeMember(current().db);
    const request = await createRequest(current().db, {
      subjectId: subject.id,
      kind: 'access',
      via: 'member',
    });
    for (const login of [plain, moderator]) {
      for (const url of [
        '/admin/privacy/requests',
        `/admin/privacy/requests/${request.id}`,
        '/admin/privacy/holds',
        '/admin/privacy/objections',
      ]) {
        expect((await get(login, url)).statusCode, url).toBe(403);
      }
      const refused = await postForm(login, `/admin/privacy/requests/${request.id}/complete`, {
        outcome: 'Sent',
      });
      expect(refused.statusCode).toBe(403);
    }
    expect((await getRequest(current().db, request.id))?.status).toBe('received');
  });

  it('lists the queue with due dates, says overdue in words, filters by status and draws the chart', async () => {
    const db = current().db;
    const { login } = await staff(['dpo']);
    const subject = await makeMember(db);
    const late = await createRequest(db, {
      subjectId: subject.id,
      kind: 'portability',
      via: 'member',
      receivedAt: new Date(Date.now() - 70 * 86_400_000),
    });
    const fresh = await createRequest(db, { subjectId: subject.id, kind: 'access', via: 'member' });

    const queue = await get(login, '/admin/privacy/requests');
    expect(queue.statusCode).toBe(200);
    expect(queue.body).toContain(`/admin/privacy/requests/${late.id}`);
    expect(queue.body).toContain(`/admin/privacy/requests/${fresh.id}`);
    expect(queue.body).toMatch(/<strong class="status-tag">Overdue<\/strong>/);
    expect(queue.body).toContain('<title id="requests-chart-title">');
    expect(queue.body).toContain('Requests by kind and month (the figures in the chart)');
    expect(queue.body).toContain('Privacy requests');

    const completedOnly = await get(login, '/admin/privacy/requests?status=completed');
    expect(completedOnly.body).not.toContain(`/admin/privacy/requests/${late.id}`);
    expect((await get(login, '/admin/privacy/requests?status=nonsense')).statusCode).toBe(400);
  });

  it('P36 extends, completes and refuses requests; the member sees each result; every view is audited', async () => {
    const db = current().db;
    const { member: dpo, login } = await staff(['dpo']);
    const subject = await makeMember(db);
    const memberLogin = await loginAs(app, subject);
    const extendMe = await createRequest(db, {
      subjectId: subject.id,
      kind: 'access',
      via: 'member',
    });
    const completeMe = await createRequest(db, {
      subjectId: subject.id,
      kind: 'rectification',
      details: 'Wrong town',
      via: 'member',
    });
    const refuseMe = await createRequest(db, {
      subjectId: subject.id,
      kind: 'erasure',
      via: 'member',
    });

    const detail = await get(login, `/admin/privacy/requests/${extendMe.id}`);
    expect(detail.statusCode).toBe(200);
    expect(detail.body).toContain('Audit trail');
    const viewed = await tablesOf<AuditTables>(db)
      .selectFrom('audit_details')
      .innerJoin('audit_chain', 'audit_chain.seq', 'audit_details.seq')
      .select(['audit_chain.action', 'audit_details.subject_id', 'audit_details.detail'])
      .where('audit_details.actor_id', '=', dpo.id)
      .where('audit_chain.action', '=', 'rights.request.viewed')
      .execute();
    expect(viewed).toHaveLength(1);
    expect(viewed[0]?.subject_id).toBe(subject.id);
    expect(viewed[0]?.detail).toContain(extendMe.id);

    const badMonths = await postForm(login, `/admin/privacy/requests/${extendMe.id}/extend`, {
      months: '3',
      extensionReason: 'Too long',
    });
    expect(badMonths.statusCode).toBe(400);
    const noReason = await postForm(login, `/admin/privacy/requests/${extendMe.id}/extend`, {
      months: '1',
      extensionReason: '  ',
    });
    expect(noReason.statusCode).toBe(400);

    const extended = await postForm(login, `/admin/privacy/requests/${extendMe.id}/extend`, {
      months: '2',
      extensionReason: 'The records are archived off site',
    });
    expect(extended.statusCode).toBe(303);
    const completed = await postForm(login, `/admin/privacy/requests/${completeMe.id}/complete`, {
      outcome: 'Town corrected to Salford',
    });
    expect(completed.statusCode).toBe(303);
    const refused = await postForm(login, `/admin/privacy/requests/${refuseMe.id}/refuse`, {
      refusalReason: 'We must keep the records for a court case',
    });
    expect(refused.statusCode).toBe(303);
    const again = await postForm(login, `/admin/privacy/requests/${refuseMe.id}/complete`, {
      outcome: 'Done',
    });
    expect(again.statusCode).toBe(409);

    expect((await getRequest(db, extendMe.id))?.status).toBe('extended');
    expect((await getRequest(db, completeMe.id))?.outcome).toBe('Town corrected to Salford');
    const trail = await get(login, `/admin/privacy/requests/${extendMe.id}`);
    expect(trail.body).toContain('rights.request.viewed');

    const center = await get(memberLogin, '/account/privacy');
    expect(center.body).toContain('The records are archived off site');
    expect(center.body).toContain('We must keep the records for a court case');
    expect(center.body).toContain('Refused');
    expect(center.body).toContain('Done on');
  });

  it('P34 places a hold that makes the member’s erasure wait, and lifts it with a reason', async () => {
    const db = current().db;
    const { member: dpo, login } = await staff(['admin']);
    const held = await makeMember(db);

    const found = await get(login, `/admin/privacy/holds?member=${encodeURIComponent(held.email)}`);
    expect(found.statusCode).toBe(200);
    expect(found.body).toContain(held.username);
    const noReason = await postForm(login, '/admin/privacy/holds', {
      member: held.email,
      kind: 'legal',
      reason: '',
    });
    expect(noReason.statusCode).toBe(400);
    const badKind = await postForm(login, '/admin/privacy/holds', {
      member: held.email,
      kind: 'forever',
      reason: 'x',
    });
    expect(badKind.statusCode).toBe(400);
    const placed = await postForm(login, '/admin/privacy/holds', {
      member: held.email,
      kind: 'safeguarding',
      reason: 'Police investigation GMP-77',
      until: '',
    });
    expect(placed.statusCode).toBe(303);
    expect(await isUnderHold(db, held.id)).toBe(true);

    const heldLogin = await loginAs(app, held);
    const deleted = await postForm(heldLogin, '/account/privacy/delete', {
      password: held.password,
    });
    expect(deleted.statusCode).toBe(200);
    const erasure = (
      await tablesOf<{ rights_requests: { id: string; subject_id: string | null; kind: string } }>(
        db,
      )
        .selectFrom('rights_requests')
        .select('id')
        .where('subject_id', '=', held.id)
        .where('kind', '=', 'erasure')
        .executeTakeFirstOrThrow()
    ).id;
    expect(await runErasureRequest(db, app.privacyRegistry, erasure)).toBe('held');
    expect((await getRequest(db, erasure))?.status).toBe('in-progress');
    const stillThere = await tablesOf<AccountsTables>(db)
      .selectFrom('accounts_users')
      .select(['email', 'status'])
      .where('id', '=', held.id)
      .executeTakeFirstOrThrow();
    expect(stillThere).toEqual({ email: held.email, status: 'erasing' });

    const [hold] = await listHolds(db, held.id);
    if (!hold) throw new Error('no hold was placed');
    expect(hold.placedBy).toBe(dpo.id);
    const lifted = await postForm(login, `/admin/privacy/holds/${hold.id}/lift`, {
      [`liftReason-${hold.id}`]: 'Investigation closed',
    });
    expect(lifted.statusCode).toBe(303);
    expect(await isUnderHold(db, held.id)).toBe(false);
    expect(await runErasureRequest(db, app.privacyRegistry, erasure)).not.toBe('held');
    expect((await getRequest(db, erasure))?.status).toBe('completed');
  });

  it('P53 lists objections awaiting a decision and records the DPO’s legitimate grounds', async () => {
    const db = current().db;
    const { login } = await staff(['dpo']);
    const member = await makeMember(db);
    const purpose = PURPOSE_KEYS.find((key) => PURPOSES[key].canObject);
    if (!purpose) throw new Error('no purpose can be objected to');
    const objection = await recordObjection(db, {
      subjectId: member.id,
      purpose,
      reason: 'Please stop this',
      recordedBy: member.id,
    });
    const waiting = await get(login, '/admin/privacy/objections');
    expect(waiting.body).toContain('Please stop this');
    const empty = await postForm(login, `/admin/privacy/objections/${objection.id}/override`, {
      [`reason-${objection.id}`]: '',
    });
    expect(empty.statusCode).toBe(400);
    const decided = await postForm(login, `/admin/privacy/objections/${objection.id}/override`, {
      [`reason-${objection.id}`]: 'Needed to protect a child',
    });
    expect(decided.statusCode).toBe(303);
    const [limit] = await listProcessingLimits(db, member.id);
    expect(limit?.status).toBe('overridden');
    expect((await get(login, '/admin/privacy/objections')).body).not.toContain('Please stop this');
    const center = await get(await loginAs(app, member), '/account/privacy');
    expect(center.body).toContain('Needed to protect a child');
  });
});

it('draws one bar segment per kind and month and gives the same figures in a table', () => {
  const html = renderToString(
    <RequestsChart
      months={['2026-10', '2026-11']}
      kinds={[
        { key: 'access', label: 'Access' },
        { key: 'erasure', label: 'Erasure' },
      ]}
      counts={[
        { month: '2026-10', kind: 'access', count: 3 },
        { month: '2026-11', kind: 'access', count: 1 },
        { month: '2026-11', kind: 'erasure', count: 2 },
      ]}
    />,
  );
  expect(html.match(/<rect x=/g)).toHaveLength(3);
  expect(html).toContain('6 requests in the 2 months shown');
  expect(html).toMatch(/<th scope="row">Nov 2026<\/th><td>1<\/td><td>2<\/td><td>3<\/td>/);
});
