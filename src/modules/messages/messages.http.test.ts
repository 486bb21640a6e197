import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildTestApp } from '../../../test/helpers/app.js';
import { describeEachDialect } from '../../../test/helpers/dialects.js';
import { loginAs, makeMember, type LoggedIn } from '../../../test/helpers/members.js';
import { tablesOf } from '../../platform/db/database.js';
import { newId } from '../../platform/db/ids.js';
import { toDbTime } from '../../platform/db/portable.js';
import { isUnderHold } from '../../privacy/holds/holds.service.js';
import { generateTotpSecret, type Role } from '../accounts/index.js';
import { endedQuarters, monthsOf } from './messages.statistics.js';
import type { MessagesTables } from './messages.tables.js';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

describeEachDialect('messages over HTTP', (current) => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestApp(current());
  });
  afterAll(async () => {
    await app?.close();
  });

  const member = async () => {
    const made = await makeMember(current().db);
    return { member: made, login: await loginAs(app, made) };
  };
  const staff = async (roles: readonly Role[]) => {
    const made = await makeMember(current().db, {
      roles,
      totpSecret: generateTotpSecret(),
      secretKey: app.secretKey,
    });
    return { member: made, login: await loginAs(app, made) };
  };
  const get = (login: LoggedIn | null, url: string) =>
    app.inject({ method: 'GET', url, headers: login?.headers ?? {} });
  const json = (
    login: LoggedIn,
    method: 'POST' | 'PUT' | 'DELETE',
    url: string,
    payload?: object,
  ) =>
    app.inject({
      method,
      url,
      headers: login.headers,
      ...(payload ? { payload } : {}),
    });
  const postForm = (login: LoggedIn, url: string, fields: Record<string, string>) =>
    app.inject({
      method: 'POST',
      url,
      headers: { ...login.headers, ...FORM },
      payload: new URLSearchParams({ _csrf: login.csrfToken, ...fields }).toString(),
    });

  it('the API needs a member, and every messages route is in the OpenAPI document', async () => {
    expect((await get(null, '/api/v1/messages/conversations')).statusCode).toBe(401);
    expect((await get(null, '/messages')).statusCode).toBe(303);
    const paths = Object.keys(
      (await get(null, '/api/v1/openapi.json')).json<{ paths: Record<string, unknown> }>().paths,
    );
    expect(paths).toEqual(
      expect.arrayContaining([
        '/api/v1/messages/conversations',
        '/api/v1/messages/conversations/{id}',
        '/api/v1/messages/conversations/{id}/messages',
        '/api/v1/messages/conversations/{id}/messages/{messageId}',
        '/api/v1/messages/conversations/{id}/messages/{messageId}/report',
        '/api/v1/messages/blocks',
        '/api/v1/messages/blocks/{username}',
        '/api/v1/messages/unread',
        '/api/v1/messages/support',
        '/api/v1/messages/support/{id}',
        '/api/v1/messages/support/{id}/messages',
        '/api/v1/messages/support/statistics/{period}',
      ]),
    );
  });

  it('P43 start, read, reply, delete a message and the conversation through the API', async () => {
    const alex = await member();
    const sam = await member();
    const created = await json(alex.login, 'POST', '/api/v1/messages/conversations', {
      to: [sam.member.username],
      body: 'Hello over the API',
    });
    expect(created.statusCode).toBe(201);
    const { id, messageId } = created.json<{ id: string; messageId: string }>();

    const list = await get(sam.login, '/api/v1/messages/conversations?limit=10');
    expect(list.headers['cache-control']).toBe('no-store');
    expect(list.json()).toMatchObject({
      items: [{ id, with: [alex.member.username], unread: 1 }],
      nextCursor: null,
      unread: 1,
    });
    const read = await get(sam.login, `/api/v1/messages/conversations/${id}`);
    expect(read.json()).toMatchObject({
      with: [alex.member.username],
      messages: [
        { id: messageId, sender: alex.member.username, isMine: false, body: 'Hello over the API' },
      ],
      canReply: true,
    });
    expect((await get(sam.login, '/api/v1/messages/unread')).json()).toEqual({ unread: 0 });

    const reply = await json(sam.login, 'POST', `/api/v1/messages/conversations/${id}/messages`, {
      body: 'Hello back',
    });
    expect(reply.statusCode).toBe(201);
    expect(reply.json()).toMatchObject({ seq: 2 });

    const outsider = await member();
    expect((await get(outsider.login, `/api/v1/messages/conversations/${id}`)).statusCode).toBe(
      404,
    );

    const removed = await json(
      alex.login,
      'DELETE',
      `/api/v1/messages/conversations/${id}/messages/${messageId}`,
    );
    expect(removed.statusCode).toBe(204);
    const after = await get(alex.login, `/api/v1/messages/conversations/${id}`);
    expect(after.json<{ messages: { body: string }[] }>().messages.map((m) => m.body)).toEqual([
      'Hello back',
    ]);
    expect(
      (await json(alex.login, 'DELETE', `/api/v1/messages/conversations/${id}`)).statusCode,
    ).toBe(204);
    expect((await get(alex.login, '/api/v1/messages/conversations')).json()).toMatchObject({
      items: [],
    });
  });

  it('refuses bad input with 400 and the field, never a 500', async () => {
    const alex = await member();
    const empty = await json(alex.login, 'POST', '/api/v1/messages/conversations', {
      to: [],
      body: 'x',
    });
    expect(empty.statusCode).toBe(400);
    expect(empty.json()).toMatchObject({ error: { code: 'validation_failed' } });
    const unknown = await json(alex.login, 'POST', '/api/v1/messages/conversations', {
      to: ['no-such-member-here'],
      body: 'x',
    });
    expect(unknown.statusCode).toBe(400);
    expect(
      unknown.json<{ error: { fields?: Record<string, string> } }>().error.fields?.to,
    ).toContain('no-such-member-here');
    const cursor = await get(alex.login, '/api/v1/messages/conversations?cursor=%%%');
    expect(cursor.statusCode).toBe(400);
  });

  it('blocks and unblocks through the API; a blocked member gets 403', async () => {
    const alex = await member();
    const sam = await member();
    expect(
      (await json(alex.login, 'PUT', `/api/v1/messages/blocks/${sam.member.username}`)).statusCode,
    ).toBe(204);
    expect((await get(alex.login, '/api/v1/messages/blocks')).json()).toMatchObject({
      items: [{ username: sam.member.username }],
    });
    const refused = await json(sam.login, 'POST', '/api/v1/messages/conversations', {
      to: [alex.member.username],
      body: 'Let me in',
    });
    expect(refused.statusCode).toBe(403);
    expect(
      (await json(alex.login, 'DELETE', `/api/v1/messages/blocks/${sam.member.username}`))
        .statusCode,
    ).toBe(204);
    const allowed = await json(sam.login, 'POST', '/api/v1/messages/conversations', {
      to: [alex.member.username],
      body: 'Thanks',
    });
    expect(allowed.statusCode).toBe(201);
  });

  it('pages: inbox with unread count, new message with errors shown again, conversation, delete', async () => {
    const alex = await member();
    const sam = await member();
    const form = await get(alex.login, `/messages/new?to=${sam.member.username}`);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain(`value="${sam.member.username}"`);

    const wrong = await postForm(alex.login, '/messages/new', {
      to: 'nobody-called-this',
      body: '',
    });
    expect(wrong.statusCode).toBe(422);
    expect(wrong.body).toContain('There is no member called nobody-called-this');

    const sent = await postForm(alex.login, '/messages/new', {
      to: sam.member.username,
      body: 'Line one\nLine <two>',
    });
    expect(sent.statusCode).toBe(303);
    const location = String(sent.headers.location);
    expect(location).toMatch(/^\/messages\/[0-9A-Z]+\?done=sent$/);

    const inbox = await get(sam.login, '/messages');
    expect(inbox.statusCode).toBe(200);
    expect(inbox.body).toContain('1 unread message');
    expect(inbox.body).toContain(`Conversation with ${alex.member.username}`);

    const conversationPath = location.split('?')[0]!;
    const page = await get(sam.login, conversationPath);
    expect(page.body).toContain('Line one<br/>Line &lt;two');
    expect(page.body).not.toContain('<two>');
    expect((await get(sam.login, '/messages')).body).toContain('No unread messages');

    const replied = await postForm(sam.login, `${conversationPath}/reply`, { body: '' });
    expect(replied.statusCode).toBe(422);
    const deleted = await postForm(sam.login, `${conversationPath}/delete`, {});
    expect(deleted.statusCode).toBe(303);
    expect(deleted.headers.location).toBe('/messages?done=conversation-deleted');
    expect((await get(sam.login, '/messages')).body).toContain('No conversations yet.');
  });

  it('a member reports a message from the conversation page', async () => {
    const alex = await member();
    const sam = await member();
    const created = await json(alex.login, 'POST', '/api/v1/messages/conversations', {
      to: [sam.member.username],
      body: 'Rude words',
    });
    const { id, messageId } = created.json<{ id: string; messageId: string }>();
    const reportPath = `/messages/${id}/messages/${messageId}/report`;
    expect((await get(sam.login, reportPath)).statusCode).toBe(200);
    // One's own message cannot be reported.
    expect((await get(alex.login, reportPath)).statusCode).toBe(404);
    const missing = await postForm(sam.login, reportPath, { reason: '' });
    expect(missing.statusCode).toBe(422);
    const filed = await postForm(sam.login, reportPath, { reason: 'Rude' });
    expect(filed.statusCode).toBe(303);
    const reports = await current()
      .db.selectFrom('forum_reports')
      .select(['kind', 'target_id'])
      .where('target_id', '=', messageId)
      .execute();
    expect(reports).toEqual([{ kind: 'message', target_id: messageId }]);
  });

  it('P24 a member asks the Parent Supporters; a supporter claims, replies, escalates and closes from the queue', async () => {
    const parent = await member();
    const supporter = await staff(['parent_supporter']);
    const started = await postForm(parent.login, '/messages/support/new', {
      topic: 'sleep',
      body: 'Nobody sleeps here',
    });
    expect(started.statusCode).toBe(303);
    const casePath = String(started.headers.location).split('?')[0]!;
    const caseId = casePath.split('/').pop()!;

    expect((await get(parent.login, '/admin/support')).statusCode).toBe(403);
    const moderator = await staff(['moderator']);
    expect((await get(moderator.login, `/admin/support/${caseId}`)).statusCode).toBe(403);

    const queue = await get(supporter.login, '/admin/support');
    expect(queue.statusCode).toBe(200);
    expect(queue.body).toContain(`/admin/support/${caseId}`);
    expect(queue.body).not.toContain('Nobody sleeps here');

    const adminCase = `/admin/support/${caseId}`;
    expect((await postForm(supporter.login, `${adminCase}/claim`, {})).statusCode).toBe(303);
    expect(
      (await postForm(supporter.login, `${adminCase}/reply`, { body: 'Tell me about bedtime' }))
        .statusCode,
    ).toBe(303);
    const seen = await get(parent.login, casePath);
    expect(seen.body).toContain('Tell me about bedtime');
    expect(seen.body).toContain('Parent Supporter');
    expect(seen.body).not.toContain(supporter.member.username);

    const noReason = await postForm(supporter.login, `${adminCase}/escalate`, { reason: '' });
    expect(noReason.statusCode).toBe(422);
    expect(await isUnderHold(current().db, parent.member.id)).toBe(false);
    expect(
      (await postForm(supporter.login, `${adminCase}/escalate`, { reason: 'Safety concern' }))
        .statusCode,
    ).toBe(303);
    expect(await isUnderHold(current().db, parent.member.id)).toBe(true);
    expect((await postForm(supporter.login, `${adminCase}/close`, {})).statusCode).toBe(303);
    const closed = await postForm(parent.login, `${casePath}/reply`, { body: 'One more thing' });
    expect(closed.statusCode).toBe(409);
    expect(closed.body).toContain('This conversation is closed');

    // Another member cannot see the case.
    const other = await member();
    expect((await get(other.login, casePath)).statusCode).toBe(404);
  });

  it('P46 only the DPO sees the staff-access log, which lists each reading: who, when, why', async () => {
    const parent = await member();
    const supporter = await staff(['parent_supporter']);
    const dpo = await staff(['dpo']);
    const created = await json(parent.login, 'POST', '/api/v1/messages/support', {
      topic: 'feeding',
      body: 'Help with feeding',
    });
    expect(created.statusCode).toBe(201);
    const { id } = created.json<{ id: string }>();
    expect((await get(parent.login, '/api/v1/messages/support')).json()).toMatchObject({
      items: [{ id, topic: 'feeding', status: 'waiting' }],
    });
    const more = await json(parent.login, 'POST', `/api/v1/messages/support/${id}/messages`, {
      body: 'And with sleep',
    });
    expect(more.statusCode).toBe(204);
    expect((await get(parent.login, `/api/v1/messages/support/${id}`)).json()).toMatchObject({
      messages: [
        { from: 'you', body: 'Help with feeding' },
        { from: 'you', body: 'And with sleep' },
      ],
    });
    expect((await get(supporter.login, `/admin/support/${id}`)).statusCode).toBe(200);

    expect((await get(supporter.login, '/admin/messages/access')).statusCode).toBe(403);
    const log = await get(dpo.login, '/admin/messages/access');
    expect(log.statusCode).toBe(200);
    expect(log.body).toContain(supporter.member.username);
    expect(log.body).toContain(`Parent Supporter case ${id}`);
    expect(log.body).not.toContain('Help with feeding');
  });

  it('P25 statistics: a group of 3 is suppressed in the JSON for partners and the staff table; a release never changes', async () => {
    const quarter = endedQuarters(new Date(), app.config.timezone)[1]!;
    const [first, second] = monthsOf(quarter);
    const cases = tablesOf<MessagesTables>(current().db);
    const addCases = async (topic: string, month: string, members: number, each = 1) => {
      for (let index = 0; index < members; index += 1) {
        const memberId = newId();
        for (let repeat = 0; repeat < each; repeat += 1) {
          const at = toDbTime(new Date(`${month}-15T12:00:00.000Z`));
          await cases
            .insertInto('messages_support_cases')
            .values({
              id: newId(),
              member_id: memberId,
              topic,
              status: 'closed',
              supporter_id: null,
              created_at: at,
              claimed_at: null,
              closed_at: at,
              last_message_at: at,
              member_read_at: null,
              escalated_at: null,
              escalated_by: null,
              hold_id: null,
            })
            .execute();
        }
      }
    };
    await addCases('feeding', first!, 12);
    await addCases('feeding', second!, 14);
    await addCases('sleep', first!, 15);
    // Three people, one of whom wrote four times: still a group of 3.
    await addCases('sleep', second!, 2);
    await addCases('sleep', second!, 1, 4);

    const response = await get(null, `/api/v1/messages/support/statistics/${quarter.period}`);
    expect(response.statusCode).toBe(200);
    const table = response.json<{
      rows: string[];
      columns: string[];
      cells: (number | null)[][];
      rowTotals: (number | null)[];
      total: number | null;
      k: number;
    }>();
    expect(table.k).toBe(10);
    expect(table.columns).toEqual(monthsOf(quarter));
    const sleep = table.rows.indexOf('sleep');
    const feeding = table.rows.indexOf('feeding');
    expect(table.cells[sleep]![1]).toBeNull();
    // 12 + 14 + 15 + 3 members: the one who wrote four times counts once.
    expect(table.total).toBe(44);
    expect(table.cells[feeding]![2]).toBe(0);
    expect(JSON.stringify(table)).not.toMatch(/[^0-9]3[^0-9]/);

    // More cases later do not change the release.
    await addCases('sleep', second!, 20);
    const again = await get(null, `/api/v1/messages/support/statistics/${quarter.period}`);
    expect(again.json()).toEqual(response.json());

    const current_ = endedQuarters(new Date(), app.config.timezone)[0]!;
    const year = current_.quarter === 4 ? current_.year + 1 : current_.year;
    const next = current_.quarter === 4 ? 1 : current_.quarter + 1;
    const running = await get(null, `/api/v1/messages/support/statistics/${year}-Q${next}`);
    expect(running.statusCode).toBe(404);
    expect((await get(null, '/api/v1/messages/support/statistics/2026-Q9')).statusCode).toBe(400);

    const dpo = await staff(['dpo']);
    const page = await get(dpo.login, `/admin/support/statistics?period=${quarter.period}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<em>suppressed</em>');
    const plain = await member();
    expect((await get(plain.login, '/admin/support/statistics')).statusCode).toBe(403);
  });
});
