import { expect, it } from 'vitest';
import { describeEachDialect, postgresOnly } from '../../../test/helpers/dialects.js';
import { auditActionsAbout } from '../../../test/privacy/audit-trail.js';
import { makeIssuer, makeSubjectId } from '../../../test/privacy/consent-factories.js';
import {
  InvalidProcessingLimitError,
  ObjectionNotApplicableError,
  ProcessingLimitNotFoundError,
  ProcessingLimitStateError,
} from './consent.errors.js';
import { recordConsent } from './consent.service.js';
import {
  liftRestriction,
  listProcessingLimits,
  recordObjection,
  recordObjectionOverride,
  recordRestriction,
  withdrawObjection,
} from './limits.service.js';
import { can, filterAllowed } from './processing-checks.js';

const issuer = makeIssuer();
const DPO = 'staff-dpo-1';

describeEachDialect('restrictions and objections', (current, dialect) => {
  const itOnPostgres = postgresOnly(dialect);
  const grant = (subjectId: string, purpose: string, scope = '') =>
    recordConsent(
      current().db,
      {
        subjectId,
        subjectKind: 'member',
        purpose,
        scope,
        granted: true,
        method: 'form',
        noticeVersion: 1,
      },
      issuer,
    );

  it('allows contract and legitimate-interest purposes without any consent', async () => {
    const subject = makeSubjectId();
    for (const purpose of ['account', 'community', 'listing', 'security', 'helpdesk']) {
      expect(await can(current().db, subject, purpose)).toBe(true);
    }
    expect(await can(current().db, subject, 'newsletter')).toBe(false);
  });

  it('P53 an objection stops processing until a DPO records a legitimate reason', async () => {
    const subject = makeSubjectId();
    const bystander = makeSubjectId();
    expect(await can(current().db, subject, 'advertising')).toBe(true);

    const objection = await recordObjection(current().db, {
      subjectId: subject,
      purpose: 'advertising',
      reason: 'I do not want adverts measured against my visits.',
      recordedBy: subject,
    });
    expect(objection).toMatchObject({ kind: 'objection', status: 'active', override: null });
    expect(await can(current().db, subject, 'advertising')).toBe(false);
    expect(await can(current().db, bystander, 'advertising')).toBe(true);
    expect(await filterAllowed(current().db, [subject, bystander], 'advertising')).toEqual(
      new Set([bystander]),
    );
    // Only the purpose objected to stops.
    expect(await can(current().db, subject, 'security')).toBe(true);

    const overridden = await recordObjectionOverride(current().db, {
      objectionId: objection.id,
      dpoId: DPO,
      reason:
        'Aggregate ad measurement is required by our advertising contracts; no profile is built.',
    });
    expect(overridden.status).toBe('overridden');
    expect(overridden.override).toMatchObject({
      by: DPO,
      reason: expect.stringMatching(/Aggregate/) as string,
    });
    expect(await can(current().db, subject, 'advertising')).toBe(true);

    // The objection stays on record with the DPO's reason.
    const [stored] = await listProcessingLimits(current().db, subject);
    expect(stored).toMatchObject({
      id: objection.id,
      status: 'overridden',
      reason: objection.reason,
    });

    await expect(
      recordObjectionOverride(current().db, {
        objectionId: objection.id,
        dpoId: DPO,
        reason: 'again',
      }),
    ).rejects.toBeInstanceOf(ProcessingLimitStateError);
    // Both decisions are in the audit chain; the refused second override is not.
    expect(await auditActionsAbout(current().db, subject)).toEqual([
      'objection.recorded',
      'objection.overridden',
    ]);
  });

  it('P53 an objection withdrawn by the person lets processing resume', async () => {
    const subject = makeSubjectId();
    const objection = await recordObjection(current().db, {
      subjectId: subject,
      purpose: 'helpdesk',
      reason: 'Please stop using my old tickets.',
      recordedBy: subject,
    });
    expect(await can(current().db, subject, 'helpdesk')).toBe(false);
    const withdrawn = await withdrawObjection(current().db, {
      objectionId: objection.id,
      withdrawnBy: subject,
    });
    expect(withdrawn).toMatchObject({ status: 'withdrawn', closed: { by: subject } });
    expect(await can(current().db, subject, 'helpdesk')).toBe(true);
    // A new objection can be opened after the old one closed.
    const again = await recordObjection(current().db, {
      subjectId: subject,
      purpose: 'helpdesk',
      reason: 'Changed my mind.',
      recordedBy: subject,
    });
    expect(again.id).not.toBe(objection.id);
    expect(await can(current().db, subject, 'helpdesk')).toBe(false);
  });

  itOnPostgres(
    'records one open objection per purpose, even when asked twice at once',
    async () => {
      // Two SQLite connections in one test process would block each other's synchronous driver;
      // concurrent writers are PostgreSQL's case (SQLite serialises processes on the file lock).
      const subject = makeSubjectId();
      const other = current().openAnother();
      const input = {
        subjectId: subject,
        purpose: 'security',
        reason: 'Object.',
        recordedBy: subject,
      };
      const [first, second] = await Promise.all([
        recordObjection(current().db, input),
        recordObjection(other.db, input),
      ]);
      expect(first.id).toBe(second.id);
      expect(await listProcessingLimits(current().db, subject)).toHaveLength(1);
      expect(await auditActionsAbout(current().db, subject)).toEqual(['objection.recorded']);
    },
  );

  it('returns the open objection when the same one is recorded again', async () => {
    const subject = makeSubjectId();
    const input = { subjectId: subject, purpose: 'advertising', reason: 'x', recordedBy: subject };
    const first = await recordObjection(current().db, input);
    const second = await recordObjection(current().db, { ...input, reason: 'again' });
    expect(second).toEqual(first);
    expect(await auditActionsAbout(current().db, subject)).toEqual(['objection.recorded']);
  });

  it('refuses objections where Art. 21 does not apply, pointing to the right route', async () => {
    const subject = makeSubjectId();
    const consentError = await recordObjection(current().db, {
      subjectId: subject,
      purpose: 'newsletter',
      reason: 'no',
      recordedBy: subject,
    }).catch((caught: unknown) => caught);
    expect(consentError).toBeInstanceOf(ObjectionNotApplicableError);
    expect((consentError as ObjectionNotApplicableError).message).toMatch(/withdraw the consent/);
    expect((consentError as ObjectionNotApplicableError).statusCode).toBe(409);
    await expect(
      recordObjection(current().db, {
        subjectId: subject,
        purpose: 'account',
        reason: 'no',
        recordedBy: subject,
      }),
    ).rejects.toThrow(/restriction may be requested/);
    await expect(
      recordObjection(current().db, {
        subjectId: subject,
        purpose: 'security',
        reason: '   ',
        recordedBy: subject,
      }),
    ).rejects.toBeInstanceOf(InvalidProcessingLimitError);
    expect(await listProcessingLimits(current().db, subject)).toEqual([]);
  });

  it('a restriction stops consent and contract purposes alike until it is lifted', async () => {
    const subject = makeSubjectId();
    await grant(subject, 'newsletter');
    expect(await can(current().db, subject, 'newsletter')).toBe(true);

    const newsletterRestriction = await recordRestriction(current().db, {
      subjectId: subject,
      purpose: 'newsletter',
      reason: 'Contesting the accuracy of my subscription record.',
      recordedBy: 'staff-helpdesk-2',
    });
    const listingRestriction = await recordRestriction(current().db, {
      subjectId: subject,
      purpose: 'listing',
      reason: 'Disputed listing ownership.',
      recordedBy: 'staff-helpdesk-2',
    });
    expect(await can(current().db, subject, 'newsletter')).toBe(false);
    expect(await filterAllowed(current().db, [subject], 'newsletter')).toEqual(new Set());
    expect(await can(current().db, subject, 'listing')).toBe(false);
    expect(await can(current().db, subject, 'account')).toBe(true);

    await liftRestriction(current().db, {
      restrictionId: newsletterRestriction.id,
      liftedBy: 'staff-helpdesk-2',
      reason: 'Accuracy verified; member told before lifting.',
    });
    expect(await can(current().db, subject, 'newsletter')).toBe(true);
    expect(await can(current().db, subject, 'listing')).toBe(false);

    await expect(
      liftRestriction(current().db, {
        restrictionId: newsletterRestriction.id,
        liftedBy: 'staff-helpdesk-2',
        reason: 'twice',
      }),
    ).rejects.toBeInstanceOf(ProcessingLimitStateError);
    await expect(
      liftRestriction(current().db, { restrictionId: 'no-such-id', liftedBy: 'x', reason: 'y' }),
    ).rejects.toBeInstanceOf(ProcessingLimitNotFoundError);
    await expect(
      recordObjectionOverride(current().db, {
        objectionId: listingRestriction.id,
        dpoId: DPO,
        reason: 'wrong kind',
      }),
    ).rejects.toBeInstanceOf(ProcessingLimitStateError);
  });

  it('a restriction of every purpose stops all but the Art. 18(2) exemptions', async () => {
    const subject = makeSubjectId();
    await grant(subject, 'analytics');
    await recordRestriction(current().db, {
      subjectId: subject,
      purpose: '*',
      reason: 'Contesting accuracy of my whole profile.',
      recordedBy: 'staff-dpo-1',
    });
    for (const purpose of ['analytics', 'account', 'community', 'security', 'advertising']) {
      expect(await can(current().db, subject, purpose), purpose).toBe(false);
    }
    // Protecting others and legal duties continue (Art. 18(2)).
    expect(await can(current().db, subject, 'safeguarding')).toBe(true);
    expect(await can(current().db, subject, 'legal-obligation')).toBe(true);
    expect(await filterAllowed(current().db, [subject], 'safeguarding')).toEqual(
      new Set([subject]),
    );
  });
});
