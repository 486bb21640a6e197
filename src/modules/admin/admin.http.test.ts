import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildTestApp } from '../../../test/helpers/app.js';
import { describeEachDialect } from '../../../test/helpers/dialects.js';
import { loginAs, makeMember, type TestMember } from '../../../test/helpers/members.js';
import { tablesOf } from '../../platform/db/database.js';
import { queueMail } from '../../platform/mail/mail.outbox.js';
import type { HearthModule } from '../../platform/module.js';
import type { AuditTables } from '../../privacy/audit/audit.tables.js';
import { verifyAuditChain } from '../../privacy/audit/audit.service.js';
import { generateTotpSecret, type AccountsTables, type Role } from '../accounts/index.js';
import { admin } from './index.js';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/** Another module's staff page, as the forum or help desk will add theirs. */
const editorial: HearthModule = {
  name: 'editorial-fixture',
  dataMap: {},
  adminNav: [{ href: '/admin/articles', label: 'Articles', roles: ['editor'] }],
};

describeEachDialect('the staff area', (current) => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestApp(current(), { modules: [admin, editorial] });
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

  const auditEntries = async (action: string, actorId: string) =>
    tablesOf<AuditTables>(current().db)
      .selectFrom('audit_details')
      .innerJoin('audit_chain', 'audit_chain.seq', 'audit_details.seq')
      .select(['audit_chain.action', 'audit_details.subject_id', 'audit_details.detail'])
      .where('audit_chain.action', '=', action)
      .where('audit_details.actor_id', '=', actorId)
      .orderBy('audit_chain.seq')
      .execute();

  const rolesOf = async (member: TestMember) =>
    (
      await tablesOf<AccountsTables>(current().db)
        .selectFrom('accounts_roles')
        .select('role')
        .where('user_id', '=', member.id)
        .orderBy('role')
        .execute()
    ).map((row) => row.role);

  it('sends a visitor who is not logged in to log in', async () => {
    const page = await app.inject({ url: '/admin/members' });
    expect(page.statusCode).toBe(303);
    expect(page.headers.location).toBe('/login?next=%2Fadmin%2Fmembers');
  });

  it('refuses a member without a staff role with 403', async () => {
    const member = await makeMember(current().db);
    const login = await loginAs(app, member);
    const response = await app.inject({ url: '/admin', headers: login.headers });
    expect(response.statusCode).toBe(403);
    expect(response.body).not.toContain('Staff area</h1>');
  });

  it('sends staff without two-factor log-in to set it up', async () => {
    const member = await makeMember(current().db, { roles: ['dpo'] });
    const login = await loginAs(app, member);
    const response = await app.inject({ url: '/admin', headers: login.headers });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/account/two-factor');
  });

  it('opens the dashboard with the navigation every module adds, filtered by role', async () => {
    const { login: moderator } = await staff(['moderator']);
    const forModerator = await app.inject({ url: '/admin', headers: moderator.headers });
    expect(forModerator.statusCode).toBe(200);
    expect(forModerator.body).toContain('<nav class="admin__nav" aria-label="Staff area">');
    expect(forModerator.body).toContain('<a href="/admin" aria-current="page">Dashboard</a>');
    expect(forModerator.body).not.toContain('href="/admin/members"');
    expect(forModerator.body).not.toContain('href="/admin/mail"');
    expect(forModerator.body).not.toContain('href="/admin/articles"');

    const { login: editor } = await staff(['editor']);
    const forEditor = await app.inject({ url: '/admin', headers: editor.headers });
    expect(forEditor.body).toContain('href="/admin/articles"');

    const { login: administrator } = await staff(['admin']);
    const forAdmin = await app.inject({ url: '/admin', headers: administrator.headers });
    expect(forAdmin.body).toContain('href="/admin/members"');
    expect(forAdmin.body).toContain('href="/admin/mail"');
    expect(forAdmin.body).not.toContain('href="/admin/articles"');
  });

  it('P46 staff see members’ personal data only as their role requires', async () => {
    const someone = await makeMember(current().db);
    for (const role of [
      'parent_supporter',
      'moderator',
      'helpdesk_agent',
      'editor',
      'dpo',
    ] as const) {
      const { member, login } = await staff([role]);
      for (const url of [
        '/admin/members?q=example',
        `/admin/members/${someone.id}`,
        '/admin/mail',
      ]) {
        const response = await app.inject({ url, headers: login.headers });
        expect(response.statusCode, `${role} ${url}`).toBe(403);
        expect(response.body).not.toContain(someone.email);
      }
      const grant = await app.inject({
        method: 'POST',
        url: `/admin/members/${someone.id}/roles`,
        headers: { ...login.headers, ...FORM },
        payload: new URLSearchParams({
          _csrf: login.csrfToken,
          role: 'admin',
          change: 'grant',
        }).toString(),
      });
      expect(grant.statusCode, role).toBe(403);
      expect(await auditEntries('admin.member.viewed', member.id)).toEqual([]);
    }
    expect(await rolesOf(someone)).toEqual([]);

    const { login } = await staff(['admin']);
    const found = await app.inject({
      url: `/admin/members/${someone.id}`,
      headers: login.headers,
    });
    expect(found.statusCode).toBe(200);
    expect(found.body).toContain(someone.email);
  });

  it('finds members by email or username and audits every search and view', async () => {
    const { member: administrator, login } = await staff(['admin']);
    const target = await makeMember(current().db, { username: `Findable${Date.now()}` });
    const wildcard = await makeMember(current().db, {
      email: `under_score${Date.now()}@example.test`,
    });

    const byName = await app.inject({
      url: `/admin/members?q=${encodeURIComponent(target.username.toLowerCase())}`,
      headers: login.headers,
    });
    expect(byName.statusCode).toBe(200);
    expect(byName.body).toContain(`href="/admin/members/${target.id}"`);
    expect(byName.body).toContain(target.email);
    expect(byName.body).not.toContain(wildcard.email);

    // `_` is matched literally, not as "any character".
    const literal = await app.inject({ url: '/admin/members?q=der_sc', headers: login.headers });
    expect(literal.body).toContain(wildcard.email);
    const noWildcard = await app.inject({
      url: '/admin/members?q=der%25sc',
      headers: login.headers,
    });
    expect(noWildcard.body).not.toContain(wildcard.email);

    const searches = await auditEntries('admin.members.searched', administrator.id);
    expect(searches).toHaveLength(3);
    expect(searches[0]?.detail).not.toContain(target.username);

    await app.inject({ url: `/admin/members/${target.id}`, headers: login.headers });
    await app.inject({ url: `/admin/members/${target.id}`, headers: login.headers });
    const views = await auditEntries('admin.member.viewed', administrator.id);
    expect(views.map((view) => view.subject_id)).toEqual([target.id, target.id]);

    const missing = await app.inject({
      url: '/admin/members/01ARZ3NDEKTSV4RRFFQ69G5FAV',
      headers: login.headers,
    });
    expect(missing.statusCode).toBe(404);
    expect((await verifyAuditChain(current().db)).ok).toBe(true);
  });

  it('lets an admin grant and revoke roles, audited, seen by the member’s next request', async () => {
    const { member: administrator, login } = await staff(['admin']);
    const target = await makeMember(current().db);
    const targetLogin = await loginAs(app, target);
    expect((await app.inject({ url: '/admin', headers: targetLogin.headers })).statusCode).toBe(
      403,
    );

    const post = (role: string, change: string) =>
      app.inject({
        method: 'POST',
        url: `/admin/members/${target.id}/roles`,
        headers: { ...login.headers, ...FORM },
        payload: new URLSearchParams({ _csrf: login.csrfToken, role, change }).toString(),
      });

    const granted = await post('moderator', 'grant');
    expect(granted.statusCode).toBe(303);
    expect(granted.headers.location).toBe(`/admin/members/${target.id}`);
    expect(await rolesOf(target)).toEqual(['moderator']);
    // The member's open session sees the role at once; /admin now asks for two-factor set-up.
    const next = await app.inject({ url: '/admin', headers: targetLogin.headers });
    expect(next.statusCode).toBe(303);
    expect(next.headers.location).toBe('/account/two-factor');

    expect((await post('moderator', 'grant')).statusCode).toBe(303);
    expect((await post('moderator', 'revoke')).statusCode).toBe(303);
    expect(await rolesOf(target)).toEqual([]);
    expect(
      (await auditEntries('accounts.role.granted', administrator.id)).map((entry) => [
        entry.subject_id,
        JSON.parse(entry.detail) as unknown,
      ]),
    ).toEqual([[target.id, { role: 'moderator' }]]);
    expect(await auditEntries('accounts.role.revoked', administrator.id)).toHaveLength(1);

    expect((await post('member', 'grant')).statusCode).toBe(400);
    expect((await post('superuser', 'grant')).statusCode).toBe(400);
    expect((await post('moderator', 'promote')).statusCode).toBe(400);
    const noCsrf = await app.inject({
      method: 'POST',
      url: `/admin/members/${target.id}/roles`,
      headers: { ...login.headers, ...FORM },
      payload: 'role=moderator&change=grant',
    });
    expect(noCsrf.statusCode).toBe(403);
    expect(await rolesOf(target)).toEqual([]);
  });

  it('never removes the last admin', async () => {
    // This test's database holds admins from other tests: revoke them all but one first.
    const { member: last, login } = await staff(['admin']);
    const others = await tablesOf<AccountsTables>(current().db)
      .selectFrom('accounts_roles')
      .select('user_id')
      .where('role', '=', 'admin')
      .where('user_id', '!=', last.id)
      .execute();
    const revoke = (memberId: string) =>
      app.inject({
        method: 'POST',
        url: `/admin/members/${memberId}/roles`,
        headers: { ...login.headers, ...FORM },
        payload: new URLSearchParams({
          _csrf: login.csrfToken,
          role: 'admin',
          change: 'revoke',
        }).toString(),
      });
    for (const other of others) expect((await revoke(other.user_id)).statusCode).toBe(303);
    const refused = await revoke(last.id);
    expect(refused.statusCode).toBe(409);
    expect(refused.body).toContain('last admin');
    expect(await rolesOf(last)).toEqual(['admin']);
  });

  it('shows caught mail to admins, as escaped text, and audits each look', async () => {
    const { member: administrator, login } = await staff(['admin']);
    const recipient = await makeMember(current().db);
    await queueMail(current().db, {
      to: recipient.email,
      subjectId: recipient.id,
      subject: 'Confirm your email address',
      text: 'Hello <script>alert(1)</script>, follow https://hearth.example/verify?token=abc',
      html: '<p>Hello <img src=x onerror=alert(1)></p>',
      category: 'account.verify-email',
    });
    await app.runDueJobs();

    const list = await app.inject({ url: '/admin/mail', headers: login.headers });
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain('Confirm your email address');
    const id = /href="\/admin\/mail\/([0-9A-Z]{26})"/.exec(list.body)?.[1];
    expect(id).toBeDefined();

    const message = await app.inject({ url: `/admin/mail/${id}`, headers: login.headers });
    expect(message.statusCode).toBe(200);
    expect(message.body).toContain('Hello &lt;script>alert(1)&lt;/script>');
    expect(message.body).not.toContain('<script>alert(1)');
    expect(message.body).not.toContain('onerror=alert');
    expect(message.body).toContain('https://hearth.example/verify?token=abc');

    expect(await auditEntries('admin.mail.listed', administrator.id)).toHaveLength(1);
    const viewed = await auditEntries('admin.mail.viewed', administrator.id);
    expect(viewed.map((entry) => entry.subject_id)).toEqual([recipient.id]);

    expect(
      (await app.inject({ url: '/admin/mail?cursor=nope', headers: login.headers })).statusCode,
    ).toBe(400);
    expect(
      (await app.inject({ url: '/admin/mail/01ARZ3NDEKTSV4RRFFQ69G5FAV', headers: login.headers }))
        .statusCode,
    ).toBe(404);
  });
});
