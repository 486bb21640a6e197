import type { Kysely, Transaction } from 'kysely';
import type { AnyTables, DbExecutor } from '../../platform/db/database.js';

/**
 * Runs `work` in the caller's transaction when given one, so a consent change commits or rolls
 * back with the change that caused it; otherwise in a transaction of its own.
 */
export async function inTransaction<T>(
  executor: DbExecutor<AnyTables>,
  work: (trx: Transaction<AnyTables> | Kysely<AnyTables>) => Promise<T>,
): Promise<T> {
  if (executor.isTransaction) return work(executor);
  return executor.transaction().execute(work);
}
