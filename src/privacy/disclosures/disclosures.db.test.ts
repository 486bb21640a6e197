import { expect, it } from 'vitest';
import type { DataCategory } from '../../platform/datamap.js';
import type { AppError } from '../../platform/http/errors.js';
import { describeEachDialect } from '../../../test/helpers/dialects.js';
import { auditActionsAbout } from '../../../test/privacy/audit-trail.js';
import { makeIssuer, makeSubjectId } from '../../../test/privacy/consent-factories.js';
import { recordConsent } from '../consent/consent.service.js';
import { recordRestriction } from '../consent/limits.service.js';
import {
  DisclosureRefusedError,
  InvalidDisclosureError,
  disclose,
  listDisclosures,
  type DiscloseInput,
} from './disclosures.service.js';

const issuer = makeIssuer();
const SPONSOR = 'acme-toys';
const ENTRY_DATA: DataCategory[] = ['user.name', 'user.contact.email', 'user.contact.address'];

describeEachDialect('disclosures', (current) => {
  const optIn = (subjectId: string, granted: boolean, scope = `recipient:${SPONSOR}`) =>
    recordConsent(
      current().db,
      {
        subjectId,
        subjectKind: 'member',
        purpose: 'competition',
        scope,
        granted,
        method: 'form',
        noticeVersion: 2,
      },
      issuer,
    );

  const toSponsor = (subjectId: string, overrides: Partial<DiscloseInput> = {}) =>
    disclose(current().db, {
      subjectId,
      recipient: SPONSOR,
      purpose: 'competition',
      categories: ENTRY_DATA,
      basis: 'consent',
      actorId: 'system:competition-draw',
      actorKind: 'system',
      ...overrides,
    });

  it('P01 P12 refuses to release entrant data to a sponsor without the entrant’s opt-in, and logs nothing', async () => {
    const entrant = makeSubjectId();
    // Entering the competition is not consent to share with its sponsor.
    await optIn(entrant, true, 'competition:42');
    const error = await toSponsor(entrant).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DisclosureRefusedError);
    expect((error as AppError).statusCode).toBe(403);
    expect((error as AppError).message).toMatch(/no current consent/);
    expect(await listDisclosures(current().db, entrant)).toEqual([]);
    expect(await auditActionsAbout(current().db, entrant)).toEqual([]);
  });

  it('P01 releases after the opt-in, logs the release, and the person sees who received it', async () => {
    const entrant = makeSubjectId();
    await optIn(entrant, true);
    const release = await toSponsor(entrant);
    expect(release).toMatchObject({
      subjectId: entrant,
      recipient: SPONSOR,
      purpose: 'competition',
      categories: ['user.contact.address', 'user.contact.email', 'user.name'],
      basis: 'consent',
      scope: `recipient:${SPONSOR}`,
      reference: null,
      actorId: 'system:competition-draw',
      actorKind: 'system',
    });
    expect(await listDisclosures(current().db, entrant)).toEqual([release]);
    expect(await auditActionsAbout(current().db, entrant)).toEqual(['disclosure.made']);
    // Another person's log stays empty.
    expect(await listDisclosures(current().db, makeSubjectId())).toEqual([]);
  });

  it('P01 refuses again once the opt-in is withdrawn', async () => {
    const entrant = makeSubjectId();
    await optIn(entrant, true);
    await toSponsor(entrant);
    await optIn(entrant, false);
    await expect(toSponsor(entrant)).rejects.toBeInstanceOf(DisclosureRefusedError);
    expect(await listDisclosures(current().db, entrant)).toHaveLength(1);
  });

  it('P01 honours a narrower opt-in that names the recipient, and no other', async () => {
    const entrant = makeSubjectId();
    await optIn(entrant, true, `recipient:${SPONSOR}:competition-42`);
    await expect(toSponsor(entrant)).rejects.toBeInstanceOf(DisclosureRefusedError);
    const release = await toSponsor(entrant, { scope: `recipient:${SPONSOR}:competition-42` });
    expect(release.scope).toBe(`recipient:${SPONSOR}:competition-42`);
    // A scope naming someone else cannot be used to send data to this sponsor.
    await expect(toSponsor(entrant, { scope: 'recipient:other-brand' })).rejects.toBeInstanceOf(
      InvalidDisclosureError,
    );
  });

  it('P01 refuses a consent release while processing is restricted', async () => {
    const entrant = makeSubjectId();
    await optIn(entrant, true);
    await recordRestriction(current().db, {
      subjectId: entrant,
      purpose: 'competition',
      reason: 'Disputed entry.',
      recordedBy: 'staff-helpdesk-1',
    });
    await expect(toSponsor(entrant)).rejects.toBeInstanceOf(DisclosureRefusedError);
    expect(await listDisclosures(current().db, entrant)).toEqual([]);
  });

  it('P01 refuses a release by consent for a purpose that does not rest on consent', async () => {
    const member = makeSubjectId();
    const error = await disclose(current().db, {
      subjectId: member,
      recipient: 'research-partner',
      purpose: 'community',
      categories: ['user.content.public'],
      basis: 'consent',
      actorId: 'staff-editor-1',
      actorKind: 'staff',
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DisclosureRefusedError);
    expect((error as Error).message).toMatch(/consent-based purpose/);
  });

  it('P50 releases to an authority on a legal obligation only with a reference and a staff member', async () => {
    const member = makeSubjectId();
    const toPolice = (overrides: Partial<DiscloseInput>) =>
      disclose(current().db, {
        subjectId: member,
        recipient: 'metropolitan-police',
        purpose: 'legal-obligation',
        categories: ['user.name', 'user.contact.email', 'user.device.ip'],
        basis: 'legal-obligation',
        actorId: 'staff-dpo-1',
        actorKind: 'staff',
        ...overrides,
      });

    for (const reference of [undefined, '', '   ']) {
      const refused = await toPolice(reference === undefined ? {} : { reference }).catch(
        (caught: unknown) => caught,
      );
      expect(refused).toBeInstanceOf(DisclosureRefusedError);
      expect((refused as Error).message).toMatch(/needs the reference/);
    }
    await expect(
      toPolice({
        reference: 'Production order 2026/118',
        actorKind: 'system',
        actorId: 'system:job',
      }),
    ).rejects.toThrow(/must be made by a staff member/);
    expect(await listDisclosures(current().db, member)).toEqual([]);

    const release = await toPolice({ reference: '  Production order 2026/118  ' });
    expect(release).toMatchObject({
      basis: 'legal-obligation',
      reference: 'Production order 2026/118',
      actorId: 'staff-dpo-1',
      actorKind: 'staff',
      scope: null,
      recipient: 'metropolitan-police',
    });
    expect(await listDisclosures(current().db, member)).toEqual([release]);
  });

  it('P50 a legal release goes ahead under a restriction, as Art. 18(2) allows', async () => {
    const member = makeSubjectId();
    await recordRestriction(current().db, {
      subjectId: member,
      purpose: '*',
      reason: 'Contesting accuracy.',
      recordedBy: member,
    });
    const release = await disclose(current().db, {
      subjectId: member,
      recipient: 'childrens-services',
      purpose: 'safeguarding',
      categories: ['user.name', 'user.content.private'],
      basis: 'vital-interests',
      reference: 'Safeguarding incident SG-2026-014',
      actorId: 'staff-safeguarding-lead',
      actorKind: 'staff',
    });
    expect(release.basis).toBe('vital-interests');
  });

  it('never releases credentials or secrets, and rejects malformed requests with a 400', async () => {
    const member = makeSubjectId();
    await optIn(member, true);
    await expect(
      toSponsor(member, { categories: ['user.name', 'user.authentication'] }),
    ).rejects.toBeInstanceOf(DisclosureRefusedError);
    const cases: [Partial<DiscloseInput>, string][] = [
      [{ categories: [] }, 'categories'],
      [{ categories: ['user.shoe-size' as DataCategory] }, 'categories'],
      [{ recipient: 'Acme Toys Ltd' }, 'recipient'],
      [{ basis: 'legitimate-interests' as DiscloseInput['basis'] }, 'basis'],
      [{ actorId: '' }, 'actorId'],
      [{ at: new Date('not a date') }, 'at'],
    ];
    for (const [overrides, field] of cases) {
      const error = await toSponsor(member, overrides).catch((caught: unknown) => caught);
      expect(error, field).toBeInstanceOf(InvalidDisclosureError);
      expect((error as AppError).statusCode).toBe(400);
      expect((error as AppError).fields).toHaveProperty(field);
    }
    expect(await listDisclosures(current().db, member)).toEqual([]);
  });

  it('logs in the caller’s transaction: a failed hand-over leaves no record', async () => {
    const entrant = makeSubjectId();
    await optIn(entrant, true);
    await expect(
      current()
        .db.transaction()
        .execute(async (trx) => {
          await disclose(trx, {
            subjectId: entrant,
            recipient: SPONSOR,
            purpose: 'competition',
            categories: ENTRY_DATA,
            basis: 'consent',
            actorId: 'system:competition-draw',
            actorKind: 'system',
          });
          throw new Error('sponsor upload failed');
        }),
    ).rejects.toThrow('sponsor upload failed');
    expect(await listDisclosures(current().db, entrant)).toEqual([]);
    expect(await auditActionsAbout(current().db, entrant)).toEqual([]);
  });
});
