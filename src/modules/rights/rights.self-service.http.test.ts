import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { tablesOf } from '../../platform/db/database.js';
import { can, listProcessingLimits, recordObjectionOverride } from '../../privacy/consent/index.js';
import { disclose } from '../../privacy/disclosures/index.js';
import { liftHold, listHolds, placeHold } from '../../privacy/holds/holds.service.js';
import { buildTestApp } from '../../../test/helpers/app.js';
import { makeTempDir } from '../../../test/helpers/config.js';
import { describeEachDialect } from '../../../test/helpers/dialects.js';
import { loginAs, makeMember, type LoggedIn } from '../../../test/helpers/members.js';
import {
  FIXTURE_MIGRATIONS,
  FixtureFileStore,
  fixtureOwners,
  makeMember as makeFixtureMember,
  makePost,
  type FixtureTables,
} from '../../../test/fixtures/privacy-owner/index.js';
import { readZip } from '../../../test/fixtures/privacy-owner/read-zip.js';
import { ANONYMISE_JOB, rightsJobs } from './rights.jobs.js';
import { listRequestsForSubject } from './rights.requests.service.js';

describeEachDialect(
  'rights self-service API',
  (current) => {
    let app: FastifyInstance;
    beforeAll(async () => {
      app = await buildTestApp(current(), {
        extraOwners: fixtureOwners({ files: new FixtureFileStore(makeTempDir('hearth-files-')) }),
      });
    });
    afterAll(async () => {
      await app.close();
    });

    async function loggedInMember() {
      const member = await makeMember(current().db);
      return { member, session: await loginAs(app, member) };
    }
    const send = (
      session: LoggedIn,
      method: 'GET' | 'POST' | 'PUT' | 'DELETE',
      url: string,
      payload?: Record<string, unknown>,
    ) =>
      app.inject({
        method,
        url,
        headers: session.headers,
        ...(payload === undefined ? {} : { payload }),
      });
    const postForm = (session: LoggedIn, url: string, fields: Record<string, string>) =>
      app.inject({
        method: 'POST',
        url,
        headers: { ...session.headers, 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ _csrf: session.csrfToken, ...fields }).toString(),
      });

    describe('export', () => {
      it('P27 streams the engine ZIP after re-authentication, without secrets, and files an access request', async () => {
        const { member, session } = await loggedInMember();
        const response = await send(session, 'POST', '/api/v1/me/export', {
          password: member.password,
        });
        expect(response.statusCode).toBe(200);
        expect(response.headers['content-type']).toBe('application/zip');
        expect(response.headers['cache-control']).toBe('no-store');
        expect(response.headers['content-disposition']).toMatch(
          /^attachment; filename="hearth-export-\d{4}-\d{2}-\d{2}\.zip"$/,
        );
        const entries = readZip(response.rawPayload);
        const data = entries.get('data.json')?.toString('utf8') ?? '';
        expect(data).toContain(member.email.toLowerCase());
        expect(data).toContain(member.username);
        expect(data).not.toContain('password_hash');
        expect(data).not.toContain('$argon2id$');
        expect(entries.has('index.html')).toBe(true);

        // The request is filed once the last byte is written, just after the response ends.
        await vi.waitFor(async () => {
          const requests = await listRequestsForSubject(current().db, member.id);
          expect(requests).toHaveLength(1);
          expect(requests[0]).toMatchObject({ kind: 'access', status: 'completed' });
        });
      });

      it('refuses a wrong password with 403 and streams nothing', async () => {
        const { member, session } = await loggedInMember();
        const response = await send(session, 'POST', '/api/v1/me/export', {
          password: 'not my password',
        });
        expect(response.statusCode).toBe(403);
        expect(response.headers['content-type']).toMatch(/^application\/json/);
        expect(response.json()).toMatchObject({ error: { code: 'reauthentication_required' } });
        expect(await listRequestsForSubject(current().db, member.id)).toHaveLength(0);
      });

      it('answers 401 without a session', async () => {
        const response = await app.inject({
          method: 'POST',
          url: '/api/v1/me/export',
          headers: { origin: app.config.publicUrl },
          payload: { password: 'anything' },
        });
        expect(response.statusCode).toBe(401);
      });

      it('the privacy center form downloads the ZIP, or goes back with ?exportError=password', async () => {
        const { member, session } = await loggedInMember();
        const wrong = await postForm(session, '/account/privacy/export', { password: 'nope' });
        expect(wrong.statusCode).toBe(303);
        expect(wrong.headers.location).toBe('/account/privacy?exportError=password#export');
        const right = await postForm(session, '/account/privacy/export', {
          password: member.password,
        });
        expect(right.statusCode).toBe(200);
        expect(right.headers['content-type']).toBe('application/zip');
        expect(readZip(right.rawPayload).has('data.json')).toBe(true);
      });
    });

    describe('anonymise posts', () => {
      it('P42 P54 anonymises the member’s posts through the owner’s declaration; the account stays', async () => {
        const { member, session } = await loggedInMember();
        await makeFixtureMember(current().db, { id: member.id });
        const stranger = await makeFixtureMember(current().db);
        const mine = [
          await makePost(current().db, member.id),
          await makePost(current().db, member.id),
        ];
        const theirs = await makePost(current().db, stranger.id);

        const wrong = await send(session, 'POST', '/api/v1/me/anonymise-posts', {
          password: 'not my password',
        });
        expect(wrong.statusCode).toBe(403);

        const response = await send(session, 'POST', '/api/v1/me/anonymise-posts', {
          password: member.password,
        });
        expect(response.statusCode).toBe(200);
        const body = response.json<{ status: string; total: number; tables: unknown[] }>();
        expect(body.status).toBe('completed');
        expect(body.tables).toContainEqual({ table: 'fixture_posts', count: 2 });

        const posts = tablesOf<FixtureTables>(current().db).selectFrom('fixture_posts').selectAll();
        for (const post of mine) {
          expect(await posts.where('id', '=', post.id).executeTakeFirst()).toMatchObject({
            author_id: null,
            author_display: 'former member',
            ip_address: null,
            body: post.body,
          });
        }
        expect(await posts.where('id', '=', theirs.id).executeTakeFirst()).toMatchObject({
          author_id: stranger.id,
        });
        // The account is still there and still logged in.
        expect((await send(session, 'GET', '/api/v1/me/consents')).statusCode).toBe(200);

        const formWrong = await postForm(session, '/account/privacy/anonymise-posts', {
          password: 'nope',
        });
        expect(formWrong.headers.location).toBe(
          '/account/privacy?anonymiseError=reauthentication_required#names',
        );
        const later = await makePost(current().db, member.id);
        const form = await postForm(session, '/account/privacy/anonymise-posts', {
          password: member.password,
        });
        expect(form.headers.location).toBe('/account/privacy?done=anonymised#names');
        expect(await posts.where('id', '=', later.id).executeTakeFirst()).toMatchObject({
          author_id: null,
        });

        const again = await send(session, 'POST', '/api/v1/me/anonymise-posts', {
          password: member.password,
        });
        expect(again.json()).toMatchObject({ status: 'completed', total: 0 });
      });
      it('tells the member their request is in hand while a hold applies, and changes nothing', async () => {
        const { member, session } = await loggedInMember();
        await makeFixtureMember(current().db, { id: member.id });
        const post = await makePost(current().db, member.id);
        const dpo = await makeMember(current().db, { roles: ['dpo'] });
        await placeHold(current().db, {
          subjectId: member.id,
          kind: 'safeguarding',
          reason: 'A safeguarding referral concerns this account.',
          placedBy: dpo.id,
        });
        const response = await send(session, 'POST', '/api/v1/me/anonymise-posts', {
          password: member.password,
        });
        expect(response.statusCode).toBe(200);
        expect(response.json()).toEqual({ status: 'in-progress', total: 0, tables: [] });
        expect(response.body).not.toMatch(/hold|safeguarding/i);
        const authorOfPost = async () =>
          (
            await tablesOf<FixtureTables>(current().db)
              .selectFrom('fixture_posts')
              .select('author_id')
              .where('id', '=', post.id)
              .executeTakeFirst()
          )?.author_id;
        expect(await authorOfPost()).toBe(member.id);

        // The request is kept as a job for the next day; while the hold lasts it waits again.
        const deferred = () =>
          tablesOf<{ jobs: { id: string; name: string; payload: string; status: string } }>(
            current().db,
          )
            .selectFrom('jobs')
            .select(['id', 'status'])
            .where('name', '=', ANONYMISE_JOB)
            .where('payload', 'like', `%${member.id}%`)
            .execute();
        expect(await deferred()).toHaveLength(1);
        const anonymise = rightsJobs[ANONYMISE_JOB];
        if (!anonymise) throw new Error('rights.anonymise is not registered');
        const context = {
          db: current().db,
          config: app.config,
          log: app.log,
          attempt: 1,
          maxAttempts: 5,
          jobId: 'test',
          runAt: new Date(),
        };
        await anonymise(context, { memberId: member.id });
        expect(await authorOfPost()).toBe(member.id);
        expect((await deferred()).length).toBeGreaterThanOrEqual(1);

        // Once the hold is lifted, the next run anonymises the posts.
        const [hold] = await listHolds(current().db, member.id);
        if (!hold) throw new Error('no hold');
        await liftHold(current().db, {
          holdId: hold.id,
          liftedBy: dpo.id,
          reason: 'Referral closed.',
        });
        await anonymise(context, { memberId: member.id });
        expect(await authorOfPost()).toBeNull();
      });
    });

    describe('consents', () => {
      it('P36 gives and withdraws consent with a signed receipt the member can download', async () => {
        const { member, session } = await loggedInMember();
        const granted = await send(session, 'PUT', '/api/v1/me/consents/newsletter', {
          granted: true,
          scope: 'newsletter:pregnancy-weekly',
        });
        expect(granted.statusCode).toBe(200);
        const body = granted.json<{
          consent: Record<string, unknown>;
          receipt: { id: string; jws: string };
        }>();
        expect(body.consent).toMatchObject({
          purpose: 'newsletter',
          scope: 'newsletter:pregnancy-weekly',
          granted: true,
          method: 'api',
        });
        expect(body.receipt.jws.split('.')).toHaveLength(3);

        const withdrawn = await send(session, 'PUT', '/api/v1/me/consents/newsletter', {
          granted: false,
          scope: 'newsletter:pregnancy-weekly',
        });
        expect(withdrawn.statusCode).toBe(200);

        const list = await send(session, 'GET', '/api/v1/me/consents');
        expect(list.json()).toEqual({
          items: [
            {
              purpose: 'newsletter',
              scope: 'newsletter:pregnancy-weekly',
              granted: false,
              method: 'api',
              at: expect.any(String) as string,
              noticeVersion: expect.any(Number) as number,
            },
          ],
        });

        const receipt = await send(
          session,
          'GET',
          `/api/v1/me/consents/receipts/${body.receipt.id}`,
        );
        expect(receipt.statusCode).toBe(200);
        expect(receipt.headers['content-type']).toMatch(/^application\/jose/);
        expect(receipt.body).toBe(body.receipt.jws);

        const someoneElse = await loggedInMember();
        const theirs = await send(
          someoneElse.session,
          'GET',
          `/api/v1/me/consents/receipts/${body.receipt.id}`,
        );
        expect(theirs.statusCode).toBe(404);
        expect(member.id).not.toBe(someoneElse.member.id);
      });

      it('points a non-consent purpose to objection (409) and an unknown one to 404', async () => {
        const { session } = await loggedInMember();
        const contract = await send(session, 'PUT', '/api/v1/me/consents/account', {
          granted: false,
        });
        expect(contract.statusCode).toBe(409);
        expect(contract.json<{ error: { message: string } }>().error.message).toMatch(
          /objection or a restriction/,
        );
        const unknown = await send(session, 'PUT', '/api/v1/me/consents/astrology', {
          granted: true,
        });
        expect(unknown.statusCode).toBe(404);
        const badBody = await send(session, 'PUT', '/api/v1/me/consents/newsletter', {
          granted: 'yes',
        });
        expect(badBody.statusCode).toBe(400);
      });

      it('the privacy center switch records a form consent and goes back to #consents', async () => {
        const { member, session } = await loggedInMember();
        const response = await postForm(session, '/account/privacy/consents', {
          purpose: 'analytics',
          granted: 'true',
        });
        expect(response.statusCode).toBe(303);
        expect(response.headers.location).toBe('/account/privacy?done=consent#consents');
        expect(await can(current().db, member.id, 'analytics')).toBe(true);
        const refused = await postForm(session, '/account/privacy/consents', {
          purpose: 'account',
          granted: 'false',
        });
        expect(refused.headers.location).toBe('/account/privacy?consentError=conflict#consents');
      });
    });

    describe('disclosures', () => {
      it('P01 lists who received the member’s data', async () => {
        const { member, session } = await loggedInMember();
        const staff = await makeMember(current().db, { roles: ['dpo'] });
        await disclose(current().db, {
          subjectId: member.id,
          recipient: 'greater-manchester-police',
          purpose: 'safeguarding',
          categories: ['user.name', 'user.contact.email'],
          basis: 'legal-obligation',
          reference: 'Production order 2026/881',
          actorId: staff.id,
          actorKind: 'staff',
        });
        const response = await send(session, 'GET', '/api/v1/me/disclosures');
        expect(response.statusCode).toBe(200);
        expect(response.json()).toEqual({
          items: [
            {
              recipient: 'greater-manchester-police',
              purpose: 'safeguarding',
              categories: ['user.contact.email', 'user.name'],
              basis: 'legal-obligation',
              at: expect.any(String) as string,
            },
          ],
        });
      });
    });

    describe('restriction and objection', () => {
      it('P53 an objection stops processing at once; a DPO override resumes it and the member sees the reason', async () => {
        const { member, session } = await loggedInMember();
        expect(await can(current().db, member.id, 'helpdesk')).toBe(true);
        const objected = await send(session, 'POST', '/api/v1/me/objections', {
          purpose: 'helpdesk',
          reason: 'I no longer want my old tickets used.',
        });
        expect(objected.statusCode).toBe(201);
        expect(objected.json()).toMatchObject({
          kind: 'objection',
          purpose: 'helpdesk',
          status: 'active',
          override: null,
        });
        expect(await can(current().db, member.id, 'helpdesk')).toBe(false);

        const dpo = await makeMember(current().db, { roles: ['dpo'] });
        const [objection] = await listProcessingLimits(current().db, member.id);
        await recordObjectionOverride(current().db, {
          objectionId: objection?.id ?? '',
          dpoId: dpo.id,
          reason: 'An open safeguarding case needs the ticket history.',
        });
        expect(await can(current().db, member.id, 'helpdesk')).toBe(true);

        const list = await send(session, 'GET', '/api/v1/me/processing-limits');
        expect(list.statusCode).toBe(200);
        const items = list.json<{ items: Record<string, unknown>[] }>().items;
        expect(items).toHaveLength(1);
        expect(items[0]).toMatchObject({
          kind: 'objection',
          status: 'overridden',
          override: { reason: 'An open safeguarding case needs the ticket history.' },
        });
        expect(JSON.stringify(items)).not.toContain(dpo.id);

        const withdrawn = await send(session, 'DELETE', '/api/v1/me/objections/helpdesk');
        expect(withdrawn.statusCode).toBe(200);
        expect(withdrawn.json()).toMatchObject({ status: 'withdrawn' });
        const again = await send(session, 'DELETE', '/api/v1/me/objections/helpdesk');
        expect(again.statusCode).toBe(404);
      });

      it('a restriction stops processing at once until the member lifts it', async () => {
        const { member, session } = await loggedInMember();
        const restricted = await send(session, 'POST', '/api/v1/me/restrictions', {
          purpose: 'community',
        });
        expect(restricted.statusCode).toBe(201);
        expect(await can(current().db, member.id, 'community')).toBe(false);
        const lifted = await send(session, 'DELETE', '/api/v1/me/restrictions/community');
        expect(lifted.statusCode).toBe(200);
        expect(lifted.json()).toMatchObject({ kind: 'restriction', status: 'lifted' });
        expect(await can(current().db, member.id, 'community')).toBe(true);
      });

      it('refuses an objection to a consent purpose with 409 and an unknown purpose with 400', async () => {
        const { session } = await loggedInMember();
        const consent = await send(session, 'POST', '/api/v1/me/objections', {
          purpose: 'newsletter',
        });
        expect(consent.statusCode).toBe(409);
        expect(consent.json<{ error: { message: string } }>().error.message).toMatch(
          /withdraw the consent/,
        );
        const unknown = await send(session, 'POST', '/api/v1/me/restrictions', {
          purpose: 'astrology',
        });
        expect(unknown.statusCode).toBe(400);
      });

      it('the privacy center forms object, restrict, lift and withdraw, back to #limits', async () => {
        const { member, session } = await loggedInMember();
        const object = await postForm(session, '/account/privacy/objections', {
          purpose: 'advertising',
          reason: '',
        });
        expect(object.headers.location).toBe('/account/privacy?done=objection#limits');
        expect(await can(current().db, member.id, 'advertising')).toBe(false);
        const restrict = await postForm(session, '/account/privacy/restrictions', {
          purpose: 'community',
        });
        expect(restrict.headers.location).toBe('/account/privacy?done=restriction#limits');
        expect(await can(current().db, member.id, 'community')).toBe(false);

        const lift = await postForm(session, '/account/privacy/restrictions/lift', {
          purpose: 'community',
        });
        expect(lift.headers.location).toBe('/account/privacy?done=lifted#limits');
        const withdraw = await postForm(session, '/account/privacy/objections/withdraw', {
          purpose: 'advertising',
        });
        expect(withdraw.headers.location).toBe('/account/privacy?done=withdrawn#limits');
        expect(await can(current().db, member.id, 'community')).toBe(true);
        expect(await can(current().db, member.id, 'advertising')).toBe(true);

        const nothing = await postForm(session, '/account/privacy/restrictions/lift', {
          purpose: 'community',
        });
        expect(nothing.headers.location).toBe('/account/privacy?limitError=not_found#limits');
      });
    });
  },
  { extraMigrationFolders: [FIXTURE_MIGRATIONS] },
);
