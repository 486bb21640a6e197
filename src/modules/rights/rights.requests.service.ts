/**
 * The rights request queue (DESIGN.md §5.5): members, the public form and staff file requests;
 * the DPO extends, completes or refuses them. Every status change is audited in the same
 * transaction as the change (`rights.request.<status>`).
 *
 * A restriction, objection or withdrawal takes effect at once through the consent core, so that
 * `can()` honours it before anyone reads the request (P53); the request then records the DPO's
 * handling. An erasure request disables log-in at once and hands the work to a job.
 */
import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import { tablesOf, type DbExecutor } from '../../platform/db/database.js';
import { newId } from '../../platform/db/ids.js';
import { nowTime, toDbTime } from '../../platform/db/portable.js';
import { AppError } from '../../platform/http/errors.js';
import { enqueueJob } from '../../platform/jobs/jobs.queue.js';
import { appendAudit, inTransaction } from '../../privacy/audit/audit.service.js';
import {
  currentConsents,
  recordConsent,
  recordObjection,
  recordRestriction,
  type ReceiptIssuer,
} from '../../privacy/consent/index.js';
import { currentNoticeVersion } from '../../privacy/notice/notice.service.js';
import { getPurpose, isPurposeKey } from '../../privacy/purposes.js';
import { revokeSessionsForErasure, type AccountsTables } from '../accounts/index.js';
import {
  DEFAULT_RIGHTS_TIMEZONE,
  dueDateFor,
  extendedDueDateFor,
  type ExtensionMonths,
} from './rights.deadlines.js';
import {
  countRequestsByKindAndMonth,
  countVerificationAttempt,
  deleteVerifications,
  findOpenRequestOfKind,
  findRequest,
  findRequestForUpdate,
  findVerificationForUpdate,
  insertRequest,
  insertVerification,
  listQueueRows,
  listRequestRowsForSubject,
  updateRequest,
} from './rights.requests.queries.js';
import {
  CLOSED_STATUSES,
  REQUEST_CHANNELS,
  REQUEST_KINDS,
  REQUEST_STATUSES,
  type RequestChannel,
  type RequestKind,
  type RequestStatus,
  type RightsRequestsTable,
} from './rights.requests.tables.js';

export {
  REQUEST_KINDS,
  REQUEST_STATUSES,
  REQUEST_CHANNELS,
  type RequestKind,
  type RequestStatus,
  type RequestChannel,
};

/** The job that runs the erasure engine for an erasure request. */
export const ERASE_JOB = 'rights.erase';
/** The daily job that retries erasures a hold kept waiting. */
export const ERASURE_RECHECK_JOB = 'rights.erasure-recheck';

/** Kinds that name the purpose they are about. */
const KINDS_WITH_PURPOSE: readonly RequestKind[] = ['restriction', 'objection', 'withdrawal'];
const MAX_DETAILS = 5000;
const MAX_REASON = 2000;

/** A public request's code: six digits, valid for 30 minutes, five tries. */
export const VERIFICATION_CODE_TTL_MS = 30 * 60 * 1000;
export const VERIFICATION_MAX_ATTEMPTS = 5;

export interface RightsRequest {
  id: string;
  kind: RequestKind;
  status: RequestStatus;
  purpose: string | null;
  details: string | null;
  receivedAt: string;
  /** YYYY-MM-DD. */
  dueAt: string;
  /** YYYY-MM-DD, after an extension. */
  extendedDueAt: string | null;
  extensionReason: string | null;
  outcome: string | null;
  refusalReason: string | null;
  completedAt: string | null;
}

/** What the DPO's desk sees besides the member's view. */
export interface StaffRightsRequest extends RightsRequest {
  subjectId: string | null;
  requesterEmail: string | null;
  requesterName: string | null;
  via: RequestChannel;
  /** The erasure engine's report (counts per table), once an erasure completed. */
  erasureReport: unknown;
}

export function toRightsRequest(row: RightsRequestsTable): RightsRequest {
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    purpose: row.purpose,
    details: row.details,
    receivedAt: row.received_at,
    dueAt: row.due_date,
    extendedDueAt: row.extended_due_date,
    extensionReason: row.extension_reason,
    outcome: row.outcome,
    refusalReason: row.refusal_reason,
    completedAt: row.completed_at,
  };
}

export function toStaffRightsRequest(row: RightsRequestsTable): StaffRightsRequest {
  return {
    ...toRightsRequest(row),
    subjectId: row.subject_id,
    requesterEmail: row.requester_email,
    requesterName: row.requester_name,
    via: row.via,
    erasureReport: row.erasure_report === null ? null : (JSON.parse(row.erasure_report) as unknown),
  };
}

function invalid(field: string, message: string): AppError {
  return new AppError('validation_failed', message, { fields: { [field]: message } });
}

function requiredText(value: string | undefined | null, field: string, max: number): string {
  const text = value?.trim() ?? '';
  if (text === '') throw invalid(field, `Please give the ${field}.`);
  if (text.length > max)
    throw invalid(field, `The ${field} is too long (at most ${max} characters).`);
  return text;
}

export function isRequestKind(value: string): value is RequestKind {
  return (REQUEST_KINDS as readonly string[]).includes(value);
}

export function isRequestStatus(value: string): value is RequestStatus {
  return (REQUEST_STATUSES as readonly string[]).includes(value);
}

export interface CreateRequestInput {
  /** The member; null only for a public request from an address with no account. */
  subjectId: string | null;
  kind: string;
  purpose?: string | null;
  details?: string | null;
  via: RequestChannel;
  receivedAt?: Date;
  /** The controller's calendar for the due date (config.timezone). */
  timezone?: string;
  /** `received` unless said: public requests wait for their code, erasures start at once. */
  status?: Extract<RequestStatus, 'received' | 'awaiting-verification' | 'in-progress'>;
  requesterEmail?: string | null;
  requesterName?: string | null;
}

/** Checks a request's kind, purpose and details; answers the normalised values. */
export function validateRequestInput(input: {
  kind: string;
  purpose?: string | null | undefined;
  details?: string | null | undefined;
}): { kind: RequestKind; purpose: string | null; details: string | null } {
  if (!isRequestKind(input.kind)) {
    throw invalid('kind', `Choose one of: ${REQUEST_KINDS.join(', ')}.`);
  }
  const kind = input.kind;
  let purpose: string | null = null;
  if (KINDS_WITH_PURPOSE.includes(kind)) {
    const given = input.purpose?.trim() ?? '';
    if (given === '') throw invalid('purpose', `A ${kind} request names the purpose it is about.`);
    if (!isPurposeKey(given)) throw invalid('purpose', `${given} is not one of our purposes.`);
    purpose = given;
  } else if (input.purpose !== undefined && input.purpose !== null && input.purpose !== '') {
    throw invalid('purpose', `A ${kind} request is not about one purpose.`);
  }
  const details =
    kind === 'rectification'
      ? requiredText(input.details, 'details', MAX_DETAILS)
      : input.details === undefined || input.details === null || input.details.trim() === ''
        ? null
        : requiredText(input.details, 'details', MAX_DETAILS);
  return { kind, purpose, details };
}

/** Files a request and audits it; joins the caller's transaction when given one. */
export async function createRequest(
  db: DbExecutor,
  input: CreateRequestInput,
): Promise<RightsRequest> {
  const { kind, purpose, details } = validateRequestInput(input);
  if (!(REQUEST_CHANNELS as readonly string[]).includes(input.via)) {
    throw invalid('via', `Unknown channel ${String(input.via)}.`);
  }
  if (input.subjectId === null && input.via !== 'public') {
    throw invalid('subjectId', 'Only a public request may come from someone without an account.');
  }
  const receivedAt = input.receivedAt ?? new Date();
  if (Number.isNaN(receivedAt.getTime())) throw invalid('receivedAt', 'Not a valid time.');
  const status = input.status ?? 'received';
  const now = nowTime();
  const row: RightsRequestsTable = {
    id: newId(),
    subject_id: input.subjectId,
    requester_email: input.requesterEmail ?? null,
    requester_name: input.requesterName ?? null,
    kind,
    status,
    purpose,
    details,
    via: input.via,
    received_at: toDbTime(receivedAt),
    due_date: dueDateFor(receivedAt, input.timezone ?? DEFAULT_RIGHTS_TIMEZONE),
    extended_due_date: null,
    extension_reason: null,
    outcome: null,
    refusal_reason: null,
    completed_at: null,
    erasure_report: null,
    created_at: now,
    updated_at: now,
  };
  return inTransaction(db, async (trx) => {
    await insertRequest(trx, row);
    await appendAudit(trx, {
      action: `rights.request.${status}`,
      actorId: input.via === 'member' ? input.subjectId : null,
      subjectId: input.subjectId,
      detail: { requestId: row.id, kind, via: input.via, purpose },
    });
    return toRightsRequest(row);
  });
}

export async function getRequest(db: DbExecutor, id: string): Promise<StaffRightsRequest | null> {
  const row = await findRequest(db, id);
  return row ? toStaffRightsRequest(row) : null;
}

/** A member's own requests, newest first (verified ones only). */
export async function listRequestsForSubject(
  db: DbExecutor,
  subjectId: string,
): Promise<RightsRequest[]> {
  return (await listRequestRowsForSubject(db, subjectId)).map(toRightsRequest);
}

const OPEN_STATUSES: readonly RequestStatus[] = ['received', 'in-progress', 'extended'];

function encodeCursor(next: { due: string; id: string }): string {
  return Buffer.from(JSON.stringify([next.due, next.id]), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): { due: string; id: string } {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (
      Array.isArray(parsed) &&
      parsed.length === 2 &&
      typeof parsed[0] === 'string' &&
      typeof parsed[1] === 'string'
    ) {
      return { due: parsed[0], id: parsed[1] };
    }
  } catch {
    // Falls through to the validation error.
  }
  throw invalid('cursor', 'This cursor is not one we gave out.');
}

/**
 * The DPO's queue in due-date order (the extended date when extended). Without `status`, the
 * open requests (received, in progress, extended).
 */
export async function listRequestQueue(
  db: DbExecutor,
  options: { status?: RequestStatus; limit?: number; cursor?: string } = {},
): Promise<{ items: StaffRightsRequest[]; nextCursor: string | null }> {
  if (options.status !== undefined && !isRequestStatus(options.status)) {
    throw invalid('status', `Choose one of: ${REQUEST_STATUSES.join(', ')}.`);
  }
  const limit = options.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > 200) {
    throw invalid('limit', 'The limit is a whole number from 1 to 200.');
  }
  const page = await listQueueRows(db, {
    statuses: options.status ? [options.status] : OPEN_STATUSES,
    limit,
    after: options.cursor ? decodeCursor(options.cursor) : null,
  });
  return {
    items: page.rows.map(toStaffRightsRequest),
    nextCursor: page.next ? encodeCursor(page.next) : null,
  };
}

async function changeStatus(
  db: DbExecutor,
  id: string,
  actorId: string | null,
  allowedFrom: readonly RequestStatus[],
  change: (row: RightsRequestsTable) => Partial<RightsRequestsTable> & { status: RequestStatus },
  detail: Record<string, unknown> = {},
): Promise<StaffRightsRequest> {
  return inTransaction(db, async (trx) => {
    const row = await findRequestForUpdate(trx, id);
    if (!row) throw new AppError('not_found', 'No such request.');
    if (!allowedFrom.includes(row.status)) {
      throw new AppError(
        'conflict',
        `This request is ${row.status}; it cannot change that way now.`,
      );
    }
    const changes = { ...change(row), updated_at: nowTime() };
    await updateRequest(trx, id, changes);
    // A completed erasure has just removed the member's pseudonym from the audit chain; naming
    // them again here would re-link the chain to the person it has forgotten.
    const erased = row.kind === 'erasure' && changes.status === 'completed';
    await appendAudit(trx, {
      action: `rights.request.${changes.status}`,
      actorId,
      subjectId: erased ? null : row.subject_id,
      detail: { requestId: id, kind: row.kind, ...detail },
    });
    return toStaffRightsRequest({ ...row, ...changes });
  });
}

/** The DPO starts work on a request. */
export async function startRequest(
  db: DbExecutor,
  input: { id: string; actorId: string },
): Promise<StaffRightsRequest> {
  return changeStatus(db, input.id, input.actorId, ['received'], () => ({ status: 'in-progress' }));
}

/**
 * Extends the deadline by one or two further months (Art. 12(3)), once, with a reason the
 * member sees.
 */
export async function extendRequest(
  db: DbExecutor,
  input: { id: string; dpoId: string; months: ExtensionMonths; reason: string; timezone?: string },
): Promise<StaffRightsRequest> {
  if (input.months !== 1 && input.months !== 2) {
    throw invalid('months', 'An extension is of one or two further months.');
  }
  const reason = requiredText(input.reason, 'reason', MAX_REASON);
  return changeStatus(
    db,
    input.id,
    input.dpoId,
    ['received', 'in-progress'],
    (row) => ({
      status: 'extended',
      extended_due_date: extendedDueDateFor(
        new Date(row.received_at),
        input.months,
        input.timezone ?? DEFAULT_RIGHTS_TIMEZONE,
      ),
      extension_reason: reason,
    }),
    { months: input.months },
  );
}

/** Closes a request as done; `outcome` is what the member is told. */
export async function completeRequest(
  db: DbExecutor,
  input: { id: string; actorId: string | null; outcome: string; erasureReport?: unknown },
): Promise<StaffRightsRequest> {
  const outcome = requiredText(input.outcome, 'outcome', MAX_REASON);
  return changeStatus(db, input.id, input.actorId, OPEN_STATUSES, () => ({
    status: 'completed',
    outcome,
    completed_at: nowTime(),
    ...(input.erasureReport === undefined
      ? {}
      : { erasure_report: JSON.stringify(input.erasureReport) }),
  }));
}

/** Refuses a request with the reason the member is told. */
export async function refuseRequest(
  db: DbExecutor,
  input: { id: string; actorId: string; reason: string },
): Promise<StaffRightsRequest> {
  const reason = requiredText(input.reason, 'reason', MAX_REASON);
  return changeStatus(
    db,
    input.id,
    input.actorId,
    [...OPEN_STATUSES, 'awaiting-verification'],
    () => ({ status: 'refused', refusal_reason: reason, completed_at: nowTime() }),
  );
}

export function isClosed(status: RequestStatus): boolean {
  return CLOSED_STATUSES.includes(status);
}

/** Requests per kind and calendar month (UTC) over the last `months` months, for the chart. */
export async function requestCountsByKindAndMonth(
  db: DbExecutor,
  input: { months: number; now?: Date },
): Promise<{ month: string; kind: RequestKind; count: number }[]> {
  if (!Number.isInteger(input.months) || input.months < 1 || input.months > 120) {
    throw invalid('months', 'Months is a whole number from 1 to 120.');
  }
  const now = input.now ?? new Date();
  const since = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - input.months + 1, 1));
  return countRequestsByKindAndMonth(db, toDbTime(since));
}

export interface MemberRequestDeps {
  issuer: ReceiptIssuer;
  timezone: string;
}

/**
 * A member's request from the API or the privacy center. A restriction or objection is
 * recorded at once with the consent core, and a withdrawal withdraws every current consent for
 * the purpose, all in the request's transaction: `can()` answers no from the moment the member
 * is told the request was received.
 */
export async function submitMemberRequest(
  db: DbExecutor,
  deps: MemberRequestDeps,
  memberId: string,
  input: { kind: string; purpose?: string | null; details?: string | null },
): Promise<RightsRequest> {
  const checked = validateRequestInput(input);
  if (checked.kind === 'erasure') {
    throw invalid(
      'kind',
      'To erase your account, use "Delete my account" (it asks for your password).',
    );
  }
  return inTransaction(db, async (trx) => {
    const purpose = checked.purpose;
    if (purpose !== null)
      await applyAtOnce(trx, deps, memberId, checked.kind, purpose, checked.details);
    return createRequest(trx, {
      subjectId: memberId,
      ...checked,
      via: 'member',
      timezone: deps.timezone,
    });
  });
}

async function applyAtOnce(
  trx: DbExecutor,
  deps: MemberRequestDeps,
  memberId: string,
  kind: RequestKind,
  purposeKey: string,
  details: string | null,
): Promise<void> {
  const reason = details ?? `Requested by the member through a ${kind} request.`;
  if (kind === 'restriction') {
    await recordRestriction(trx, {
      subjectId: memberId,
      purpose: purposeKey,
      reason,
      recordedBy: memberId,
    });
  } else if (kind === 'objection') {
    await recordObjection(trx, {
      subjectId: memberId,
      purpose: purposeKey,
      reason,
      recordedBy: memberId,
    });
  } else if (kind === 'withdrawal') {
    const purpose = getPurpose(purposeKey);
    if (purpose.basis !== 'consent') {
      throw new AppError(
        'conflict',
        `${purpose.key} does not rest on your consent, so there is nothing to withdraw: object to it or restrict it instead.`,
        { fields: { purpose: 'Object to or restrict this purpose instead.' } },
      );
    }
    const granted = (await currentConsents(trx, memberId)).filter(
      (consent) => consent.purpose === purpose.key && consent.granted,
    );
    const noticeVersion = await currentNoticeVersion(trx);
    for (const consent of granted) {
      await recordConsent(
        trx,
        {
          subjectId: memberId,
          subjectKind: 'member',
          purpose: purpose.key,
          scope: consent.scope,
          granted: false,
          method: 'api',
          noticeVersion: noticeVersion ?? consent.noticeVersion,
        },
        deps.issuer,
      );
    }
  }
}

/**
 * The member asks to be erased: in one transaction log-in is disabled and every session
 * revoked, the request is filed in progress, and the erasure job is queued. A second call while
 * one is open answers the open request.
 */
export async function requestOwnErasure(
  db: DbExecutor,
  input: { memberId: string; timezone: string },
): Promise<RightsRequest> {
  return inTransaction(db, async (trx) => {
    // The account row is written first: its lock makes a concurrent second request wait here,
    // and then see the first one's request instead of filing another.
    await tablesOf<AccountsTables>(trx)
      .updateTable('accounts_users')
      .set({ status: 'erasing', updated_at: nowTime() })
      .where('id', '=', input.memberId)
      .execute();
    await revokeSessionsForErasure(trx, input.memberId);
    const existing = await findOpenRequestOfKind(trx, input.memberId, 'erasure');
    if (existing) return toRightsRequest(existing);
    const request = await createRequest(trx, {
      subjectId: input.memberId,
      kind: 'erasure',
      via: 'member',
      status: 'in-progress',
      timezone: input.timezone,
    });
    await enqueueJob(
      trx,
      ERASE_JOB,
      { requestId: request.id },
      { subjectId: input.memberId, uniqueKey: `${ERASE_JOB}:${request.id}` },
    );
    return request;
  });
}

/**
 * The DPO acts on a verified public erasure request for an account: as for a member's own
 * request, log-in is disabled and sessions revoked at once, and the erasure job is queued.
 */
export async function approveErasureRequest(
  db: DbExecutor,
  input: { id: string; dpoId: string },
): Promise<StaffRightsRequest> {
  return inTransaction(db, async (trx) => {
    const row = await findRequest(trx, input.id);
    if (!row) throw new AppError('not_found', 'No such request.');
    if (row.kind !== 'erasure' || row.subject_id === null) {
      throw new AppError(
        'conflict',
        'Only an erasure request about an account can be carried out.',
      );
    }
    const subjectId = row.subject_id;
    const started = await changeStatus(trx, input.id, input.dpoId, ['received'], () => ({
      status: 'in-progress',
    }));
    await tablesOf<AccountsTables>(trx)
      .updateTable('accounts_users')
      .set({ status: 'erasing', updated_at: nowTime() })
      .where('id', '=', subjectId)
      .execute();
    await revokeSessionsForErasure(trx, subjectId);
    await enqueueJob(
      trx,
      ERASE_JOB,
      { requestId: input.id },
      { subjectId, uniqueKey: `${ERASE_JOB}:${input.id}` },
    );
    return started;
  });
}

function codeHash(requestId: string, code: string): string {
  return createHash('sha256').update(`${requestId}:${code}`, 'utf8').digest('hex');
}

/**
 * A request from the public form: filed `awaiting-verification` with a six-digit code (stored
 * hashed) that the caller mails to `email`. The request is linked to the account with that
 * address when there is one; the caller's answer must not depend on it.
 */
export async function createPublicRequest(
  db: DbExecutor,
  input: {
    email: string;
    name: string;
    kind: string;
    purpose?: string | null;
    details?: string | null;
    timezone: string;
    now?: Date;
  },
): Promise<{ request: RightsRequest; code: string }> {
  const email = requiredText(input.email, 'email', 320).toLowerCase();
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email))
    throw invalid('email', 'Please give a valid email address.');
  const name = requiredText(input.name, 'name', 200);
  const now = input.now ?? new Date();
  return inTransaction(db, async (trx) => {
    const account = await tablesOf<AccountsTables>(trx)
      .selectFrom('accounts_users')
      .select('id')
      .where('email', '=', email)
      .executeTakeFirst();
    const request = await createRequest(trx, {
      subjectId: account?.id ?? null,
      kind: input.kind,
      purpose: input.purpose ?? null,
      details: input.details ?? null,
      via: 'public',
      status: 'awaiting-verification',
      receivedAt: now,
      timezone: input.timezone,
      requesterEmail: email,
      requesterName: name,
    });
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    await insertVerification(trx, {
      id: newId(),
      request_id: request.id,
      code_hash: codeHash(request.id, code),
      expires_at: toDbTime(new Date(now.getTime() + VERIFICATION_CODE_TTL_MS)),
      attempts: 0,
      created_at: toDbTime(now),
    });
    return { request, code };
  });
}

/**
 * Checks a public request's code. Right: the request is `received` and joins the queue, its
 * month counted from now (the time it was verified). Wrong, expired or out of tries: one
 * answer for all, so the form reveals nothing.
 */
export async function verifyPublicRequest(
  db: DbExecutor,
  input: { requestId: string; code: string; timezone: string; now?: Date },
): Promise<RightsRequest> {
  const now = input.now ?? new Date();
  const wrong = () =>
    new AppError(
      'validation_failed',
      'That code is wrong or has expired. Please check it or start again.',
      {
        fields: { code: 'Wrong or expired code' },
      },
    );
  const outcome = await inTransaction(db, async (trx) => {
    const request = await findRequestForUpdate(trx, input.requestId);
    const verification = request ? await findVerificationForUpdate(trx, request.id) : undefined;
    if (!request || !verification || request.status !== 'awaiting-verification') return null;
    if (
      verification.expires_at < toDbTime(now) ||
      verification.attempts >= VERIFICATION_MAX_ATTEMPTS
    ) {
      return null;
    }
    const given = Buffer.from(codeHash(request.id, input.code.trim()), 'hex');
    if (!timingSafeEqual(given, Buffer.from(verification.code_hash, 'hex'))) {
      await countVerificationAttempt(trx, verification.id);
      return 'wrong' as const;
    }
    await deleteVerifications(trx, request.id);
    const changes = {
      status: 'received' as const,
      received_at: toDbTime(now),
      due_date: dueDateFor(now, input.timezone),
      updated_at: toDbTime(now),
    };
    await updateRequest(trx, request.id, changes);
    await appendAudit(trx, {
      action: 'rights.request.received',
      actorId: null,
      subjectId: request.subject_id,
      detail: { requestId: request.id, kind: request.kind, via: 'public' },
    });
    return toRightsRequest({ ...request, ...changes });
  });
  // The failed attempt is committed before answering, so the limit holds.
  if (outcome === null || outcome === 'wrong') throw wrong();
  return outcome;
}
