import { decodeJwt, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { tablesOf } from '../../platform/db/database.js';
import { listLiveTables } from '../../platform/db/introspect.js';
import { AppError } from '../../platform/http/errors.js';
import { describeEachDialect, postgresOnly } from '../../../test/helpers/dialects.js';
import { makeIssuer, makeSubjectId } from '../../../test/privacy/consent-factories.js';
import { disclosuresDataMap } from '../disclosures/disclosures.privacy.js';
import { checkIntegrity } from '../integrity.js';
import { PURPOSE_KEYS, UnknownPurposeError } from '../purposes.js';
import { createPrivacyRegistry } from '../registry.js';
import { ConsentNotApplicableError, InvalidConsentError } from './consent.errors.js';
import { consentDataMap } from './consent.privacy.js';
import {
  closeConsentLedger,
  currentConsents,
  listConsentHistory,
  recordConsent,
} from './consent.service.js';
import type { ConsentTables } from './consent.tables.js';
import { can, filterAllowed } from './processing-checks.js';
import type { ReceiptPayload } from './receipts.js';

const issuer = makeIssuer();

function minutesAgo(minutes: number): Date {
  return new Date(Date.now() - minutes * 60_000);
}

describeEachDialect('consent ledger', (current, dialect) => {
  const itOnPostgres = postgresOnly(dialect);
  const grant = (subjectId: string, purpose: string, scope = '', at?: Date) =>
    recordConsent(
      current().db,
      {
        subjectId,
        subjectKind: 'member',
        purpose,
        scope,
        granted: true,
        method: 'form',
        noticeVersion: 3,
        ...(at ? { at } : {}),
      },
      issuer,
    );
  const withdraw = (subjectId: string, purpose: string, scope = '', at?: Date) =>
    recordConsent(
      current().db,
      {
        subjectId,
        subjectKind: 'member',
        purpose,
        scope,
        granted: false,
        method: 'form',
        noticeVersion: 3,
        ...(at ? { at } : {}),
      },
      issuer,
    );

  it('declares its tables completely in the data map', async () => {
    const registry = createPrivacyRegistry([
      { owner: 'privacy', tables: { ...consentDataMap, ...disclosuresDataMap } },
    ]);
    const mine = new Set(registry.tables.keys());
    const live = (await listLiveTables(current().db)).filter((table) => mine.has(table.name));
    expect(live.map((table) => table.name).sort()).toEqual([...mine].sort());
    expect(checkIntegrity(live, registry.tables, new Set(PURPOSE_KEYS))).toEqual([]);
  });

  it('P27 records a grant, then a withdrawal, and can() follows the latest', async () => {
    const subject = makeSubjectId();
    expect(await can(current().db, subject, 'newsletter')).toBe(false);

    const granted = await grant(subject, 'newsletter');
    expect(granted.event).toMatchObject({
      subjectId: subject,
      purpose: 'newsletter',
      scope: '',
      granted: true,
      method: 'form',
      noticeVersion: 3,
      isCurrent: true,
    });
    expect(await can(current().db, subject, 'newsletter')).toBe(true);

    await withdraw(subject, 'newsletter');
    expect(await can(current().db, subject, 'newsletter')).toBe(false);

    const history = await listConsentHistory(current().db, subject);
    expect(history.map((event) => event.granted)).toEqual([false, true]);
    expect(await currentConsents(current().db, subject)).toEqual([
      {
        purpose: 'newsletter',
        scope: '',
        granted: false,
        method: 'form',
        at: expect.any(String) as string,
        noticeVersion: 3,
      },
    ]);
  });

  it('keeps the ledger append-only: the replaced event stays, marked superseded', async () => {
    const subject = makeSubjectId();
    const first = await grant(subject, 'analytics', '', minutesAgo(10));
    const second = await withdraw(subject, 'analytics', '', minutesAgo(5));
    const rows = await tablesOf<ConsentTables>(current().db)
      .selectFrom('privacy_consent_events')
      .select(['id', 'granted', 'superseded_at', 'receipt_jws'])
      .where('subject_id', '=', subject)
      .orderBy('at')
      .execute();
    expect(rows).toEqual([
      {
        id: first.event.id,
        granted: 1,
        superseded_at: second.event.at,
        receipt_jws: first.receipt.jws,
      },
      { id: second.event.id, granted: 0, superseded_at: null, receipt_jws: second.receipt.jws },
    ]);
  });

  it('signs each event into a receipt with the Kantara fields', async () => {
    const subject = makeSubjectId();
    const { event, receipt } = await grant(
      subject,
      'newsletter-health',
      'newsletter:pregnancy-weekly',
    );
    const header = decodeProtectedHeader(receipt.jws);
    expect(header).toEqual({ alg: 'EdDSA', kid: receipt.kid, typ: 'JWT' });
    const payload = decodeJwt(receipt.jws) as unknown as ReceiptPayload;
    expect(payload).toMatchObject({
      version: 'KI-CR-v1.1.0',
      jurisdiction: 'GB',
      consentTimestamp: Math.floor(Date.parse(event.at) / 1000),
      collectionMethod: 'Web form on the site',
      consentReceiptID: receipt.id,
      jti: receipt.id,
      language: 'en-GB',
      piiPrincipalId: subject,
      piiControllers: [
        {
          piiController: 'hearth.test',
          contact: 'http://hearth.test/privacy',
          piiControllerUrl: 'http://hearth.test',
        },
      ],
      policyUrl: 'http://hearth.test/privacy',
      sensitive: true,
      spiCat: ['health'],
      hearth: {
        eventId: event.id,
        purpose: 'newsletter-health',
        scope: 'newsletter:pregnancy-weekly',
        granted: true,
        withdrawn: false,
        noticeVersion: 3,
        method: 'form',
        subjectKind: 'member',
      },
    });
    expect(payload.services[0]?.purposes[0]).toMatchObject({
      purposeCategory: ['Personalized Experience'],
      consentType: 'EXPLICIT',
      piiCategory: ['user.contact.email', 'user.name'],
      primaryPurpose: false,
      thirdPartyDisclosure: false,
    });
    expect(payload.services[0]?.purposes[0]?.termination).toMatch(/Withdraw at any time/);
    expect(event.receiptId).toBe(receipt.id);
  });

  it('refuses a consent change for a purpose that does not rest on consent', async () => {
    const subject = makeSubjectId();
    for (const purpose of ['account', 'security', 'safeguarding', 'legal-obligation']) {
      await expect(grant(subject, purpose)).rejects.toBeInstanceOf(ConsentNotApplicableError);
    }
    const error = await grant(subject, 'helpdesk').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).statusCode).toBe(409);
    expect((error as AppError).message).toMatch(/objection or a restriction/);
    await expect(grant(subject, 'telepathy')).rejects.toBeInstanceOf(UnknownPurposeError);
    expect(await listConsentHistory(current().db, subject)).toEqual([]);
  });

  it('refuses malformed events with a 400 naming the field', async () => {
    const subject = makeSubjectId();
    const attempt = (overrides: Record<string, unknown>) =>
      recordConsent(
        current().db,
        {
          subjectId: subject,
          subjectKind: 'member',
          purpose: 'newsletter',
          granted: true,
          method: 'form',
          noticeVersion: 1,
          ...overrides,
        },
        issuer,
      ).catch((caught: unknown) => caught);
    const cases: [Record<string, unknown>, string][] = [
      [{ scope: 'Newsletter pregnancy' }, 'scope'],
      [{ scope: 'newsletter:' }, 'scope'],
      [{ method: 'gpc' }, 'method'],
      [{ method: 'carrier-pigeon' }, 'method'],
      [{ noticeVersion: 0 }, 'noticeVersion'],
      [{ noticeVersion: 1.5 }, 'noticeVersion'],
      [{ subjectId: '' }, 'subjectId'],
      [{ subjectId: 'has space' }, 'subjectId'],
      [{ subjectKind: 'robot' }, 'subjectKind'],
      [{ at: new Date('nonsense') }, 'at'],
      [{ at: new Date(Date.now() + 3_600_000) }, 'at'],
    ];
    for (const [overrides, field] of cases) {
      const error = await attempt(overrides);
      expect(error, JSON.stringify(overrides)).toBeInstanceOf(InvalidConsentError);
      expect((error as InvalidConsentError).statusCode).toBe(400);
      expect((error as InvalidConsentError).fields).toHaveProperty(field);
    }
    expect(await listConsentHistory(current().db, subject)).toEqual([]);
  });

  it('P26 accepts a Global Privacy Control withdrawal for a visitor', async () => {
    const visitor = `visitor-${makeSubjectId()}`;
    await recordConsent(
      current().db,
      {
        subjectId: visitor,
        subjectKind: 'visitor',
        purpose: 'personalised-advertising',
        granted: true,
        method: 'cmp',
        noticeVersion: 1,
        at: minutesAgo(1),
      },
      issuer,
    );
    const { receipt } = await recordConsent(
      current().db,
      {
        subjectId: visitor,
        subjectKind: 'visitor',
        purpose: 'personalised-advertising',
        granted: false,
        method: 'gpc',
        noticeVersion: 1,
      },
      issuer,
    );
    expect(await can(current().db, visitor, 'personalised-advertising')).toBe(false);
    const payload = decodeJwt(receipt.jws) as unknown as ReceiptPayload;
    expect(payload.collectionMethod).toMatch(/Global Privacy Control/);
    expect(payload.hearth).toMatchObject({
      withdrawn: true,
      method: 'gpc',
      subjectKind: 'visitor',
    });
  });

  it('treats consent as specific: a purpose-wide grant does not cover a scope', async () => {
    const subject = makeSubjectId();
    await grant(subject, 'newsletter');
    expect(await can(current().db, subject, 'newsletter')).toBe(true);
    expect(await can(current().db, subject, 'newsletter', 'newsletter:baby-monthly')).toBe(false);

    await grant(subject, 'newsletter', 'newsletter:baby-monthly');
    expect(await can(current().db, subject, 'newsletter', 'newsletter:baby-monthly')).toBe(true);
    expect(await can(current().db, subject, 'newsletter', 'newsletter:pregnancy-weekly')).toBe(
      false,
    );
  });

  it('P07 lets a purpose-wide withdrawal stop every scope, and a later scoped grant restart one', async () => {
    const subject = makeSubjectId();
    await grant(subject, 'newsletter', 'newsletter:general', minutesAgo(30));
    await grant(subject, 'newsletter', 'newsletter:baby-monthly', minutesAgo(29));
    const stopAll = await withdraw(subject, 'newsletter', '', minutesAgo(20));
    expect(stopAll.event.isCurrent).toBe(true);
    expect(await can(current().db, subject, 'newsletter', 'newsletter:general')).toBe(false);
    expect(await can(current().db, subject, 'newsletter', 'newsletter:baby-monthly')).toBe(false);
    expect(
      (await currentConsents(current().db, subject)).map((row) => [row.scope, row.granted]),
    ).toEqual([
      ['', false],
      ['newsletter:baby-monthly', false],
      ['newsletter:general', false],
    ]);

    await grant(subject, 'newsletter', 'newsletter:general', minutesAgo(10));
    expect(await can(current().db, subject, 'newsletter', 'newsletter:general')).toBe(true);
    expect(await can(current().db, subject, 'newsletter', 'newsletter:baby-monthly')).toBe(false);

    // The purpose-wide withdrawal is still the choice behind two rows, so it is not superseded.
    const events = await tablesOf<ConsentTables>(current().db)
      .selectFrom('privacy_consent_events')
      .select(['id', 'scope', 'granted', 'superseded_at'])
      .where('subject_id', '=', subject)
      .orderBy('at')
      .execute();
    expect(events.map((row) => [row.scope, row.granted, row.superseded_at !== null])).toEqual([
      ['newsletter:general', 1, true],
      ['newsletter:baby-monthly', 1, true],
      ['', 0, false],
      ['newsletter:general', 1, false],
    ]);
  });

  it('keeps a back-dated event in the ledger without letting it overrule a newer choice', async () => {
    const subject = makeSubjectId();
    await withdraw(subject, 'survey', '', minutesAgo(5));
    const late = await grant(subject, 'survey', '', minutesAgo(60));
    expect(late.event.isCurrent).toBe(false);
    expect(await can(current().db, subject, 'survey')).toBe(false);
    const row = await tablesOf<ConsentTables>(current().db)
      .selectFrom('privacy_consent_events')
      .select('superseded_at')
      .where('id', '=', late.event.id)
      .executeTakeFirstOrThrow();
    expect(row.superseded_at).not.toBeNull();
  });

  it('joins the caller’s transaction: a rollback leaves no event and no state', async () => {
    const subject = makeSubjectId();
    await expect(
      current()
        .db.transaction()
        .execute(async (trx) => {
          await recordConsent(
            trx,
            {
              subjectId: subject,
              subjectKind: 'member',
              purpose: 'competition',
              scope: 'competition:42',
              granted: true,
              method: 'form',
              noticeVersion: 1,
            },
            issuer,
          );
          expect(await can(trx, subject, 'competition', 'competition:42')).toBe(true);
          throw new Error('entry form failed later');
        }),
    ).rejects.toThrow('entry form failed later');
    expect(await can(current().db, subject, 'competition', 'competition:42')).toBe(false);
    expect(await listConsentHistory(current().db, subject)).toEqual([]);
    expect(await currentConsents(current().db, subject)).toEqual([]);
  });

  itOnPostgres(
    'orders concurrent first choices for one subject: state and ledger agree',
    async () => {
      // SQLite runs one writer at a time across processes; two connections inside one test
      // process would only block each other's synchronous driver, so this is PostgreSQL's case.
      const subject = makeSubjectId();
      const other = current().openAnother();
      const at = (offset: number) => new Date(Date.now() - 1000 + offset);
      await Promise.all([
        recordConsent(
          current().db,
          {
            subjectId: subject,
            subjectKind: 'member',
            purpose: 'trial',
            granted: true,
            method: 'form',
            noticeVersion: 1,
            at: at(0),
          },
          issuer,
        ),
        recordConsent(
          other.db,
          {
            subjectId: subject,
            subjectKind: 'member',
            purpose: 'trial',
            granted: false,
            method: 'api',
            noticeVersion: 1,
            at: at(10),
          },
          issuer,
        ),
      ]);
      // The later `at` wins whichever transaction committed first, and exactly one event is current.
      expect(await can(current().db, subject, 'trial')).toBe(false);
      const events = await tablesOf<ConsentTables>(current().db)
        .selectFrom('privacy_consent_events')
        .select(['granted', 'superseded_at'])
        .where('subject_id', '=', subject)
        .orderBy('at')
        .execute();
      expect(events.map((row) => [row.granted, row.superseded_at === null])).toEqual([
        [1, false],
        [0, true],
      ]);
    },
  );

  it('closes the ledger at erasure: no choice is relied on, the evidence stays and starts ageing', async () => {
    const subject = makeSubjectId();
    await grant(subject, 'newsletter', 'newsletter:general', minutesAgo(3));
    await grant(subject, 'analytics', '', minutesAgo(2));
    await withdraw(subject, 'analytics', '', minutesAgo(1));
    const erasedAt = new Date();
    expect(await closeConsentLedger(current().db, subject, erasedAt)).toBe(2);
    expect(await can(current().db, subject, 'newsletter', 'newsletter:general')).toBe(false);
    expect(await currentConsents(current().db, subject)).toEqual([]);
    const events = await tablesOf<ConsentTables>(current().db)
      .selectFrom('privacy_consent_events')
      .select('superseded_at')
      .where('subject_id', '=', subject)
      .execute();
    expect(events).toHaveLength(3);
    expect(events.every((row) => row.superseded_at !== null)).toBe(true);
    expect(events.filter((row) => row.superseded_at === erasedAt.toISOString())).toHaveLength(2);
    expect(await closeConsentLedger(current().db, subject)).toBe(0);
  });

  it('filterAllowed agrees with can() subject by subject', async () => {
    const granted = makeSubjectId();
    const withdrawn = makeSubjectId();
    const never = makeSubjectId();
    await grant(granted, 'research-panel', 'recipient:uni-lab');
    await grant(withdrawn, 'research-panel', 'recipient:uni-lab', minutesAgo(2));
    await withdraw(withdrawn, 'research-panel', 'recipient:uni-lab', minutesAgo(1));
    const everyone = [granted, withdrawn, never, granted];
    const allowed = await filterAllowed(
      current().db,
      everyone,
      'research-panel',
      'recipient:uni-lab',
    );
    expect([...allowed]).toEqual([granted]);
    for (const subject of [granted, withdrawn, never]) {
      expect(await can(current().db, subject, 'research-panel', 'recipient:uni-lab')).toBe(
        allowed.has(subject),
      );
    }
    expect(await filterAllowed(current().db, [], 'research-panel')).toEqual(new Set());
    await expect(
      filterAllowed(current().db, [granted], 'research-panel', 'bad scope'),
    ).rejects.toBeInstanceOf(InvalidConsentError);
  });
});

describe('consent ledger without a database', () => {
  it('validates before touching the database', async () => {
    // A handle that fails on any query proves validation runs first.
    const unusable = new Proxy(
      {},
      {
        get() {
          throw new Error('the database was touched');
        },
      },
    ) as Parameters<typeof recordConsent>[0];
    await expect(
      recordConsent(
        unusable,
        {
          subjectId: 'someone',
          subjectKind: 'member',
          purpose: 'account',
          granted: true,
          method: 'form',
          noticeVersion: 1,
        },
        issuer,
      ),
    ).rejects.toBeInstanceOf(ConsentNotApplicableError);
  });
});
