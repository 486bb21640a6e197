import { describe, expect, it } from 'vitest';
import { collectOwners } from '../../app.js';
import { createPrivacyRegistry } from '../../privacy/registry.js';
import { runRetention } from '../../privacy/retention/retention.engine.js';
import { tablesOf } from '../../platform/db/database.js';
import type { AuditTables } from '../../privacy/audit/audit.tables.js';
import { describeEachDialect } from '../../../test/helpers/dialects.js';
import { makeMember } from '../../../test/helpers/members.js';
import {
  completeRequest,
  createPublicRequest,
  createRequest,
  extendRequest,
  getRequest,
  listRequestQueue,
  listRequestsForSubject,
  refuseRequest,
  requestCountsByKindAndMonth,
  startRequest,
  VERIFICATION_MAX_ATTEMPTS,
  verifyPublicRequest,
} from './rights.requests.service.js';
import type { RightsTables } from './rights.requests.tables.js';

describeEachDialect('rights request queue', (current) => {
  const db = () => current().db;

  /** The audit actions recorded for one request, oldest first. */
  const auditActions = async (requestId: string) => {
    const rows = await tablesOf<AuditTables>(db())
      .selectFrom('audit_chain')
      .innerJoin('audit_details', 'audit_details.seq', 'audit_chain.seq')
      .select(['audit_chain.action', 'audit_details.detail', 'audit_details.subject_id'])
      .orderBy('audit_chain.seq')
      .execute();
    return rows
      .filter((row) => (JSON.parse(row.detail) as { requestId?: string }).requestId === requestId)
      .map((row) => ({ action: row.action, subjectId: row.subject_id }));
  };

  describe('filing', () => {
    it('files a request due one calendar month later, moved off the weekend, and audits it', async () => {
      const member = await makeMember(db());
      const created = await createRequest(db(), {
        subjectId: member.id,
        kind: 'access',
        via: 'member',
        receivedAt: new Date('2026-10-07T10:00:00Z'),
      });
      expect(created).toMatchObject({
        kind: 'access',
        status: 'received',
        receivedAt: '2026-10-07T10:00:00.000Z',
        dueAt: '2026-11-09', // 7 November 2026 is a Saturday
        extendedDueAt: null,
        completedAt: null,
      });
      expect(await auditActions(created.id)).toEqual([
        { action: 'rights.request.received', subjectId: member.id },
      ]);
      expect(await listRequestsForSubject(db(), member.id)).toEqual([created]);
    });

    it('refuses an unknown kind, a missing or unknown purpose and a rectification without details', async () => {
      const member = await makeMember(db());
      const base = { subjectId: member.id, via: 'member' as const };
      await expect(
        createRequest(db(), { ...base, kind: 'delete-everything' }),
      ).rejects.toMatchObject({
        code: 'validation_failed',
        fields: { kind: expect.any(String) as string },
      });
      await expect(createRequest(db(), { ...base, kind: 'objection' })).rejects.toMatchObject({
        fields: { purpose: expect.any(String) as string },
      });
      await expect(
        createRequest(db(), { ...base, kind: 'restriction', purpose: 'mind-reading' }),
      ).rejects.toMatchObject({ fields: { purpose: expect.any(String) as string } });
      await expect(
        createRequest(db(), { ...base, kind: 'rectification', details: '   ' }),
      ).rejects.toMatchObject({ fields: { details: expect.any(String) as string } });
      expect(await listRequestsForSubject(db(), member.id)).toEqual([]);
    });
  });

  describe('handling', () => {
    it('extends once by up to two months with a reason the member sees, then completes', async () => {
      const member = await makeMember(db());
      const dpo = await makeMember(db(), { roles: ['dpo'] });
      const request = await createRequest(db(), {
        subjectId: member.id,
        kind: 'portability',
        via: 'member',
        receivedAt: new Date('2026-06-15T09:00:00Z'),
      });
      await startRequest(db(), { id: request.id, actorId: dpo.id });
      const extended = await extendRequest(db(), {
        id: request.id,
        dpoId: dpo.id,
        months: 2,
        reason: 'Your data spans several archived systems.',
      });
      expect(extended).toMatchObject({
        status: 'extended',
        dueAt: '2026-07-15',
        extendedDueAt: '2026-09-15',
        extensionReason: 'Your data spans several archived systems.',
      });
      await expect(
        extendRequest(db(), { id: request.id, dpoId: dpo.id, months: 1, reason: 'Again' }),
      ).rejects.toMatchObject({ code: 'conflict' });
      await expect(
        extendRequest(db(), {
          id: request.id,
          dpoId: dpo.id,
          months: 3 as unknown as 1,
          reason: 'Too long',
        }),
      ).rejects.toMatchObject({ code: 'validation_failed' });

      const done = await completeRequest(db(), {
        id: request.id,
        actorId: dpo.id,
        outcome: 'Sent the export.',
      });
      expect(done.status).toBe('completed');
      expect(done.completedAt).not.toBeNull();
      const [seen] = await listRequestsForSubject(db(), member.id);
      expect(seen).toMatchObject({ status: 'completed', outcome: 'Sent the export.' });
      expect((await auditActions(request.id)).map((entry) => entry.action)).toEqual([
        'rights.request.received',
        'rights.request.in-progress',
        'rights.request.extended',
        'rights.request.completed',
      ]);
      await expect(
        refuseRequest(db(), { id: request.id, actorId: dpo.id, reason: 'Too late' }),
      ).rejects.toMatchObject({ code: 'conflict' });
    });

    it('P52 a rectification is refused with a reason the member sees', async () => {
      const member = await makeMember(db());
      const dpo = await makeMember(db(), { roles: ['dpo'] });
      const request = await createRequest(db(), {
        subjectId: member.id,
        kind: 'rectification',
        details: 'My date of joining is wrong: it was 2019.',
        via: 'member',
      });
      await expect(
        refuseRequest(db(), { id: request.id, actorId: dpo.id, reason: '  ' }),
      ).rejects.toMatchObject({ code: 'validation_failed' });
      await refuseRequest(db(), {
        id: request.id,
        actorId: dpo.id,
        reason: 'Our records show you joined in 2021.',
      });
      const [seen] = await listRequestsForSubject(db(), member.id);
      expect(seen).toMatchObject({
        status: 'refused',
        refusalReason: 'Our records show you joined in 2021.',
        details: 'My date of joining is wrong: it was 2019.',
      });
      await expect(
        completeRequest(db(), { id: 'missing', actorId: dpo.id, outcome: 'x' }),
      ).rejects.toMatchObject({ code: 'not_found' });
    });
  });

  describe('the DPO queue', () => {
    it('lists open requests by due date (the extended one when extended), page by page', async () => {
      const member = await makeMember(db());
      const dpo = await makeMember(db(), { roles: ['dpo'] });
      // Far-past dates keep this test's requests ahead of the other tests' in the queue.
      const early = await createRequest(db(), {
        subjectId: member.id,
        kind: 'access',
        via: 'member',
        receivedAt: new Date('2001-01-10T10:00:00Z'),
      });
      const extended = await createRequest(db(), {
        subjectId: member.id,
        kind: 'access',
        via: 'member',
        receivedAt: new Date('2001-01-05T10:00:00Z'),
      });
      await extendRequest(db(), { id: extended.id, dpoId: dpo.id, months: 1, reason: 'Complex' });
      const late = await createRequest(db(), {
        subjectId: member.id,
        kind: 'access',
        via: 'member',
        receivedAt: new Date('2001-01-20T10:00:00Z'),
      });
      const closed = await createRequest(db(), {
        subjectId: member.id,
        kind: 'access',
        via: 'member',
        receivedAt: new Date('2001-01-01T10:00:00Z'),
      });
      await refuseRequest(db(), { id: closed.id, actorId: dpo.id, reason: 'Duplicate' });

      const first = await listRequestQueue(db(), { limit: 2 });
      expect(first.items.map((item) => item.id)).toEqual([early.id, late.id]);
      expect(first.nextCursor).not.toBeNull();
      const second = await listRequestQueue(db(), { limit: 2, cursor: first.nextCursor ?? '' });
      expect(second.items[0]?.id).toBe(extended.id);
      expect(second.items.map((item) => item.id)).not.toContain(closed.id);

      const refused = await listRequestQueue(db(), { status: 'refused' });
      expect(refused.items.map((item) => item.id)).toContain(closed.id);
      await expect(listRequestQueue(db(), { cursor: 'not-a-cursor' })).rejects.toMatchObject({
        code: 'validation_failed',
      });
      await expect(
        listRequestQueue(db(), { status: 'lost' as unknown as 'received' }),
      ).rejects.toMatchObject({ code: 'validation_failed' });
    });

    it('counts requests by kind and month for the chart', async () => {
      const member = await makeMember(db());
      const at = (iso: string) => new Date(iso);
      for (const [kind, receivedAt] of [
        ['erasure', '2031-02-03T10:00:00Z'],
        ['erasure', '2031-02-20T10:00:00Z'],
        ['access', '2031-03-01T10:00:00Z'],
        ['access', '2030-06-01T10:00:00Z'],
      ] as const) {
        await createRequest(db(), {
          subjectId: member.id,
          kind,
          via: 'member',
          receivedAt: at(receivedAt),
        });
      }
      const counts = await requestCountsByKindAndMonth(db(), {
        months: 2,
        now: at('2031-03-15T00:00:00Z'),
      });
      expect(counts).toEqual([
        { month: '2031-02', kind: 'erasure', count: 2 },
        { month: '2031-03', kind: 'access', count: 1 },
      ]);
    });
  });

  describe('public requests', () => {
    it('joins the queue only once the emailed code is entered, and is linked to the account', async () => {
      const member = await makeMember(db());
      const { request, code } = await createPublicRequest(db(), {
        email: member.email.toUpperCase(),
        name: 'Alex Tester',
        kind: 'access',
        timezone: 'Europe/London',
      });
      expect(code).toMatch(/^\d{6}$/);
      expect(request.status).toBe('awaiting-verification');
      expect(await listRequestsForSubject(db(), member.id)).toEqual([]);
      const stored = await tablesOf<RightsTables>(db())
        .selectFrom('rights_request_verifications')
        .select('code_hash')
        .where('request_id', '=', request.id)
        .executeTakeFirstOrThrow();
      expect(stored.code_hash).not.toContain(code);

      const wrongCode = code === '000000' ? '000001' : '000000';
      await expect(
        verifyPublicRequest(db(), {
          requestId: request.id,
          code: wrongCode,
          timezone: 'Europe/London',
        }),
      ).rejects.toMatchObject({ code: 'validation_failed' });
      const verified = await verifyPublicRequest(db(), {
        requestId: request.id,
        code,
        timezone: 'Europe/London',
      });
      expect(verified.status).toBe('received');
      expect((await listRequestsForSubject(db(), member.id)).map((each) => each.id)).toEqual([
        request.id,
      ]);
      // A code works once.
      await expect(
        verifyPublicRequest(db(), { requestId: request.id, code, timezone: 'Europe/London' }),
      ).rejects.toMatchObject({ code: 'validation_failed' });
      const staffView = await getRequest(db(), request.id);
      expect(staffView).toMatchObject({
        via: 'public',
        requesterEmail: member.email.toLowerCase(),
      });
    });

    it('accepts an address with no account, and stops after too many wrong codes or expiry', async () => {
      const { request, code } = await createPublicRequest(db(), {
        email: `nobody-${Date.now()}@example.test`,
        name: 'Pat Nobody',
        kind: 'erasure',
        timezone: 'Europe/London',
      });
      expect((await getRequest(db(), request.id))?.subjectId).toBeNull();
      const wrongCode = code === '000000' ? '000001' : '000000';
      for (let attempt = 0; attempt < VERIFICATION_MAX_ATTEMPTS; attempt += 1) {
        await expect(
          verifyPublicRequest(db(), { requestId: request.id, code: wrongCode, timezone: 'UTC' }),
        ).rejects.toMatchObject({ code: 'validation_failed' });
      }
      await expect(
        verifyPublicRequest(db(), { requestId: request.id, code, timezone: 'UTC' }),
      ).rejects.toMatchObject({ code: 'validation_failed' });

      const second = await createPublicRequest(db(), {
        email: `late-${Date.now()}@example.test`,
        name: 'Sam Late',
        kind: 'access',
        timezone: 'UTC',
        now: new Date(Date.now() - 31 * 60 * 1000),
      });
      await expect(
        verifyPublicRequest(db(), {
          requestId: second.request.id,
          code: second.code,
          timezone: 'UTC',
        }),
      ).rejects.toMatchObject({ code: 'validation_failed' });
    });
  });

  describe('retention (rights.privacy.ts)', () => {
    it('deletes expired codes, and closed requests six years after they closed, keeping open ones', async () => {
      const member = await makeMember(db());
      const dpo = await makeMember(db(), { roles: ['dpo'] });
      const registry = createPrivacyRegistry(collectOwners());
      const expired = await createPublicRequest(db(), {
        email: `expired-${Date.now()}@example.test`,
        name: 'Old Code',
        kind: 'access',
        timezone: 'UTC',
        now: new Date(Date.now() - 3 * 60 * 60 * 1000),
      });
      const closed = await createRequest(db(), {
        subjectId: member.id,
        kind: 'access',
        via: 'member',
      });
      await completeRequest(db(), { id: closed.id, actorId: dpo.id, outcome: 'Sent.' });
      const open = await createRequest(db(), {
        subjectId: member.id,
        kind: 'access',
        via: 'member',
      });
      const rights = tablesOf<RightsTables>(db());
      const codes = () =>
        rights
          .selectFrom('rights_request_verifications')
          .select('id')
          .where('request_id', '=', expired.request.id)
          .execute();
      expect(await codes()).toHaveLength(1);

      await runRetention(db(), registry, { asOf: new Date(), dryRun: false });
      expect(await codes()).toHaveLength(0);
      expect(await getRequest(db(), closed.id)).not.toBeNull();

      const sixYearsOn = new Date(Date.now() + (6 * 366 + 1) * 86_400_000);
      await runRetention(db(), registry, { asOf: sixYearsOn, dryRun: false });
      expect(await getRequest(db(), closed.id)).toBeNull();
      expect(await getRequest(db(), open.id)).not.toBeNull();
    });
  });
});
