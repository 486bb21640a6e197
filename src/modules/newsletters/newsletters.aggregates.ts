/**
 * Subscribers by life stage, for aggregate reports (P32): counts only, never ids. The life
 * stage is the kind of list (general, Pregnancy Weekly, Baby Monthly); a member counts once
 * per stage however many lists of that kind they take. Only active accounts with a subscription
 * that can receive mail (not suspended by a bounce) count, and only members who have not
 * objected to, or restricted, processing for advertising (`filterAllowed`). No due date or
 * birth date is read.
 */
import type { Kysely } from 'kysely';
import { tablesOf, type DbExecutor } from '../../platform/db/database.js';
import { filterAllowed } from '../../privacy/consent/index.js';
import type { EngagementTables } from './newsletters.engagement.js';
import {
  NEWSLETTER_KINDS,
  type NewsletterKind,
  type NewslettersTables,
} from './newsletters.tables.js';

/** The life stages, in the order reports show them. */
export const LIFE_STAGES: readonly NewsletterKind[] = NEWSLETTER_KINDS;

/** The purpose the counts are made for; members who objected to it are not counted. */
export const AGGREGATE_PURPOSE = 'advertising';

const BATCH = 5000;

function tables(db: DbExecutor): Kysely<NewslettersTables & EngagementTables> {
  return tablesOf<NewslettersTables & EngagementTables>(db);
}

/** Subscribers per life stage, in `LIFE_STAGES` order (a stage with none counts 0). */
export async function countSubscribersByLifeStage(
  db: DbExecutor,
): Promise<{ stage: NewsletterKind; subscribers: number }[]> {
  const counts = new Map<NewsletterKind, number>(LIFE_STAGES.map((stage) => [stage, 0]));
  // Keyset pagination over (member, kind); '' sorts before every id and kind.
  let after: { userId: string; kind: NewsletterKind | '' } = { userId: '', kind: '' };
  for (;;) {
    const batch = await tables(db)
      .selectFrom('newsletters_subscriptions')
      .innerJoin('newsletters_lists', 'newsletters_lists.key', 'newsletters_subscriptions.list_key')
      .innerJoin('accounts_users', 'accounts_users.id', 'newsletters_subscriptions.user_id')
      .select(['newsletters_subscriptions.user_id as userId', 'newsletters_lists.kind as kind'])
      .distinct()
      .where('accounts_users.status', '=', 'active')
      .where('newsletters_subscriptions.suspended_at', 'is', null)
      .where((eb) =>
        eb.or([
          eb('newsletters_subscriptions.user_id', '>', after.userId),
          eb.and([
            eb('newsletters_subscriptions.user_id', '=', after.userId),
            // The column's type is the kinds; '' (the start) compares as text like them.
            eb('newsletters_lists.kind', '>', after.kind as NewsletterKind),
          ]),
        ]),
      )
      .orderBy('newsletters_subscriptions.user_id')
      .orderBy('newsletters_lists.kind')
      .limit(BATCH)
      .execute();
    if (batch.length === 0) break;
    const allowed = await filterAllowed(
      db,
      batch.map((row) => row.userId),
      AGGREGATE_PURPOSE,
    );
    for (const row of batch) {
      const current = counts.get(row.kind);
      if (allowed.has(row.userId) && current !== undefined) counts.set(row.kind, current + 1);
    }
    const last = batch[batch.length - 1];
    if (last) after = { userId: last.userId, kind: last.kind };
    if (batch.length < BATCH) break;
  }
  return LIFE_STAGES.map((stage) => ({ stage, subscribers: counts.get(stage) ?? 0 }));
}
