/** Reads and writes of the rights request queue: no rules here (see rights.requests.service.ts). */
import { sql, type Kysely } from 'kysely';
import { tablesOf, type DbExecutor } from '../../platform/db/database.js';
import { forUpdate, toNumber } from '../../platform/db/portable.js';
import type {
  RequestKind,
  RequestStatus,
  RightsRequestsTable,
  RightsRequestVerificationsTable,
  RightsTables,
} from './rights.requests.tables.js';

function rights(db: DbExecutor): Kysely<RightsTables> {
  return tablesOf<RightsTables>(db);
}

export async function insertRequest(db: DbExecutor, row: RightsRequestsTable): Promise<void> {
  await rights(db).insertInto('rights_requests').values(row).execute();
}

export async function findRequest(
  db: DbExecutor,
  id: string,
): Promise<RightsRequestsTable | undefined> {
  return rights(db)
    .selectFrom('rights_requests')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst();
}

/** The row, locked against concurrent writers until the transaction ends (PostgreSQL). */
export async function findRequestForUpdate(
  trx: DbExecutor,
  id: string,
): Promise<RightsRequestsTable | undefined> {
  const db = rights(trx);
  return db
    .selectFrom('rights_requests')
    .selectAll()
    .where('id', '=', id)
    .modifyEnd(forUpdate(db))
    .executeTakeFirst();
}

export async function updateRequest(
  db: DbExecutor,
  id: string,
  changes: Partial<Omit<RightsRequestsTable, 'id'>>,
): Promise<void> {
  await rights(db).updateTable('rights_requests').set(changes).where('id', '=', id).execute();
}

export async function listRequestRowsForSubject(
  db: DbExecutor,
  subjectId: string,
): Promise<RightsRequestsTable[]> {
  return (
    rights(db)
      .selectFrom('rights_requests')
      .selectAll()
      .where('subject_id', '=', subjectId)
      // A public request not yet verified is not yet the member's request.
      .where('status', '!=', 'awaiting-verification')
      .orderBy('received_at', 'desc')
      .orderBy('id', 'desc')
      .execute()
  );
}

/** An open request of `kind` for the subject, if any (a second erasure joins the first). */
export async function findOpenRequestOfKind(
  db: DbExecutor,
  subjectId: string,
  kind: RequestKind,
): Promise<RightsRequestsTable | undefined> {
  return rights(db)
    .selectFrom('rights_requests')
    .selectAll()
    .where('subject_id', '=', subjectId)
    .where('kind', '=', kind)
    .where('status', 'in', ['received', 'in-progress', 'extended'])
    .orderBy('received_at', 'asc')
    .executeTakeFirst();
}

/** The date a request is due by now: the extended date when there is one. */
const effectiveDue = sql<string>`coalesce(extended_due_date, due_date)`;

export interface QueuePage {
  rows: RightsRequestsTable[];
  next: { due: string; id: string } | null;
}

/** Requests in due-date order (then id), after `after`, optionally of some statuses. */
export async function listQueueRows(
  db: DbExecutor,
  options: {
    statuses: readonly RequestStatus[];
    limit: number;
    after: { due: string; id: string } | null;
  },
): Promise<QueuePage> {
  let query = rights(db)
    .selectFrom('rights_requests')
    .selectAll()
    .select(effectiveDue.as('effective_due'))
    .where('status', 'in', [...options.statuses]);
  if (options.after) {
    const { due, id } = options.after;
    query = query.where((eb) =>
      eb.or([eb(effectiveDue, '>', due), eb.and([eb(effectiveDue, '=', due), eb('id', '>', id)])]),
    );
  }
  const rows = await query
    .orderBy(effectiveDue)
    .orderBy('id')
    .limit(options.limit + 1)
    .execute();
  const page = rows.slice(0, options.limit);
  const last = page.at(-1);
  return {
    rows: page.map(({ effective_due: _due, ...row }) => row),
    next: rows.length > options.limit && last ? { due: last.effective_due, id: last.id } : null,
  };
}

/** Erasure requests under way (the member's own, or approved by the DPO), oldest first. */
export async function listOpenErasureRequestIds(db: DbExecutor): Promise<string[]> {
  const rows = await rights(db)
    .selectFrom('rights_requests')
    .select('id')
    .where('kind', '=', 'erasure')
    .where('subject_id', 'is not', null)
    // Only erasures already under way: a received public request waits for the DPO.
    .where('status', 'in', ['in-progress', 'extended'])
    .orderBy('received_at')
    .execute();
  return rows.map((row) => row.id);
}

export async function countRequestsByKindAndMonth(
  db: DbExecutor,
  since: string,
): Promise<{ month: string; kind: RequestKind; count: number }[]> {
  // received_at is ISO 8601 UTC text: its first seven characters are the month.
  const month = sql<string>`substr(received_at, 1, 7)`;
  const rows = await rights(db)
    .selectFrom('rights_requests')
    .select([month.as('month'), 'kind', (eb) => eb.fn.countAll().as('count')])
    .where('received_at', '>=', since)
    .where('status', '!=', 'awaiting-verification')
    .groupBy([month, 'kind'])
    .orderBy(month)
    .orderBy('kind')
    .execute();
  return rows.map((row) => ({ month: row.month, kind: row.kind, count: toNumber(row.count) }));
}

export async function insertVerification(
  db: DbExecutor,
  row: RightsRequestVerificationsTable,
): Promise<void> {
  await rights(db).insertInto('rights_request_verifications').values(row).execute();
}

export async function findVerificationForUpdate(
  trx: DbExecutor,
  requestId: string,
): Promise<RightsRequestVerificationsTable | undefined> {
  const db = rights(trx);
  return db
    .selectFrom('rights_request_verifications')
    .selectAll()
    .where('request_id', '=', requestId)
    .orderBy('created_at', 'desc')
    .limit(1)
    .modifyEnd(forUpdate(db))
    .executeTakeFirst();
}

export async function countVerificationAttempt(db: DbExecutor, id: string): Promise<void> {
  await rights(db)
    .updateTable('rights_request_verifications')
    .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
    .where('id', '=', id)
    .execute();
}

export async function deleteVerifications(db: DbExecutor, requestId: string): Promise<void> {
  await rights(db)
    .deleteFrom('rights_request_verifications')
    .where('request_id', '=', requestId)
    .execute();
}
