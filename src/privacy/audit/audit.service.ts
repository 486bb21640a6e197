/**
 * The audit log (DESIGN.md §5.7): append-only and hash-chained.
 *
 * - A chain entry holds the sequence number, the time, the action, opaque references for the
 *   actor and the subject, the hash of its detail row and the hash of the previous entry; its
 *   own hash covers all of these. Changing, removing or reordering an entry breaks every hash
 *   after it.
 * - People appear in the chain only as random pseudonyms (audit_subject_refs). Erasing a member
 *   deletes their pseudonym, after which the chain names no one; the chain itself is never
 *   erased, so its proof survives.
 * - The detail row holds what happened and the raw ids, and follows erasure and retention. The
 *   chain keeps the detail's hash: a deleted detail leaves verification intact, an altered one
 *   is detected.
 * - Every append locks the head row (`audit_head`) first, in the append's transaction. On
 *   PostgreSQL the UPDATE takes the same row lock as `SELECT … FOR UPDATE`, so appends from
 *   several processes queue and never fork the chain; on SQLite a write as the transaction's
 *   first statement takes the database's single write lock (waiting for it under busy_timeout)
 *   before the head is read.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { tablesOf, type DbExecutor } from '../../platform/db/database.js';
import { nowTime, toNumber } from '../../platform/db/portable.js';
import { inTransaction } from '../../platform/db/transactions.js';
import { AppError } from '../../platform/http/errors.js';
import type { ErasureTables } from '../erasure/erasure.tables.js';
import type { AuditTables } from './audit.tables.js';

/** The `prev_hash` of the first entry. */
export const AUDIT_GENESIS_HASH = '0'.repeat(64);

const HEAD_ID = 'chain';
const ACTION = /^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)*$/;
const MAX_ACTION_LENGTH = 100;

export interface AuditEntryInput {
  /** Dotted, lower case: `hold.placed`, `erasure.completed`, `consent.granted`. */
  action: string;
  actorId?: string | null;
  subjectId?: string | null;
  /**
   * What happened, as JSON: ids, kinds, counts. People belong in `actorId`/`subjectId`, never
   * here, so that erasure finds them; no passwords, tokens or message bodies.
   */
  detail?: Record<string, unknown>;
}

export interface AuditAppendResult {
  seq: number;
  hash: string;
}

// Services import it from here with appendAudit; it lives with the database code.
export { inTransaction };

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** JSON with object keys sorted at every level, so equal details always hash alike. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) => {
    if (typeof inner === 'bigint') return inner.toString();
    if (inner !== null && typeof inner === 'object' && !Array.isArray(inner)) {
      const sorted: Record<string, unknown> = {};
      for (const key of Object.keys(inner).sort()) {
        sorted[key] = (inner as Record<string, unknown>)[key];
      }
      return sorted;
    }
    return inner;
  });
}

/** The hash of a chain entry: every field but the hash itself, in a fixed order. */
export function chainEntryHash(entry: {
  seq: number;
  at: string;
  action: string;
  actorRef: string | null;
  subjectRef: string | null;
  detailHash: string | null;
  prevHash: string;
}): string {
  return sha256(
    JSON.stringify([
      entry.seq,
      entry.at,
      entry.action,
      entry.actorRef,
      entry.subjectRef,
      entry.detailHash,
      entry.prevHash,
    ]),
  );
}

export function detailHash(detailText: string): string {
  return sha256(detailText);
}

function validateEntry(entry: AuditEntryInput): void {
  if (entry.action.length > MAX_ACTION_LENGTH || !ACTION.test(entry.action)) {
    throw new AppError(
      'validation_failed',
      `audit action must be dotted lower-case words of at most ${MAX_ACTION_LENGTH} characters, got "${entry.action}"`,
    );
  }
  for (const [name, id] of [
    ['actorId', entry.actorId],
    ['subjectId', entry.subjectId],
  ] as const) {
    if (id !== undefined && id !== null && (typeof id !== 'string' || id.length === 0)) {
      throw new AppError('validation_failed', `audit ${name} must be a non-empty string or null`);
    }
  }
}

/**
 * Appends one entry to the chain. Joins the caller's transaction when given one (so the entry
 * commits or rolls back with the change it records); otherwise opens its own.
 */
export async function appendAudit(
  db: DbExecutor,
  entry: AuditEntryInput,
): Promise<AuditAppendResult> {
  validateEntry(entry);
  return inTransaction(db, (trx) =>
    appendLocked(tablesOf<AuditTables & ErasureTables>(trx), entry),
  );
}

async function lockHead(
  db: Kysely<AuditTables & ErasureTables>,
  now: string,
): Promise<{ seq: number; hash: string }> {
  const touch = () =>
    db
      .updateTable('audit_head')
      .set({ updated_at: now })
      .where('id', '=', HEAD_ID)
      .returning(['seq', 'hash'])
      .executeTakeFirst();
  let head = await touch();
  if (!head) {
    // The very first append creates the head. Two first appends at once both insert; the
    // second waits on the key, does nothing, and then queues on the row lock like any append.
    await db
      .insertInto('audit_head')
      .values({ id: HEAD_ID, seq: 0, hash: AUDIT_GENESIS_HASH, updated_at: now })
      .onConflict((conflict) => conflict.column('id').doNothing())
      .execute();
    head = await touch();
  }
  if (!head) throw new Error('audit head row could not be created');
  return { seq: toNumber(head.seq), hash: head.hash };
}

function newPseudonym(): string {
  return `r_${randomBytes(16).toString('hex')}`;
}

/**
 * The pseudonym standing for a person in the chain, created on first use. A person whose
 * erasure has completed gets a fresh pseudonym that is not stored, so an entry written after
 * the erasure cannot be linked back to them either.
 */
async function pseudonymFor(
  db: Kysely<AuditTables & ErasureTables>,
  personId: string | null | undefined,
  now: string,
): Promise<string | null> {
  if (personId === undefined || personId === null) return null;
  const find = () =>
    db
      .selectFrom('audit_subject_refs')
      .select('ref')
      .where('subject_id', '=', personId)
      .executeTakeFirst();
  const existing = await find();
  if (existing) return existing.ref;
  const erased = await db
    .selectFrom('privacy_erasure_runs')
    .select('id')
    .where('subject_id', '=', personId)
    .where('status', '=', 'completed')
    .limit(1)
    .executeTakeFirst();
  if (erased) return newPseudonym();
  await db
    .insertInto('audit_subject_refs')
    .values({ subject_id: personId, ref: newPseudonym(), created_at: now })
    .onConflict((conflict) => conflict.column('subject_id').doNothing())
    .execute();
  const created = await find();
  if (!created) throw new Error('audit pseudonym could not be created');
  return created.ref;
}

async function appendLocked(
  db: Kysely<AuditTables & ErasureTables>,
  entry: AuditEntryInput,
): Promise<AuditAppendResult> {
  const now = nowTime();
  // The lock comes first: everything after it runs with the head held.
  const head = await lockHead(db, now);
  const actorRef = await pseudonymFor(db, entry.actorId, now);
  const subjectRef = await pseudonymFor(db, entry.subjectId, now);
  const hasDetail =
    entry.detail !== undefined ||
    (entry.actorId !== undefined && entry.actorId !== null) ||
    (entry.subjectId !== undefined && entry.subjectId !== null);
  const detailText = hasDetail ? canonicalJson(entry.detail ?? {}) : null;
  const hashOfDetail = detailText === null ? null : detailHash(detailText);
  const seq = head.seq + 1;
  const hash = chainEntryHash({
    seq,
    at: now,
    action: entry.action,
    actorRef,
    subjectRef,
    detailHash: hashOfDetail,
    prevHash: head.hash,
  });
  await db
    .insertInto('audit_chain')
    .values({
      seq,
      at: now,
      action: entry.action,
      actor_ref: actorRef,
      subject_ref: subjectRef,
      detail_hash: hashOfDetail,
      prev_hash: head.hash,
      hash,
    })
    .execute();
  if (detailText !== null) {
    await db
      .insertInto('audit_details')
      .values({
        seq,
        subject_id: entry.subjectId ?? null,
        actor_id: entry.actorId ?? null,
        detail: detailText,
        created_at: now,
      })
      .execute();
  }
  await db.updateTable('audit_head').set({ seq, hash }).where('id', '=', HEAD_ID).execute();
  return { seq, hash };
}

export interface AuditVerification {
  ok: boolean;
  /** Entries checked. */
  checked: number;
  /** The first entry that does not verify. */
  firstBrokenSeq?: number;
  reason?: string;
}

export interface VerifyOptions {
  /** Entries read per query (keyset pages, so memory stays flat on long chains). */
  batchSize?: number;
  /** Called after each page with the entries checked so far and the chain length. */
  onProgress?: (checked: number, total: number) => void;
}

/**
 * Recomputes the chain from the first entry to the head read at the start: each entry follows
 * the previous one, its hash matches its content, its detail (where not erased) matches the
 * detail hash, and the last entry is the head. Entries appended while it runs lie beyond that
 * head and are left for the next check.
 */
export async function verifyAuditChain(
  db: DbExecutor,
  options: VerifyOptions = {},
): Promise<AuditVerification> {
  const audit = tablesOf<AuditTables>(db);
  const batchSize = options.batchSize ?? 1000;
  const headRow = await audit
    .selectFrom('audit_head')
    .select(['seq', 'hash'])
    .where('id', '=', HEAD_ID)
    .executeTakeFirst();
  const headSeq = headRow ? toNumber(headRow.seq) : 0;
  const headHash = headRow ? headRow.hash : AUDIT_GENESIS_HASH;
  if (!headRow) {
    const any = await audit.selectFrom('audit_chain').select('seq').limit(1).executeTakeFirst();
    if (any) {
      return { ok: false, checked: 0, firstBrokenSeq: 1, reason: 'the chain head is missing' };
    }
    return { ok: true, checked: 0 };
  }

  let previousSeq = 0;
  let previousHash = AUDIT_GENESIS_HASH;
  let checked = 0;
  const broken = (seq: number, reason: string): AuditVerification => ({
    ok: false,
    checked,
    firstBrokenSeq: seq,
    reason,
  });

  while (previousSeq < headSeq) {
    const page = await audit
      .selectFrom('audit_chain')
      .leftJoin('audit_details', 'audit_details.seq', 'audit_chain.seq')
      .select([
        'audit_chain.seq',
        'audit_chain.at',
        'audit_chain.action',
        'audit_chain.actor_ref',
        'audit_chain.subject_ref',
        'audit_chain.detail_hash',
        'audit_chain.prev_hash',
        'audit_chain.hash',
        'audit_details.detail',
      ])
      .where('audit_chain.seq', '>', previousSeq)
      .where('audit_chain.seq', '<=', headSeq)
      .orderBy('audit_chain.seq')
      .limit(batchSize)
      .execute();
    if (page.length === 0) break;
    for (const row of page) {
      const seq = toNumber(row.seq);
      if (seq !== previousSeq + 1) return broken(previousSeq + 1, 'the entry is missing');
      if (row.prev_hash !== previousHash) {
        return broken(seq, 'the entry does not follow the previous one');
      }
      const expected = chainEntryHash({
        seq,
        at: row.at,
        action: row.action,
        actorRef: row.actor_ref,
        subjectRef: row.subject_ref,
        detailHash: row.detail_hash,
        prevHash: row.prev_hash,
      });
      if (expected !== row.hash) return broken(seq, 'the entry was altered');
      if (row.detail !== null && row.detail !== undefined) {
        if (row.detail_hash === null || detailHash(row.detail) !== row.detail_hash) {
          return broken(seq, 'the detail of the entry was altered');
        }
      }
      previousSeq = seq;
      previousHash = row.hash;
      checked += 1;
    }
    options.onProgress?.(checked, headSeq);
  }
  if (previousSeq !== headSeq) return broken(previousSeq + 1, 'entries are missing at the end');
  if (previousHash !== headHash) return broken(headSeq, 'the last entry does not match the head');
  return { ok: true, checked };
}
