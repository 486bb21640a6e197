/**
 * The rights module's jobs: the erasure run behind an erasure request, and a daily re-check of
 * erasures a hold kept waiting.
 *
 * The job context carries no privacy registry, and the module cannot import the app that
 * builds it (a cycle): the rights plugin hands it over at registration (`setRightsRegistry`).
 * Every app builds the same registry from the same modules, so the last one set serves all.
 *
 * A held erasure: the engine changes nothing, the request stays in progress (the member reads
 * "being handled"; only staff see the hold), and the job succeeds. The daily
 * `rights.erasure-recheck` re-enqueues every open erasure, so an erasure runs within a day of
 * its hold being lifted or expiring; we chose this over a hook on lifting because a hold can
 * also simply expire (`until`), which no event announces.
 */
import type { Database, DbExecutor } from '../../platform/db/database.js';
import { toDbTime } from '../../platform/db/portable.js';
import { enqueueJob } from '../../platform/jobs/jobs.queue.js';
import {
  PermanentJobError,
  type JobHandler,
  type ScheduleDefinition,
} from '../../platform/jobs/jobs.types.js';
import { eraseSubject } from '../../privacy/erasure/erasure.engine.js';
import type { PrivacyRegistry } from '../../privacy/registry.js';
import { anonymiseContributions } from '../../privacy/anonymise/anonymise.engine.js';
import { findRequest, listOpenErasureRequestIds } from './rights.requests.queries.js';
import {
  completeRequest,
  ERASE_JOB,
  ERASURE_RECHECK_JOB,
  isClosed,
} from './rights.requests.service.js';

let registry: PrivacyRegistry | null = null;

/** Called by the rights plugin with `app.privacyRegistry`. */
export function setRightsRegistry(value: PrivacyRegistry): void {
  registry = value;
}

/** What the member reads once their erasure is done (they can read it only while logged in, which they no longer can; the DPO reads it). */
const ERASURE_DONE =
  'Your account and your personal data were erased, except records the law requires us to keep.';

export type ErasureRunResult = 'completed' | 'held' | 'already-closed';

/** Runs (or resumes) the erasure engine for one erasure request. Idempotent. */
export async function runErasureRequest(
  db: Database,
  privacyRegistry: PrivacyRegistry,
  requestId: string,
): Promise<ErasureRunResult> {
  const request = await findRequest(db, requestId);
  if (!request) throw new PermanentJobError(`No rights request ${requestId}`);
  if (request.kind !== 'erasure' || request.subject_id === null) {
    throw new PermanentJobError(`Rights request ${requestId} is not a member's erasure request`);
  }
  if (isClosed(request.status)) return 'already-closed';
  if (request.status !== 'in-progress' && request.status !== 'extended') {
    // Queued only once log-in is disabled (the member's own request, or the DPO's approval).
    throw new PermanentJobError(`Rights request ${requestId} is ${request.status}, not under way`);
  }
  const outcome = await eraseSubject(db, privacyRegistry, request.subject_id, {
    actorId: null,
    reason: 'erasure request',
  });
  if (outcome.status === 'held') return 'held';
  await completeRequest(db, {
    id: requestId,
    actorId: null,
    outcome: ERASURE_DONE,
    // Counts per table and reasons only: what was removed and what was kept, never content.
    erasureReport: {
      runId: outcome.runId,
      removed: outcome.removed,
      removedByTable: outcome.removedByTable,
      retained: outcome.retained,
    },
  });
  return 'completed';
}

const eraseJob: JobHandler = async (context, payload) => {
  const requestId = payload.requestId;
  if (typeof requestId !== 'string' || requestId === '') {
    throw new PermanentJobError('rights.erase needs a requestId');
  }
  // Not set only if the plugin was never registered: retrying after start-up can succeed.
  if (registry === null) throw new Error('rights: the privacy registry is not set yet');
  const result = await runErasureRequest(context.db, registry, requestId);
  context.log.info({ requestId, result }, 'rights erasure request run');
};

const recheckJob: JobHandler = async (context) => {
  const day = toDbTime(context.runAt).slice(0, 10);
  for (const requestId of await listOpenErasureRequestIds(context.db)) {
    await enqueueJob(
      context.db,
      ERASE_JOB,
      { requestId },
      { uniqueKey: `${ERASE_JOB}:${requestId}:${day}` },
    );
  }
};

export const ANONYMISE_JOB = 'rights.anonymise';

/**
 * Keeps a held "anonymise my posts" request: a job for the next day, which tries again and, while
 * the hold lasts, puts itself off by another day. One job per member per day (unique key).
 */
export async function deferAnonymisation(
  db: DbExecutor,
  memberId: string,
  from: Date,
): Promise<void> {
  const runAt = new Date(from.getTime() + 24 * 60 * 60 * 1000);
  await enqueueJob(
    db,
    ANONYMISE_JOB,
    { memberId },
    { runAt, uniqueKey: `${ANONYMISE_JOB}:${memberId}:${toDbTime(runAt).slice(0, 10)}` },
  );
}

const anonymiseJob: JobHandler = async (context, payload) => {
  const memberId = payload.memberId;
  if (typeof memberId !== 'string' || memberId === '') {
    throw new PermanentJobError('rights.anonymise needs a memberId');
  }
  if (registry === null) throw new Error('rights: the privacy registry is not set yet');
  const outcome = await anonymiseContributions(context.db, registry, memberId, {
    actorId: memberId,
  });
  if (outcome.status === 'held') await deferAnonymisation(context.db, memberId, new Date());
  context.log.info({ status: outcome.status, total: outcome.total }, 'deferred anonymisation run');
};

export const rightsJobs: Readonly<Record<string, JobHandler>> = {
  [ERASE_JOB]: eraseJob,
  [ERASURE_RECHECK_JOB]: recheckJob,
  [ANONYMISE_JOB]: anonymiseJob,
};

/** Daily at 03:30 (TIMEZONE): retries erasures a hold kept waiting. */
export const rightsSchedules: readonly ScheduleDefinition[] = [
  { name: ERASURE_RECHECK_JOB, cron: '30 3 * * *', job: ERASURE_RECHECK_JOB },
];
