/**
 * Subscribing and unsubscribing. A subscription is a consent: every subscribe and unsubscribe is
 * an event in the consent ledger, scoped `newsletter:<list>`, with its signed receipt, written in
 * the same transaction as the subscription itself, so the two never disagree. Unsubscribing
 * from Pregnancy Weekly or Baby Monthly deletes the due date or the birth dates with it (P06).
 */
import { AppError } from '../../platform/http/errors.js';
import type { DbExecutor } from '../../platform/db/database.js';
import { newId } from '../../platform/db/ids.js';
import { isUniqueViolation, toDbTime } from '../../platform/db/portable.js';
import {
  recordConsent,
  type ConsentMethod,
  type ConsentReceipt,
  type ReceiptIssuer,
} from '../../privacy/consent/index.js';
import type { PurposeKey } from '../../privacy/purposes.js';
import {
  parseNewsletterPreferences,
  todayIn,
  type NewsletterList,
  type NewsletterPreference,
  type NewsletterPreferences,
} from './newsletters.preferences.js';
import {
  deleteBabies,
  deleteSubscription,
  findActiveSubscriptions,
  findAllLists,
  findBabies,
  findSubscriptionsForUpdate,
  insertBabies,
  insertSubscription,
  updateSubscriptionDueDate,
} from './newsletters.queries.js';
import type { NewsletterKind, SubscriptionsTable } from './newsletters.tables.js';

/**
 * The purpose a list's consent is recorded under. The life-stage letters keep a due date (health
 * data, Art. 9) or a baby's birth date, so their consent is the explicit one of
 * `newsletter-health`; every other list is `newsletter`. Sending asks `can()` with the same.
 */
export function consentPurposeFor(kind: NewsletterKind): PurposeKey {
  return kind === 'general' ? 'newsletter' : 'newsletter-health';
}

/** The consent scope of a list: `newsletter:pregnancy-weekly`. */
export function consentScopeFor(listKey: string): string {
  return `newsletter:${listKey}`;
}

/** The catalogue, retired lists included (flagged), in the order forms show them. */
export async function listNewsletterCatalogue(db: DbExecutor): Promise<NewsletterList[]> {
  const rows = await findAllLists(db);
  return rows.map((row) => ({
    key: row.key,
    title: row.title,
    description: row.description,
    kind: row.kind,
    active: row.active === 1,
  }));
}

/** A member's subscriptions to active lists, in the `newsletters` shape of DESIGN.md §6. */
export async function currentNewsletterPreferences(
  db: DbExecutor,
  userId: string,
): Promise<NewsletterPreferences> {
  const subscriptions = await findActiveSubscriptions(db, userId);
  const babies = await findBabies(
    db,
    subscriptions.map((subscription) => subscription.id),
  );
  return subscriptions.map((subscription) => {
    const preference: NewsletterPreference = { list: subscription.list_key };
    if (subscription.due_date !== null) preference.dueDate = subscription.due_date;
    const own = babies.filter((baby) => baby.subscription_id === subscription.id);
    if (own.length > 0) preference.babies = own.map((baby) => ({ birthDate: baby.birth_date }));
    return preference;
  });
}

export interface ApplyNewsletterOptions {
  /** How the member told us: a page's form, or the API. */
  method: Extract<ConsentMethod, 'form' | 'api'>;
  /** The published notice version the member was shown. */
  noticeVersion: number;
  issuer: ReceiptIssuer;
  at?: Date;
  /** For "today" in the date checks; `Europe/London` by default (config TIMEZONE). */
  timeZone?: string;
}

export interface NewsletterChanges {
  subscribed: string[];
  unsubscribed: string[];
  /** Lists kept whose due date or birth dates changed (no consent event: the consent stands). */
  updated: string[];
  /** One receipt per consent event, in the order recorded. */
  receipts: { list: string; granted: boolean; receipt: ConsentReceipt }[];
}

function sameBirthDates(a: readonly string[], b: readonly string[]): boolean {
  const sortedA = [...a].sort();
  const sortedB = [...b].sort();
  return sortedA.length === sortedB.length && sortedA.every((date, i) => date === sortedB[i]);
}

/**
 * Makes the member's subscriptions exactly `value`, in the caller's transaction (or one of its
 * own): subscribes, unsubscribes and updates dates, recording a consent event per subscribe and
 * unsubscribe. Subscriptions to retired lists are left as they are: the member can no longer
 * choose them, so their absence from `value` is not a choice. Checks `value` again against the
 * database's catalogue, so a list retired since the form was shown is refused (400, by field).
 */
export async function applyNewsletterPreferences(
  db: DbExecutor,
  userId: string,
  value: NewsletterPreferences,
  options: ApplyNewsletterOptions,
): Promise<NewsletterChanges> {
  if (!db.isTransaction) {
    return db.transaction().execute((trx) => applyInTransaction(trx, userId, value, options));
  }
  return applyInTransaction(db, userId, value, options);
}

async function applyInTransaction(
  db: DbExecutor,
  userId: string,
  value: NewsletterPreferences,
  options: ApplyNewsletterOptions,
): Promise<NewsletterChanges> {
  const at = options.at ?? new Date();
  const atText = toDbTime(at);
  const catalogue = await listNewsletterCatalogue(db);
  const checked = parseNewsletterPreferences(value, {
    catalogue,
    today: todayIn(options.timeZone ?? 'Europe/London', at),
  });
  if (!checked.ok) {
    throw new AppError('validation_failed', 'Some newsletter choices need fixing.', {
      fields: checked.fields,
    });
  }
  const kinds = new Map(catalogue.map((list) => [list.key, list.kind]));
  const activeKeys = new Set(catalogue.filter((list) => list.active).map((list) => list.key));

  const existing = await findSubscriptionsForUpdate(db, userId);
  const existingByList = new Map(existing.map((row) => [row.list_key, row]));
  const existingBabies = await findBabies(
    db,
    existing.map((row) => row.id),
  );
  const wanted = new Map(checked.value.map((preference) => [preference.list, preference]));
  const changes: NewsletterChanges = {
    subscribed: [],
    unsubscribed: [],
    updated: [],
    receipts: [],
  };

  const consent = async (listKey: string, granted: boolean) => {
    const { receipt } = await recordConsent(
      db,
      {
        subjectId: userId,
        subjectKind: 'member',
        purpose: consentPurposeFor(kinds.get(listKey) ?? 'general'),
        scope: consentScopeFor(listKey),
        granted,
        method: options.method,
        noticeVersion: options.noticeVersion,
        at,
      },
      options.issuer,
    );
    changes.receipts.push({ list: listKey, granted, receipt });
  };

  for (const row of existing) {
    if (!activeKeys.has(row.list_key) || wanted.has(row.list_key)) continue;
    // P06: the due date lives on the row and the birth dates in its children: all go now.
    await deleteSubscription(db, row.id);
    await consent(row.list_key, false);
    changes.unsubscribed.push(row.list_key);
  }

  for (const preference of checked.value) {
    const birthDates = (preference.babies ?? []).map((baby) => baby.birthDate);
    const current = existingByList.get(preference.list);
    if (!current) {
      const row: SubscriptionsTable = {
        id: newId(),
        user_id: userId,
        list_key: preference.list,
        due_date: preference.dueDate ?? null,
        created_at: atText,
        updated_at: atText,
      };
      try {
        await insertSubscription(db, row);
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        throw new AppError(
          'conflict',
          'Your newsletter choices were changed at the same moment elsewhere. Please try again.',
          { cause: error },
        );
      }
      await insertBabies(
        db,
        birthDates.map((birthDate) => ({
          id: newId(),
          subscription_id: row.id,
          birth_date: birthDate,
          created_at: atText,
        })),
      );
      await consent(preference.list, true);
      changes.subscribed.push(preference.list);
      continue;
    }
    const currentBirthDates = existingBabies
      .filter((baby) => baby.subscription_id === current.id)
      .map((baby) => baby.birth_date);
    const dueDateChanged = (preference.dueDate ?? null) !== current.due_date;
    const babiesChanged = !sameBirthDates(birthDates, currentBirthDates);
    if (!dueDateChanged && !babiesChanged) continue;
    await updateSubscriptionDueDate(db, current.id, preference.dueDate ?? null, atText);
    if (babiesChanged) {
      await deleteBabies(db, current.id);
      await insertBabies(
        db,
        birthDates.map((birthDate) => ({
          id: newId(),
          subscription_id: current.id,
          birth_date: birthDate,
          created_at: atText,
        })),
      );
    }
    changes.updated.push(preference.list);
  }
  return changes;
}
