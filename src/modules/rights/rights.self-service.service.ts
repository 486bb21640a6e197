/**
 * Self-service rights (DESIGN.md §5.5): what a member does for themself, at once, without a
 * request to the DPO: take their data, anonymise their contributions, give and withdraw
 * consent, see who received their data, and restrict or object to a purpose. Each function
 * takes `db` first and the member's id, so a route, a page and a test call the same code.
 */
import type { Database, DbExecutor } from '../../platform/db/database.js';
import { AppError } from '../../platform/http/errors.js';
import { deferAnonymisation } from './rights.jobs.js';
import {
  anonymiseContributions,
  type AnonymiseOutcome,
} from '../../privacy/anonymise/anonymise.engine.js';
import { appendAudit, inTransaction } from '../../privacy/audit/audit.service.js';
import {
  currentConsents,
  liftRestriction,
  listConsentHistory,
  listProcessingLimits,
  recordConsent,
  recordObjection,
  recordRestriction,
  withdrawObjection,
  type ConsentEvent,
  type ConsentReceipt,
  type CurrentConsent,
  type ProcessingLimit,
  type ReceiptIssuer,
} from '../../privacy/consent/index.js';
import { listDisclosures } from '../../privacy/disclosures/index.js';
import { exportSubject, type ExportSummary } from '../../privacy/export/export.engine.js';
import { currentNoticeVersion } from '../../privacy/notice/notice.service.js';
import { getPurpose, isPurposeKey, type Purpose } from '../../privacy/purposes.js';
import type { PrivacyRegistry } from '../../privacy/registry.js';
import { completeRequest, createRequest } from './rights.requests.service.js';

/** What a restriction or objection records when the member gives no reason of their own. */
export const DEFAULT_OBJECTION_REASON = 'Objected by the member in their privacy center.';
export const DEFAULT_RESTRICTION_REASON = 'Restricted by the member in their privacy center.';
const MEMBER_LIFT_REASON = 'Lifted by the member in their privacy center.';

/** A purpose named in a URL: unknown ones are a missing resource, not a malformed body. */
function purposeFromPath(purpose: string): Purpose {
  if (!isPurposeKey(purpose)) throw new AppError('not_found', `No purpose "${purpose}".`);
  return getPurpose(purpose);
}

/** The download's file name: `hearth-export-YYYY-MM-DD.zip`, dated in UTC like every time. */
export function exportFileName(at: Date = new Date()): string {
  return `hearth-export-${at.toISOString().slice(0, 10)}.zip`;
}

/**
 * Streams the member's export to `output`, then files it as an `access` request completed at
 * once (so the member's list of requests shows it, with its date) and audits the download, in
 * one transaction. The caller has re-authenticated the member; the ZIP is the privacy engine's,
 * so what it holds is exactly what the data map says. An export that fails half-way files
 * nothing: the member did not receive their data.
 */
export async function exportOwnData(
  db: Database,
  registry: PrivacyRegistry,
  memberId: string,
  output: NodeJS.WritableStream,
  options: { timezone?: string } = {},
): Promise<{ summary: ExportSummary; requestId: string }> {
  const receivedAt = new Date();
  const summary = await exportSubject(db, registry, memberId, output);
  const requestId = await db.transaction().execute(async (trx) => {
    const request = await createRequest(trx, {
      subjectId: memberId,
      kind: 'access',
      via: 'member',
      receivedAt,
      status: 'in-progress',
      ...(options.timezone === undefined ? {} : { timezone: options.timezone }),
    });
    await completeRequest(trx, {
      id: request.id,
      actorId: memberId,
      outcome: `You downloaded your data from the privacy center (${summary.rows} records from ${summary.tables} places).`,
    });
    await appendAudit(trx, {
      action: 'export.downloaded',
      actorId: memberId,
      subjectId: memberId,
      detail: {
        requestId: request.id,
        tables: summary.tables,
        rows: summary.rows,
        bytes: summary.bytes,
      },
    });
    return request.id;
  });
  return { summary, requestId };
}

/**
 * P42, P54: the member's public contributions stop naming them; the account stays. While a hold
 * applies nothing changes, and the request is kept as a job that tries again each day until the
 * hold is lifted or expires (the member is told only that it is being handled).
 */
export async function anonymiseOwnContributions(
  db: DbExecutor,
  registry: PrivacyRegistry,
  memberId: string,
  now: Date = new Date(),
): Promise<AnonymiseOutcome> {
  const outcome = await anonymiseContributions(db, registry, memberId, { actorId: memberId });
  if (outcome.status === 'held') await deferAnonymisation(db, memberId, now);
  return outcome;
}

export function listOwnConsents(db: DbExecutor, memberId: string): Promise<CurrentConsent[]> {
  return currentConsents(db, memberId);
}

export interface ConsentChange {
  purpose: string;
  granted: boolean;
  scope?: string;
  /** `api` from the JSON API, `form` from the privacy center's switches. */
  method: 'api' | 'form';
}

/**
 * Grants or withdraws consent for one purpose (or one scope of it), against the notice version
 * published now. A purpose that does not rest on consent is refused with a pointer to objection
 * or restriction (ConsentNotApplicableError, 409).
 */
export async function changeOwnConsent(
  db: DbExecutor,
  issuer: ReceiptIssuer,
  memberId: string,
  change: ConsentChange,
): Promise<{ event: ConsentEvent; receipt: ConsentReceipt }> {
  const purpose = purposeFromPath(change.purpose);
  const noticeVersion = await currentNoticeVersion(db);
  if (noticeVersion === null) {
    // Consent given before any notice was published would not be informed consent.
    throw new AppError(
      'conflict',
      'No privacy notice is published yet, so consent cannot be given.',
    );
  }
  return recordConsent(
    db,
    {
      subjectId: memberId,
      subjectKind: 'member',
      purpose: purpose.key,
      scope: change.scope ?? '',
      granted: change.granted,
      method: change.method,
      noticeVersion,
    },
    issuer,
  );
}

/** The compact JWS of one of the member's own receipts; anyone else's is "not found". */
export async function findOwnReceipt(
  db: DbExecutor,
  memberId: string,
  receiptId: string,
): Promise<string> {
  const history = await listConsentHistory(db, memberId);
  const event = history.find((each) => each.receiptId === receiptId);
  if (!event) throw new AppError('not_found', 'No such receipt.');
  return event.receiptJws;
}

export interface OwnDisclosure {
  recipient: string;
  purpose: string;
  categories: string[];
  basis: string;
  at: string;
}

/** P01: who received the member's data, newest first. */
export async function listOwnDisclosures(
  db: DbExecutor,
  memberId: string,
): Promise<OwnDisclosure[]> {
  const disclosures = await listDisclosures(db, memberId);
  return disclosures.map((disclosure) => ({
    recipient: disclosure.recipient,
    purpose: disclosure.purpose,
    categories: [...disclosure.categories],
    basis: disclosure.basis,
    at: disclosure.at,
  }));
}

/**
 * A restriction or objection as the member sees it. The DPO's legitimate reason to continue is
 * shown (P53); who recorded it is not: staff act for the controller, not as named people.
 */
export interface OwnProcessingLimit {
  id: string;
  kind: 'restriction' | 'objection';
  purpose: string;
  status: string;
  reason: string;
  recordedAt: string;
  override: { reason: string; at: string } | null;
  closedAt: string | null;
}

function toOwnLimit(limit: ProcessingLimit): OwnProcessingLimit {
  return {
    id: limit.id,
    kind: limit.kind,
    purpose: limit.purpose,
    status: limit.status,
    reason: limit.reason,
    recordedAt: limit.recordedAt,
    override: limit.override ? { reason: limit.override.reason, at: limit.override.at } : null,
    closedAt: limit.closed?.at ?? null,
  };
}

export async function listOwnProcessingLimits(
  db: DbExecutor,
  memberId: string,
): Promise<OwnProcessingLimit[]> {
  return (await listProcessingLimits(db, memberId)).map(toOwnLimit);
}

function reasonOrDefault(reason: string | undefined, fallback: string): string {
  const trimmed = reason?.trim() ?? '';
  return trimmed === '' ? fallback : trimmed;
}

/** Art. 21: processing for the purpose stops at once, until a DPO records a reason (P53). */
export async function objectToPurpose(
  db: DbExecutor,
  memberId: string,
  input: { purpose: string; reason?: string },
): Promise<OwnProcessingLimit> {
  const limit = await recordObjection(db, {
    subjectId: memberId,
    purpose: input.purpose,
    reason: reasonOrDefault(input.reason, DEFAULT_OBJECTION_REASON),
    recordedBy: memberId,
  });
  return toOwnLimit(limit);
}

/** Art. 18: processing for the purpose stops at once, until the restriction is lifted. */
export async function restrictPurpose(
  db: DbExecutor,
  memberId: string,
  input: { purpose: string; reason?: string },
): Promise<OwnProcessingLimit> {
  const limit = await recordRestriction(db, {
    subjectId: memberId,
    purpose: input.purpose,
    reason: reasonOrDefault(input.reason, DEFAULT_RESTRICTION_REASON),
    recordedBy: memberId,
  });
  return toOwnLimit(limit);
}

/** The member's open limit of `kind` for `purpose` (an overridden objection is still open). */
async function findOpenLimit(
  db: DbExecutor,
  memberId: string,
  kind: 'restriction' | 'objection',
  purpose: string,
): Promise<ProcessingLimit> {
  const limits = await listProcessingLimits(db, memberId);
  const open = limits.find(
    (limit) => limit.kind === kind && limit.purpose === purpose && limit.closed === null,
  );
  if (!open) throw new AppError('not_found', `You have no ${kind} in force for "${purpose}".`);
  return open;
}

/** The member lifts their own restriction; processing for the purpose may resume. */
export async function liftOwnRestriction(
  db: DbExecutor,
  memberId: string,
  purpose: string,
): Promise<OwnProcessingLimit> {
  return inTransaction(db, async (trx) => {
    const open = await findOpenLimit(trx, memberId, 'restriction', purpose);
    const lifted = await liftRestriction(trx, {
      restrictionId: open.id,
      liftedBy: memberId,
      reason: MEMBER_LIFT_REASON,
    });
    return toOwnLimit(lifted);
  });
}

/** The member withdraws their own objection; processing for the purpose may resume. */
export async function withdrawOwnObjection(
  db: DbExecutor,
  memberId: string,
  purpose: string,
): Promise<OwnProcessingLimit> {
  return inTransaction(db, async (trx) => {
    const open = await findOpenLimit(trx, memberId, 'objection', purpose);
    const withdrawn = await withdrawObjection(trx, { objectionId: open.id, withdrawnBy: memberId });
    return toOwnLimit(withdrawn);
  });
}
