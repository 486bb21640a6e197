import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { makeMember } from '../../../test/helpers/members.js';
import { describeEachDialect } from '../../../test/helpers/dialects.js';
import { makeIssuer } from '../../../test/privacy/consent-factories.js';
import { collectOwners } from '../../app.js';
import { tablesOf, type Database } from '../../platform/db/database.js';
import { isAppError } from '../../platform/http/errors.js';
import { can, listConsentHistory } from '../../privacy/consent/index.js';
import { eraseSubject } from '../../privacy/erasure/erasure.engine.js';
import { createPrivacyRegistry } from '../../privacy/registry.js';
import { todayIn } from './newsletters.preferences.js';
import type { NewslettersTables } from './newsletters.tables.js';
import {
  applyNewsletterPreferences,
  currentNewsletterPreferences,
  listNewsletterCatalogue,
  type ApplyNewsletterOptions,
} from './newsletters.service.js';

/** A date `days` from today (UK), YYYY-MM-DD: the checks judge dates against today. */
function daysFromToday(days: number): string {
  const today = new Date(`${todayIn('Europe/London')}T00:00:00Z`);
  return new Date(today.getTime() + days * 86_400_000).toISOString().slice(0, 10);
}

const OPTIONS: ApplyNewsletterOptions = { method: 'form', noticeVersion: 1, issuer: makeIssuer() };

function tables(db: Database) {
  return tablesOf<NewslettersTables>(db);
}

async function rowsOf(db: Database, userId: string) {
  const subscriptions = await tables(db)
    .selectFrom('newsletters_subscriptions')
    .selectAll()
    .where('user_id', '=', userId)
    .execute();
  const babies =
    subscriptions.length === 0
      ? []
      : await tables(db)
          .selectFrom('newsletters_babies')
          .selectAll()
          .where(
            'subscription_id',
            'in',
            subscriptions.map((row) => row.id),
          )
          .execute();
  return { subscriptions, babies };
}

describeEachDialect('newsletter subscriptions', (current) => {
  it('ships the catalogue: a general letter, Pregnancy Weekly and Baby Monthly', async () => {
    const catalogue = await listNewsletterCatalogue(current().db);
    expect(catalogue.map(({ key, kind, active }) => ({ key, kind, active }))).toEqual(
      expect.arrayContaining([
        { key: 'general', kind: 'general', active: true },
        { key: 'pregnancy-weekly', kind: 'pregnancy-weekly', active: true },
        { key: 'baby-monthly', kind: 'baby-monthly', active: true },
      ]),
    );
  });

  it('P03 each subscription is a consent event scoped newsletter:<list>, with a signed receipt', async () => {
    const { db } = current();
    const member = await makeMember(db);
    const dueDate = daysFromToday(120);
    const birthDate = daysFromToday(-60);
    const value = [
      { list: 'general' },
      { list: 'pregnancy-weekly', dueDate },
      { list: 'baby-monthly', babies: [{ birthDate }, { birthDate }] },
    ];
    const changes = await db
      .transaction()
      .execute((trx) => applyNewsletterPreferences(trx, member.id, value, OPTIONS));

    expect(changes.subscribed).toEqual(['general', 'pregnancy-weekly', 'baby-monthly']);
    expect(changes.unsubscribed).toEqual([]);
    expect(changes.receipts.map(({ list, granted }) => ({ list, granted }))).toEqual([
      { list: 'general', granted: true },
      { list: 'pregnancy-weekly', granted: true },
      { list: 'baby-monthly', granted: true },
    ]);
    const claims = changes.receipts.map(
      ({ receipt }) => (decodeJwt(receipt.jws) as { hearth: Record<string, unknown> }).hearth,
    );
    expect(claims).toEqual([
      expect.objectContaining({
        purpose: 'newsletter',
        scope: 'newsletter:general',
        granted: true,
      }),
      expect.objectContaining({
        purpose: 'newsletter-health',
        scope: 'newsletter:pregnancy-weekly',
        granted: true,
        method: 'form',
        noticeVersion: 1,
      }),
      expect.objectContaining({
        purpose: 'newsletter-health',
        scope: 'newsletter:baby-monthly',
        granted: true,
      }),
    ]);
    expect(await can(db, member.id, 'newsletter', 'newsletter:general')).toBe(true);
    expect(await can(db, member.id, 'newsletter-health', 'newsletter:pregnancy-weekly')).toBe(true);
    expect(await currentNewsletterPreferences(db, member.id)).toEqual(value);
    const rows = await rowsOf(db, member.id);
    expect(rows.subscriptions).toHaveLength(3);
    expect(rows.babies).toHaveLength(2);
  });

  it('P06 unsubscribing from Pregnancy Weekly and Baby Monthly deletes the due date and birth dates', async () => {
    const { db } = current();
    const member = await makeMember(db);
    await applyNewsletterPreferences(
      db,
      member.id,
      [
        { list: 'general' },
        { list: 'pregnancy-weekly', dueDate: daysFromToday(200) },
        { list: 'baby-monthly', babies: [{ birthDate: daysFromToday(-400) }] },
      ],
      OPTIONS,
    );
    const before = await rowsOf(db, member.id);
    expect(before.subscriptions.some((row) => row.due_date === daysFromToday(200))).toBe(true);
    expect(before.babies).toHaveLength(1);

    const changes = await applyNewsletterPreferences(db, member.id, [{ list: 'general' }], OPTIONS);
    expect(changes.unsubscribed.sort()).toEqual(['baby-monthly', 'pregnancy-weekly']);
    expect(changes.receipts.every((each) => !each.granted)).toBe(true);

    const after = await rowsOf(db, member.id);
    expect(after.subscriptions.map((row) => row.list_key)).toEqual(['general']);
    expect(after.subscriptions[0]?.due_date).toBeNull();
    // Not only unreachable: the babies' rows are gone from the table.
    const orphans = await tables(db)
      .selectFrom('newsletters_babies')
      .select('id')
      .where(
        'id',
        'in',
        before.babies.map((baby) => baby.id),
      )
      .execute();
    expect(orphans).toEqual([]);
    expect(await can(db, member.id, 'newsletter-health', 'newsletter:pregnancy-weekly')).toBe(
      false,
    );
    expect(await can(db, member.id, 'newsletter', 'newsletter:general')).toBe(true);

    const history = await listConsentHistory(db, member.id);
    expect(
      history
        .filter((event) => !event.granted)
        .map((event) => event.scope)
        .sort(),
    ).toEqual(['newsletter:baby-monthly', 'newsletter:pregnancy-weekly']);
  });

  it('changes dates within a subscription without a new consent event, and nothing when unchanged', async () => {
    const { db } = current();
    const member = await makeMember(db);
    const first = [
      { list: 'pregnancy-weekly', dueDate: daysFromToday(100) },
      { list: 'baby-monthly', babies: [{ birthDate: daysFromToday(-30) }] },
    ];
    await applyNewsletterPreferences(db, member.id, first, OPTIONS);
    const again = await applyNewsletterPreferences(db, member.id, first, OPTIONS);
    expect(again).toEqual({ subscribed: [], unsubscribed: [], updated: [], receipts: [] });

    const second = [
      { list: 'pregnancy-weekly', dueDate: daysFromToday(107) },
      {
        list: 'baby-monthly',
        babies: [{ birthDate: daysFromToday(-30) }, { birthDate: daysFromToday(-700) }],
      },
    ];
    const changes = await applyNewsletterPreferences(db, member.id, second, OPTIONS);
    expect(changes).toEqual({
      subscribed: [],
      unsubscribed: [],
      updated: ['pregnancy-weekly', 'baby-monthly'],
      receipts: [],
    });
    const saved = await currentNewsletterPreferences(db, member.id);
    expect(saved).toEqual([
      { list: 'pregnancy-weekly', dueDate: daysFromToday(107) },
      {
        list: 'baby-monthly',
        babies: [{ birthDate: daysFromToday(-700) }, { birthDate: daysFromToday(-30) }],
      },
    ]);
    expect(await listConsentHistory(db, member.id)).toHaveLength(2);
  });

  it('refuses a retired or unknown list by field, and leaves a retired subscription alone', async () => {
    const { db } = current();
    const member = await makeMember(db);
    const key = `offers-${member.id.slice(-6).toLowerCase()}`;
    await tables(db)
      .insertInto('newsletters_lists')
      .values({
        key,
        title: 'Offers',
        description: 'Offers from Hearth',
        kind: 'general',
        active: 1,
        position: 99,
        created_at: new Date().toISOString(),
      })
      .execute();
    await applyNewsletterPreferences(db, member.id, [{ list: key }], OPTIONS);
    await tables(db)
      .updateTable('newsletters_lists')
      .set({ active: 0 })
      .where('key', '=', key)
      .execute();

    // Retired: no longer the member's to choose, so leaving it out unsubscribes nothing.
    const changes = await applyNewsletterPreferences(db, member.id, [{ list: 'general' }], OPTIONS);
    expect(changes.unsubscribed).toEqual([]);
    expect((await rowsOf(db, member.id)).subscriptions.map((row) => row.list_key).sort()).toEqual(
      ['general', key].sort(),
    );
    expect(await currentNewsletterPreferences(db, member.id)).toEqual([{ list: 'general' }]);

    for (const list of [key, 'gossip']) {
      const error = await applyNewsletterPreferences(db, member.id, [{ list }], OPTIONS).catch(
        (caught: unknown) => caught,
      );
      expect(isAppError(error) && error.code).toBe('validation_failed');
      expect(isAppError(error) && error.fields).toEqual({
        'newsletters.0.list': expect.any(String) as string,
      });
    }
  });

  it('commits or rolls back with the caller’s transaction: no subscription without its consent', async () => {
    const { db } = current();
    const member = await makeMember(db);
    await expect(
      db.transaction().execute(async (trx) => {
        await applyNewsletterPreferences(trx, member.id, [{ list: 'general' }], OPTIONS);
        throw new Error('registration failed later');
      }),
    ).rejects.toThrow('registration failed later');
    expect((await rowsOf(db, member.id)).subscriptions).toEqual([]);
    expect(await listConsentHistory(db, member.id)).toEqual([]);
  });

  it('erasure deletes the member’s subscriptions, due date and babies, and nobody else’s', async () => {
    const { db } = current();
    const registry = createPrivacyRegistry(collectOwners());
    const member = await makeMember(db);
    const bystander = await makeMember(db);
    const value = [
      { list: 'pregnancy-weekly', dueDate: daysFromToday(90) },
      { list: 'baby-monthly', babies: [{ birthDate: daysFromToday(-10) }] },
    ];
    await applyNewsletterPreferences(db, member.id, value, OPTIONS);
    await applyNewsletterPreferences(db, bystander.id, value, OPTIONS);
    const before = await rowsOf(db, member.id);

    const outcome = await eraseSubject(db, registry, member.id);
    expect(outcome.status).toBe('completed');

    expect((await rowsOf(db, member.id)).subscriptions).toEqual([]);
    const babies = await tables(db)
      .selectFrom('newsletters_babies')
      .select('id')
      .where(
        'id',
        'in',
        before.babies.map((baby) => baby.id),
      )
      .execute();
    expect(babies).toEqual([]);
    expect(await currentNewsletterPreferences(db, bystander.id)).toEqual(value);
  });
});

describe('consent purposes', () => {
  it('records the life-stage letters under the explicit-consent purpose', async () => {
    const { consentPurposeFor, consentScopeFor } = await import('./newsletters.service.js');
    expect(consentPurposeFor('general')).toBe('newsletter');
    expect(consentPurposeFor('pregnancy-weekly')).toBe('newsletter-health');
    expect(consentPurposeFor('baby-monthly')).toBe('newsletter-health');
    expect(consentScopeFor('pregnancy-weekly')).toBe('newsletter:pregnancy-weekly');
  });
});
