/**
 * The durable job queue's data functions (the pattern of graphile-worker and Solid Queue): jobs
 * are rows, enqueued in the caller's transaction, claimed under a lease, retried with backoff and
 * kept when dead. The worker (jobs.worker.ts) drives these; services only call `enqueueJob`.
 */
import { sql, type Kysely } from 'kysely';
import { newId } from '../db/ids.js';
import { dialectOf } from '../db/database.js';
import { toDbTime, toNumber, skipLocked, unnestInsert } from '../db/portable.js';
import type { JobPayload } from './jobs.types.js';
import type { JobStatus, JobsTable, JobsTables } from './jobs.tables.js';

/** Attempts a job gets unless the enqueuer says otherwise. */
export const DEFAULT_MAX_ATTEMPTS = 10;

/** Thrown when an enqueue is malformed: a programming error in the caller, never a user's. */
export class JobPayloadError extends Error {
  readonly code = 'invalid_job_payload';
  constructor(message: string) {
    super(message);
    this.name = 'JobPayloadError';
  }
}

const JOB_NAME = /^[a-z][a-zA-Z0-9_-]*(?:\.[a-zA-Z0-9_-]+)+$/;
const PAYLOAD_KEY = /^[A-Za-z][A-Za-z0-9_]{0,39}$/;
/**
 * Ids, slugs, scopes (`competition:42`), dates and times: letters, digits and `._:/+=-`.
 * No spaces (free text), no `@` (email addresses), nothing long.
 */
const PAYLOAD_STRING = /^[A-Za-z0-9._:/+=-]*$/;
const MAX_PAYLOAD_STRING = 100;
const MAX_PAYLOAD_KEYS = 16;
const ID_LIKE = /^[A-Za-z0-9._:-]{1,100}$/;
const MAX_UNIQUE_KEY = 200;

/**
 * Payloads carry ids, never personal data (DESIGN.md §2): a job row outlives the request that
 * made it and is read by operators, so names, emails and message text stay in their own tables
 * (which erasure and retention reach) and the job names the row.
 */
export function validateJobPayload(name: string, payload: unknown): JobPayload {
  if (!JOB_NAME.test(name) || name.length > 100) {
    throw new JobPayloadError(
      `Job name "${name.slice(0, 100)}" must look like owner.job (letters, digits, - and _)`,
    );
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new JobPayloadError(`Job ${name}: the payload must be an object of ids`);
  }
  if (
    Object.getPrototypeOf(payload) !== Object.prototype &&
    Object.getPrototypeOf(payload) !== null
  ) {
    throw new JobPayloadError(`Job ${name}: the payload must be a plain object`);
  }
  const entries = Object.entries(payload);
  if (entries.length > MAX_PAYLOAD_KEYS) {
    throw new JobPayloadError(`Job ${name}: at most ${MAX_PAYLOAD_KEYS} payload keys`);
  }
  for (const [key, value] of entries) {
    if (!PAYLOAD_KEY.test(key)) {
      throw new JobPayloadError(`Job ${name}: payload key "${key.slice(0, 40)}" is not a name`);
    }
    if (value === null || typeof value === 'boolean') continue;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) {
        throw new JobPayloadError(`Job ${name}: payload.${key} must be a finite number`);
      }
      continue;
    }
    if (typeof value !== 'string') {
      throw new JobPayloadError(
        `Job ${name}: payload.${key} must be an id, a number, a boolean or null, not ${Array.isArray(value) ? 'an array' : typeof value}`,
      );
    }
    if (value.includes('@')) {
      throw new JobPayloadError(
        `Job ${name}: payload.${key} looks like an email address; payloads carry ids, never personal data`,
      );
    }
    if (value.length > MAX_PAYLOAD_STRING || !PAYLOAD_STRING.test(value)) {
      throw new JobPayloadError(
        `Job ${name}: payload.${key} looks like free text; payloads carry ids (letters, digits and ._:/+=-, at most ${MAX_PAYLOAD_STRING} characters)`,
      );
    }
  }
  return payload as JobPayload;
}

/** Email addresses in error text (an SMTP reply quoting the recipient) are not kept nor logged. */
export function redactEmails(text: string): string {
  return text.replace(/[^\s<>"'(),;:@]+@[^\s<>"'(),;:@]+/g, '[email]');
}

export interface EnqueueOptions {
  /** Not before this time; now by default. */
  runAt?: Date;
  /** A second enqueue with the same key is a no-op, even after the first has run. */
  uniqueKey?: string;
  maxAttempts?: number;
  /** The member the job is about, so that erasure and export can find it. */
  subjectId?: string;
}

export interface EnqueueResult {
  /** False when a job with the same unique key already existed. */
  inserted: boolean;
  /** The new job's id, or the existing one's for a duplicate unique key (null if it is gone). */
  jobId: string | null;
}

/**
 * Any owner's Kysely (or transaction) works: the queue's rows are written through the same
 * connection, so a job commits or rolls back with the change that asked for it.
 */
function queueTables<T>(db: Kysely<T>): Kysely<JobsTables> {
  return db as unknown as Kysely<JobsTables>;
}

/** Checks a job's payload and options and builds its row (shared by one and many). */
function buildJobRow(
  name: string,
  payload: JobPayload,
  options: EnqueueOptions,
  now: string,
): JobsTable {
  validateJobPayload(name, payload);
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 100) {
    throw new JobPayloadError(`Job ${name}: maxAttempts must be a whole number from 1 to 100`);
  }
  if (options.runAt !== undefined && Number.isNaN(options.runAt.getTime())) {
    throw new JobPayloadError(`Job ${name}: runAt is not a valid date`);
  }
  if (options.uniqueKey !== undefined) {
    if (options.uniqueKey.length === 0 || options.uniqueKey.length > MAX_UNIQUE_KEY) {
      throw new JobPayloadError(
        `Job ${name}: uniqueKey must have 1 to ${MAX_UNIQUE_KEY} characters`,
      );
    }
    if (options.uniqueKey.includes('@')) {
      throw new JobPayloadError(`Job ${name}: uniqueKey looks like an email address`);
    }
  }
  if (options.subjectId !== undefined && !ID_LIKE.test(options.subjectId)) {
    throw new JobPayloadError(`Job ${name}: subjectId must be an id`);
  }
  return {
    id: newId(),
    name,
    payload: JSON.stringify(payload),
    subject_id: options.subjectId ?? null,
    status: 'queued',
    run_at: options.runAt ? toDbTime(options.runAt) : now,
    attempts: 0,
    max_attempts: maxAttempts,
    lease_owner: null,
    lease_expires_at: null,
    last_error: null,
    unique_key: options.uniqueKey ?? null,
    created_at: now,
    updated_at: now,
    finished_at: null,
  };
}

/** Rows per multi-row insert: 15 columns × 500 stays well under both engines' parameter limits. */
const BULK_INSERT_CHUNK = 500;

/** Rows per statement when the rows travel as arrays (PostgreSQL). */
const ARRAY_INSERT_CHUNK = 5_000;

const JOB_COLUMNS = [
  'id',
  'name',
  'payload',
  'subject_id',
  'status',
  'run_at',
  'attempts',
  'max_attempts',
  'lease_owner',
  'lease_expires_at',
  'last_error',
  'unique_key',
  'created_at',
  'updated_at',
  'finished_at',
] as const satisfies readonly (keyof JobsTable)[];

/**
 * Enqueues many jobs with multi-row inserts (a newsletter's thousands of `mail.send` jobs): one
 * round trip per 500 jobs instead of one each, and on PostgreSQL one per 5,000 as column arrays
 * (portable.ts `unnestInsert`). Unique keys are for single scheduled runs and are refused here.
 */
export async function enqueueJobs<T>(
  executor: Kysely<T>,
  jobs: readonly { name: string; payload: JobPayload; options?: EnqueueOptions }[],
): Promise<string[]> {
  const now = toDbTime(new Date());
  const rows = jobs.map((job) => {
    if (job.options?.uniqueKey !== undefined) {
      throw new JobPayloadError(`Job ${job.name}: enqueueJobs takes no unique keys`);
    }
    return buildJobRow(job.name, job.payload, job.options ?? {}, now);
  });
  const db = queueTables(executor);
  if (dialectOf(db) === 'postgres') {
    for (let start = 0; start < rows.length; start += ARRAY_INSERT_CHUNK) {
      const chunk = rows.slice(start, start + ARRAY_INSERT_CHUNK);
      await unnestInsert('jobs', JOB_COLUMNS, chunk, ['attempts', 'max_attempts']).execute(db);
    }
    return rows.map((row) => row.id);
  }
  for (let start = 0; start < rows.length; start += BULK_INSERT_CHUNK) {
    await db
      .insertInto('jobs')
      .values(rows.slice(start, start + BULK_INSERT_CHUNK))
      .execute();
  }
  return rows.map((row) => row.id);
}

/** Adds a job in the caller's transaction (pass the transaction as `db`). */
export async function enqueueJob<T>(
  executor: Kysely<T>,
  name: string,
  payload: JobPayload,
  options: EnqueueOptions = {},
): Promise<EnqueueResult> {
  const db = queueTables(executor);
  const row = buildJobRow(name, payload, options, toDbTime(new Date()));
  const id = row.id;
  if (options.uniqueKey === undefined) {
    await db.insertInto('jobs').values(row).execute();
    return { inserted: true, jobId: id };
  }
  // ON CONFLICT DO NOTHING on both engines: on PostgreSQL a concurrent insert of the same key
  // waits for the other transaction and then does nothing, so exactly one row ever exists.
  const inserted = await db
    .insertInto('jobs')
    .values(row)
    .onConflict((conflict) => conflict.column('unique_key').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (inserted) return { inserted: true, jobId: inserted.id };
  const existing = await db
    .selectFrom('jobs')
    .select('id')
    .where('unique_key', '=', options.uniqueKey)
    .executeTakeFirst();
  return { inserted: false, jobId: existing?.id ?? null };
}

/** A claimed job, as the worker runs it. */
export interface ClaimedJob {
  id: string;
  name: string;
  payload: string;
  attempts: number;
  maxAttempts: number;
  runAt: string;
}

export interface ClaimOptions {
  workerId: string;
  /** Only jobs this worker has handlers for: an older worker never fails a newer job type. */
  names: readonly string[];
  limit: number;
  now: Date;
  leaseMs: number;
}

/**
 * Jobs whose worker vanished (lease expired) and that have no attempt left are dead: running
 * them again would exceed what the enqueuer allowed.
 */
export async function buryExpiredLeases<T>(executor: Kysely<T>, now: Date): Promise<number> {
  const db = queueTables(executor);
  const time = toDbTime(now);
  const result = await db
    .updateTable('jobs')
    .set({
      status: 'dead',
      last_error: 'The worker running the last attempt stopped before it finished (lease expired)',
      lease_owner: null,
      lease_expires_at: null,
      finished_at: time,
      updated_at: time,
    })
    .where('status', '=', 'running')
    .where('lease_expires_at', '<=', time)
    .whereRef('attempts', '>=', 'max_attempts')
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * Claims up to `limit` due jobs in ONE statement: queued jobs whose time has come, and running
 * jobs whose lease expired (their worker crashed). On PostgreSQL the inner select takes row
 * locks with SKIP LOCKED, so concurrent workers claim disjoint sets without waiting; on SQLite
 * an UPDATE takes the single write lock before it reads, so claims are serialised.
 */
export async function claimDueJobs<T>(
  executor: Kysely<T>,
  options: ClaimOptions,
): Promise<ClaimedJob[]> {
  if (options.names.length === 0 || options.limit < 1) return [];
  const db = queueTables(executor);
  const time = toDbTime(options.now);
  const leaseUntil = toDbTime(new Date(options.now.getTime() + options.leaseMs));
  const due = db
    .selectFrom('jobs')
    .select('id')
    .where('name', 'in', [...options.names])
    .where((where) =>
      where.or([
        where.and([where('status', '=', 'queued'), where('run_at', '<=', time)]),
        where.and([
          where('status', '=', 'running'),
          where('lease_expires_at', '<=', time),
          where('attempts', '<', where.ref('max_attempts')),
        ]),
      ]),
    )
    .orderBy('run_at')
    .orderBy('id')
    .limit(options.limit)
    .modifyEnd(skipLocked(executor));
  const rows = await db
    .updateTable('jobs')
    .set({
      status: 'running',
      lease_owner: options.workerId,
      lease_expires_at: leaseUntil,
      attempts: sql<number>`attempts + 1`,
      updated_at: time,
    })
    .where('id', 'in', due)
    .returning(['id', 'name', 'payload', 'attempts', 'max_attempts', 'run_at'])
    .execute();
  return rows
    .map((row) => ({
      id: row.id,
      name: row.name,
      payload: row.payload,
      attempts: toNumber(row.attempts),
      maxAttempts: toNumber(row.max_attempts),
      runAt: row.run_at,
    }))
    .sort((a, b) => (a.runAt === b.runAt ? a.id.localeCompare(b.id) : a.runAt < b.runAt ? -1 : 1));
}

/** Keeps the leases of jobs still running here, so a long job is not taken for a crashed one. */
export async function extendLeases<T>(
  executor: Kysely<T>,
  workerId: string,
  jobIds: readonly string[],
  until: Date,
): Promise<number> {
  if (jobIds.length === 0) return 0;
  const result = await queueTables(executor)
    .updateTable('jobs')
    .set({ lease_expires_at: toDbTime(until) })
    .where('id', 'in', [...jobIds])
    .where('lease_owner', '=', workerId)
    .where('status', '=', 'running')
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * Marks a job done. Only the lease holder may: false when the lease was lost (the job ran too
 * long without renewal and another worker took it), and the other worker's result stands.
 */
export async function completeJob<T>(
  executor: Kysely<T>,
  jobId: string,
  workerId: string,
  now: Date,
): Promise<boolean> {
  const time = toDbTime(now);
  const result = await queueTables(executor)
    .updateTable('jobs')
    .set({
      status: 'done',
      lease_owner: null,
      lease_expires_at: null,
      last_error: null,
      finished_at: time,
      updated_at: time,
    })
    .where('id', '=', jobId)
    .where('lease_owner', '=', workerId)
    .where('status', '=', 'running')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export interface BackoffPolicy {
  /** Delay after the first failure; each further failure doubles it. */
  baseMs: number;
  /** The longest delay between two attempts. */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 10_000, maxMs: 3_600_000 };

/**
 * Exponential backoff with "equal jitter": half the capped exponential delay, plus a random
 * share of the other half, so jobs that failed together (a relay outage) do not retry in step.
 */
export function retryDelayMs(
  attempt: number,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 30);
  const capped = Math.min(policy.maxMs, policy.baseMs * 2 ** exponent);
  return Math.round(capped / 2 + random() * (capped / 2));
}

export type FailureOutcome = 'retry' | 'dead' | 'lost';

/**
 * Records a failed attempt: back to `queued` at `retryAt`, or `dead` when no attempt is left
 * or the failure is permanent. The error text is kept (emails redacted) either way.
 */
export async function failJob<T>(
  executor: Kysely<T>,
  job: { id: string; attempts: number; maxAttempts: number },
  workerId: string,
  failure: { message: string; permanent: boolean; now: Date; retryAt: Date },
): Promise<FailureOutcome> {
  const time = toDbTime(failure.now);
  const isDead = failure.permanent || job.attempts >= job.maxAttempts;
  const message = redactEmails(failure.message).slice(0, 2000);
  const status: JobStatus = isDead ? 'dead' : 'queued';
  const result = await queueTables(executor)
    .updateTable('jobs')
    .set({
      status,
      lease_owner: null,
      lease_expires_at: null,
      last_error: message,
      updated_at: time,
      ...(isDead ? { finished_at: time } : { run_at: toDbTime(failure.retryAt) }),
    })
    .where('id', '=', job.id)
    .where('lease_owner', '=', workerId)
    .where('status', '=', 'running')
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) return 'lost';
  return isDead ? 'dead' : 'retry';
}

/** Jobs per status, for the worker's start-up line and the admin dashboard. */
export async function countJobsByStatus<T>(
  executor: Kysely<T>,
): Promise<Record<JobStatus, number>> {
  const rows = await queueTables(executor)
    .selectFrom('jobs')
    .select(['status', (eb) => eb.fn.countAll().as('count')])
    .groupBy('status')
    .execute();
  const counts: Record<JobStatus, number> = { queued: 0, running: 0, done: 0, dead: 0 };
  for (const row of rows) counts[row.status] = toNumber(row.count);
  return counts;
}
