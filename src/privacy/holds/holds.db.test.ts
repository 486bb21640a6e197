import { expect, it } from 'vitest';
import { tablesOf } from '../../platform/db/database.js';
import { newId } from '../../platform/db/ids.js';
import { describeEachDialect } from '../../../test/helpers/dialects.js';
import { verifyAuditChain } from '../audit/audit.service.js';
import type { AuditTables } from '../audit/audit.tables.js';
import { heldSubjects, isUnderHold, liftHold, listHolds, placeHold } from './holds.service.js';

const DAY = 24 * 60 * 60 * 1000;

describeEachDialect('holds', (current) => {
  it('P34 a safeguarding hold with a reason keeps its subject held until lifted, and both acts are audited', async () => {
    const { db } = current();
    const memberId = newId();
    const staffId = newId();
    const hold = await placeHold(db, {
      subjectId: memberId,
      kind: 'safeguarding',
      reason: '  Referral to the local safeguarding board, case 2026/118.  ',
      placedBy: staffId,
    });
    expect(hold).toMatchObject({
      subjectId: memberId,
      kind: 'safeguarding',
      reason: 'Referral to the local safeguarding board, case 2026/118.',
      placedBy: staffId,
      until: null,
      active: true,
    });
    expect(await isUnderHold(db, memberId)).toBe(true);
    expect(await isUnderHold(db, newId())).toBe(false);

    const lifted = await liftHold(db, {
      holdId: hold.id,
      liftedBy: staffId,
      reason: 'The board closed the case.',
    });
    expect(lifted).toMatchObject({
      active: false,
      liftedBy: staffId,
      liftReason: 'The board closed the case.',
    });
    expect(await isUnderHold(db, memberId)).toBe(false);
    // As of a moment before the lift, the hold was in force: a dated run stays careful.
    expect(await isUnderHold(db, memberId, new Date(Date.now() - DAY))).toBe(true);

    const audit = tablesOf<AuditTables>(db);
    const entries = await audit
      .selectFrom('audit_chain')
      .innerJoin('audit_details', 'audit_details.seq', 'audit_chain.seq')
      .select([
        'audit_chain.action',
        'audit_details.actor_id',
        'audit_details.subject_id',
        'audit_details.detail',
      ])
      .where('audit_details.actor_id', '=', staffId)
      .orderBy('audit_chain.seq')
      .execute();
    expect(entries.map((entry) => entry.action)).toEqual(['hold.placed', 'hold.lifted']);
    // The member is not named in the entries: their own audit details are part of their
    // export, and only staff may learn of a hold.
    expect(entries.every((entry) => entry.subject_id === null)).toBe(true);
    expect(JSON.parse(entries[0]?.detail ?? '{}')).toMatchObject({
      holdId: hold.id,
      kind: 'safeguarding',
    });
    expect((await verifyAuditChain(db)).ok).toBe(true);
  });

  it('P34 a hold with an end date stops holding once that date passes', async () => {
    const { db } = current();
    const memberId = newId();
    const until = new Date(Date.now() + 30 * DAY);
    await placeHold(db, {
      subjectId: memberId,
      kind: 'legal',
      reason: 'Litigation hold: claim expected before the limitation date.',
      placedBy: newId(),
      until,
    });
    expect(await isUnderHold(db, memberId)).toBe(true);
    expect(await isUnderHold(db, memberId, new Date(until.getTime() - 1000))).toBe(true);
    expect(await isUnderHold(db, memberId, until)).toBe(false);
    expect(await isUnderHold(db, memberId, new Date(until.getTime() + DAY))).toBe(false);
    const [listed] = await listHolds(db, memberId);
    expect(listed?.until?.toISOString()).toBe(until.toISOString());
  });

  it('answers for many subjects at once', async () => {
    const { db } = current();
    const ids = Array.from({ length: 1200 }, () => newId());
    const heldIds = [ids[3], ids[640], ids[1199]] as string[];
    for (const subjectId of heldIds) {
      await placeHold(db, { subjectId, kind: 'legal', reason: 'Court order.', placedBy: newId() });
    }
    const lifted = await placeHold(db, {
      subjectId: ids[7] as string,
      kind: 'legal',
      reason: 'Court order.',
      placedBy: newId(),
    });
    await liftHold(db, { holdId: lifted.id, liftedBy: newId(), reason: 'Order discharged.' });
    const held = await heldSubjects(db, ids);
    expect([...held].sort()).toEqual([...heldIds].sort());
    expect(await heldSubjects(db, [])).toEqual(new Set());
  });

  it('refuses bad input with 4xx and changes nothing', async () => {
    const { db } = current();
    const memberId = newId();
    const base = {
      subjectId: memberId,
      kind: 'legal' as const,
      reason: 'Court order.',
      placedBy: newId(),
    };
    await expect(placeHold(db, { ...base, reason: '   ' })).rejects.toMatchObject({
      statusCode: 400,
      fields: { reason: 'is required' },
    });
    await expect(
      placeHold(db, { ...base, kind: 'personal' as unknown as 'legal' }),
    ).rejects.toMatchObject({ statusCode: 400 });
    await expect(placeHold(db, { ...base, subjectId: '' })).rejects.toMatchObject({
      statusCode: 400,
    });
    await expect(
      placeHold(db, { ...base, until: new Date(Date.now() - 1000) }),
    ).rejects.toMatchObject({ statusCode: 400, fields: { until: 'is not in the future' } });
    await expect(placeHold(db, { ...base, until: new Date('nonsense') })).rejects.toMatchObject({
      statusCode: 400,
    });
    await expect(placeHold(db, { ...base, reason: 'x'.repeat(2001) })).rejects.toMatchObject({
      statusCode: 400,
    });
    expect(await listHolds(db, memberId)).toEqual([]);

    await expect(
      liftHold(db, { holdId: newId(), liftedBy: newId(), reason: 'done' }),
    ).rejects.toMatchObject({ statusCode: 404 });
    const hold = await placeHold(db, base);
    await liftHold(db, { holdId: hold.id, liftedBy: newId(), reason: 'done' });
    await expect(
      liftHold(db, { holdId: hold.id, liftedBy: newId(), reason: 'again' }),
    ).rejects.toMatchObject({ statusCode: 409 });
    await expect(
      liftHold(db, { holdId: hold.id, liftedBy: newId(), reason: '' }),
    ).rejects.toMatchObject({ statusCode: 400 });
  });

  it('places a hold and its audit entry together, or neither', async () => {
    const { db } = current();
    const memberId = newId();
    const staffId = newId();
    await expect(
      db.transaction().execute(async (trx) => {
        await placeHold(trx, {
          subjectId: memberId,
          kind: 'legal',
          reason: 'Court order.',
          placedBy: staffId,
        });
        throw new Error('the request failed after placing the hold');
      }),
    ).rejects.toThrow('after placing');
    expect(await listHolds(db, memberId)).toEqual([]);
    const entries = await tablesOf<AuditTables>(db)
      .selectFrom('audit_details')
      .select('seq')
      .where('actor_id', '=', staffId)
      .execute();
    expect(entries).toEqual([]);
  });
});
