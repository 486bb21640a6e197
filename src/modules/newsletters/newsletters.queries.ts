/** Queries on the newsletters tables: functions taking `db` first, no business logic. */
import type { Kysely } from 'kysely';
import { tablesOf, type DbExecutor } from '../../platform/db/database.js';
import { forUpdate } from '../../platform/db/portable.js';
import type {
  BabiesTable,
  ListsTable,
  NewslettersTables,
  SubscriptionsTable,
} from './newsletters.tables.js';

function tables(db: DbExecutor): Kysely<NewslettersTables> {
  return tablesOf<NewslettersTables>(db);
}

/** Every list, retired ones too, in the order forms show them. */
export function findAllLists(db: DbExecutor): Promise<ListsTable[]> {
  return tables(db)
    .selectFrom('newsletters_lists')
    .selectAll()
    .orderBy('position')
    .orderBy('key')
    .execute();
}

/**
 * A member's subscriptions, locked on PostgreSQL until the transaction ends, so two changes of
 * the same member's choices apply one after the other.
 */
export function findSubscriptionsForUpdate(
  db: DbExecutor,
  userId: string,
): Promise<SubscriptionsTable[]> {
  const typed = tables(db);
  return typed
    .selectFrom('newsletters_subscriptions')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('list_key')
    .modifyEnd(forUpdate(typed))
    .execute();
}

/** A member's subscriptions to active lists, in the catalogue's order. */
export function findActiveSubscriptions(
  db: DbExecutor,
  userId: string,
): Promise<(SubscriptionsTable & { position: number })[]> {
  return tables(db)
    .selectFrom('newsletters_subscriptions')
    .innerJoin('newsletters_lists', 'newsletters_lists.key', 'newsletters_subscriptions.list_key')
    .selectAll('newsletters_subscriptions')
    .select('newsletters_lists.position')
    .where('newsletters_subscriptions.user_id', '=', userId)
    .where('newsletters_lists.active', '=', 1)
    .orderBy('newsletters_lists.position')
    .orderBy('newsletters_lists.key')
    .execute();
}

/** The babies of these subscriptions, oldest first. */
export function findBabies(
  db: DbExecutor,
  subscriptionIds: readonly string[],
): Promise<BabiesTable[]> {
  if (subscriptionIds.length === 0) return Promise.resolve([]);
  return tables(db)
    .selectFrom('newsletters_babies')
    .selectAll()
    .where('subscription_id', 'in', [...subscriptionIds])
    .orderBy('subscription_id')
    .orderBy('birth_date')
    .orderBy('id')
    .execute();
}

export async function insertSubscription(db: DbExecutor, row: SubscriptionsTable): Promise<void> {
  await tables(db).insertInto('newsletters_subscriptions').values(row).execute();
}

export async function updateSubscriptionDueDate(
  db: DbExecutor,
  id: string,
  dueDate: string | null,
  updatedAt: string,
): Promise<void> {
  await tables(db)
    .updateTable('newsletters_subscriptions')
    .set({ due_date: dueDate, updated_at: updatedAt })
    .where('id', '=', id)
    .execute();
}

/** Deletes a subscription and its babies (explicitly, not only by cascade: P06 must hold). */
export async function deleteSubscription(db: DbExecutor, id: string): Promise<void> {
  await tables(db).deleteFrom('newsletters_babies').where('subscription_id', '=', id).execute();
  await tables(db).deleteFrom('newsletters_subscriptions').where('id', '=', id).execute();
}

export async function insertBabies(db: DbExecutor, rows: readonly BabiesTable[]): Promise<void> {
  if (rows.length === 0) return;
  await tables(db)
    .insertInto('newsletters_babies')
    .values([...rows])
    .execute();
}

export async function deleteBabies(db: DbExecutor, subscriptionId: string): Promise<void> {
  await tables(db)
    .deleteFrom('newsletters_babies')
    .where('subscription_id', '=', subscriptionId)
    .execute();
}
