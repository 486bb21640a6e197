import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildTestApp } from '../../../test/helpers/app.js';
import { describeEachDialect } from '../../../test/helpers/dialects.js';
import { loginAs, makeMember, type LoggedIn } from '../../../test/helpers/members.js';
import { tablesOf } from '../../platform/db/database.js';
import { disclose } from '../../privacy/disclosures/index.js';
import { recordObjection, recordObjectionOverride } from '../../privacy/consent/index.js';
import { PURPOSE_KEYS, PURPOSES } from '../../privacy/purposes.js';
import type { AccountsTables } from '../accounts/index.js';
import { createRequest, extendRequest, refuseRequest } from './rights.requests.service.js';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

describeEachDialect('the privacy center', (current) => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestApp(current());
  });
  afterAll(async () => {
    await app?.close();
  });

  const page = (login: LoggedIn, query = '') =>
    app.inject({ method: 'GET', url: `/account/privacy${query}`, headers: login.headers });
  const postForm = (login: LoggedIn, url: string, fields: Record<string, string>) =>
    app.inject({
      method: 'POST',
      url,
      headers: { ...login.headers, ...FORM },
      payload: new URLSearchParams({ _csrf: login.csrfToken, ...fields }).toString(),
    });

  it('sends a visitor who is not logged in to the log-in page', async () => {
    const response = await app.inject({ method: 'GET', url: '/account/privacy' });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/login?next=%2Faccount%2Fprivacy');
  });

  it('P01 P36 shows a member their own requests, disclosures, consents and objections, and nobody else’s', async () => {
    const db = current().db;
    const owner = await makeMember(db);
    const other = await makeMember(db);
    const ownRequest = await createRequest(db, {
      subjectId: owner.id,
      kind: 'rectification',
      details: 'My surname is misspelt',
      via: 'member',
    });
    const othersRequest = await createRequest(db, {
      subjectId: other.id,
      kind: 'access',
      via: 'member',
    });
    await extendRequest(db, {
      id: ownRequest.id,
      dpoId: other.id,
      months: 2,
      reason: 'We must check paper records first',
    });
    await refuseRequest(db, {
      id: othersRequest.id,
      actorId: owner.id,
      reason: 'A reason only the other member may read',
    });
    const consentPurpose = PURPOSE_KEYS.find((key) => PURPOSES[key].isConsentBased);
    const objectable = PURPOSE_KEYS.find((key) => PURPOSES[key].canObject);
    expect(consentPurpose).toBeDefined();
    expect(objectable).toBeDefined();
    const objection = await recordObjection(db, {
      subjectId: owner.id,
      purpose: objectable ?? '',
      reason: 'I would rather you did not',
      recordedBy: owner.id,
    });
    await recordObjectionOverride(db, {
      objectionId: objection.id,
      dpoId: other.id,
      reason: 'Safeguarding a child requires it',
    });

    const login = await loginAs(app, owner);
    const response = await page(login);
    expect(response.statusCode).toBe(200);
    const html = response.body;
    expect(html).toContain('<h1>Your privacy</h1>');
    expect(html).toContain('Correct my data');
    expect(html).toContain('Being handled (we need more time)');
    expect(html).toContain('We must check paper records first');
    expect(html).toContain('Safeguarding a child requires it');
    expect(html).toContain(PURPOSES[consentPurpose ?? 'account'].title);
    expect(html).toContain('Turn on');
    expect(html).toContain('action="/account/privacy/export"');
    expect(html).toContain('action="/account/privacy/delete"');
    expect(html).toContain('We have not given your data to anyone outside Hearth.');
    expect(html).not.toContain('A reason only the other member may read');
    expect(html).not.toContain(othersRequest.id);
    // Every control has a unique id although several forms share field names.
    const ids = [...html.matchAll(/ id="([^"]+)"/g)].map((match) => match[1]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('lists a disclosure of the member’s data with its recipient', async () => {
    const db = current().db;
    const member = await makeMember(db);
    await disclose(db, {
      subjectId: member.id,
      recipient: 'greater-manchester-police',
      purpose: 'legal-obligation',
      categories: ['user.name', 'user.contact.email'],
      basis: 'legal-obligation',
      reference: 'GMP-2026-0042',
      actorId: member.id,
      actorKind: 'staff',
    });
    const response = await page(await loginAs(app, member));
    expect(response.body).toContain('greater-manchester-police');
    expect(response.body).not.toContain('We have not given your data to anyone');
  });

  it('shows a refused export password next to the export form, in words it chose itself', async () => {
    const member = await makeMember(current().db);
    const login = await loginAs(app, member);
    const response = await page(login, '?exportError=password');
    expect(response.body).toContain('That password is not right. Try again.');
    const crafted = await page(login, '?exportError=%3Cscript%3E');
    expect(crafted.statusCode).toBe(200);
    expect(crafted.body).not.toContain('<script>');
  });

  it('P36 deletes the account from the page: a wrong password changes nothing; the right one disables log-in at once', async () => {
    const db = current().db;
    const member = await makeMember(db);
    const login = await loginAs(app, member);

    const wrong = await postForm(login, '/account/privacy/delete', { password: 'not my password' });
    expect(wrong.statusCode).toBe(303);
    expect(wrong.headers.location).toBe(
      '/account/privacy?deleteError=reauthentication_required#delete',
    );
    expect((await page(login)).statusCode).toBe(200);

    const done = await postForm(login, '/account/privacy/delete', { password: member.password });
    expect(done.statusCode).toBe(200);
    expect(done.body).toContain('Your account is being deleted');
    const user = await tablesOf<AccountsTables>(db)
      .selectFrom('accounts_users')
      .select('status')
      .where('id', '=', member.id)
      .executeTakeFirstOrThrow();
    expect(user.status).toBe('erasing');
    // The session that asked is gone: the page now asks for a log-in.
    expect((await page(login)).statusCode).toBe(303);
  });

  it('P52 files a rectification request from the page, which then lists it with its due date', async () => {
    const member = await makeMember(current().db);
    const login = await loginAs(app, member);
    const empty = await postForm(login, '/account/privacy/requests', {
      kind: 'rectification',
      details: '',
    });
    expect(empty.headers.location).toBe('/account/privacy?requestError=validation_failed#requests');
    const filed = await postForm(login, '/account/privacy/requests', {
      kind: 'rectification',
      details: 'My surname is spelt Okafor, not Okafur.',
    });
    expect(filed.statusCode).toBe(303);
    expect(filed.headers.location).toBe('/account/privacy?done=request#requests');
    const html = (await page(login)).body;
    expect(html).toContain('Correct my data');
    expect(html).toContain('action="/account/privacy/requests"');
    const listed = await app.inject({
      method: 'GET',
      url: '/api/v1/me/requests',
      headers: login.headers,
    });
    expect(listed.json()).toMatchObject({
      items: [{ kind: 'rectification', status: 'received' }],
    });
  });

  it('refuses the delete form without its CSRF token', async () => {
    const member = await makeMember(current().db);
    const login = await loginAs(app, member);
    const response = await app.inject({
      method: 'POST',
      url: '/account/privacy/delete',
      headers: { ...login.headers, ...FORM },
      payload: new URLSearchParams({ password: member.password }).toString(),
    });
    expect(response.statusCode).toBe(403);
  });
});
