/** Kysely types of the newsletters tables (migrations 20261129_0021 and _0022). */

/** Which dates a subscription carries: none, a due date, or babies' birth dates. */
export type NewsletterKind = 'general' | 'pregnancy-weekly' | 'baby-monthly';

export const NEWSLETTER_KINDS: readonly NewsletterKind[] = [
  'general',
  'pregnancy-weekly',
  'baby-monthly',
];

export interface ListsTable {
  key: string;
  title: string;
  description: string;
  kind: NewsletterKind;
  active: number;
  position: number;
  created_at: string;
}

export interface SubscriptionsTable {
  id: string;
  user_id: string;
  list_key: string;
  due_date: string | null;
  created_at: string;
  updated_at: string;
}

export interface BabiesTable {
  id: string;
  subscription_id: string;
  birth_date: string;
  created_at: string;
}

export interface NewslettersTables {
  newsletters_lists: ListsTable;
  newsletters_subscriptions: SubscriptionsTable;
  newsletters_babies: BabiesTable;
}
