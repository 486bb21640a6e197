/**
 * The consent ledger (DESIGN.md §5.3). Every grant and withdrawal is appended as an event and
 * signed into a receipt; the current state per (subject, purpose, scope) is derived in the same
 * transaction, so processing checks are index lookups and never disagree with the ledger.
 *
 * Scopes. `''` is the whole purpose; `<kind>:<id>` narrows it (`newsletter:pregnancy-weekly`,
 * `competition:42`, `vendor:755`, `recipient:acme-toys`). Consent is specific (Art. 4(11)), so
 * a purpose-wide grant does NOT cover any scope: a scoped check needs a grant of that exact
 * scope. A purpose-wide WITHDRAWAL does cover every scope: "stop all of it" withdraws each
 * scoped grant too (one event, one receipt), and a later scoped grant switches that scope back on.
 *
 * Order. The state follows the latest `at`, not the latest insert: an imported or delayed event
 * older than the current choice is kept in the ledger as already superseded.
 */
import { randomUUID } from 'node:crypto';
import { tablesOf, type AnyTables, type DbExecutor } from '../../platform/db/database.js';
import { newId } from '../../platform/db/ids.js';
import { forUpdate, toDbBool, toDbTime } from '../../platform/db/portable.js';
import { getPurpose, type PurposeKey } from '../purposes.js';
import { ConsentNotApplicableError, InvalidConsentError } from './consent.errors.js';
import type {
  ConsentEventsTable,
  ConsentMethod,
  ConsentStateTable,
  ConsentTables,
  SubjectKind,
} from './consent.tables.js';
import { inTransaction } from './in-transaction.js';
import { buildReceiptPayload, signReceipt, type ReceiptIssuer } from './receipts.js';
import { ensureSigningKey } from './signing-keys.js';

export const CONSENT_METHODS: readonly ConsentMethod[] = [
  'form',
  'cmp',
  'gpc',
  'email-link',
  'api',
  'import',
];
export const SUBJECT_KINDS: readonly SubjectKind[] = ['member', 'visitor'];

/** `<kind>:<id>`: a lower-case kind, then an id that may itself contain colons. */
const SCOPE = /^[a-z][a-z0-9-]{0,39}:[A-Za-z0-9._:-]{1,160}$/;
/** Member ids and pseudonymous visitor ids (base64url tokens) alike. */
const SUBJECT_ID = /^[A-Za-z0-9._:-]{1,200}$/;
/** Clock skew tolerated between a client-stamped time and ours. */
const FUTURE_TOLERANCE_MS = 60_000;

export interface RecordConsentInput {
  subjectId: string;
  subjectKind: SubjectKind;
  purpose: string;
  /** `''` or absent for the whole purpose. */
  scope?: string;
  granted: boolean;
  method: ConsentMethod;
  /** The published notice version the person was shown. */
  noticeVersion: number;
  at?: Date;
}

export interface ConsentEvent {
  id: string;
  subjectId: string;
  subjectKind: SubjectKind;
  purpose: PurposeKey;
  scope: string;
  granted: boolean;
  method: ConsentMethod;
  noticeVersion: number;
  at: string;
  receiptId: string;
  /** False for a back-dated event older than the choice already on record. */
  isCurrent: boolean;
}

export interface ConsentReceipt {
  id: string;
  kid: string;
  /** The compact JWS; verify with `/.well-known/jwks.json`. */
  jws: string;
}

/** One current choice, as `GET /api/v1/me/consents` lists it. */
export interface CurrentConsent {
  purpose: string;
  scope: string;
  granted: boolean;
  method: ConsentMethod;
  at: string;
  noticeVersion: number;
}

export function isValidScope(scope: string): boolean {
  return scope === '' || SCOPE.test(scope);
}

function validate(input: RecordConsentInput): { scope: string; at: Date } {
  const purpose = getPurpose(input.purpose);
  if (!purpose.isConsentBased) throw new ConsentNotApplicableError(purpose.key, purpose.basis);
  if (!SUBJECT_ID.test(input.subjectId)) {
    throw new InvalidConsentError(
      'subjectId must be 1–200 letters, digits or . _ : -',
      'subjectId',
    );
  }
  if (!SUBJECT_KINDS.includes(input.subjectKind)) {
    throw new InvalidConsentError(
      `subjectKind must be one of ${SUBJECT_KINDS.join(', ')}`,
      'subjectKind',
    );
  }
  const scope = input.scope ?? '';
  if (!isValidScope(scope)) {
    throw new InvalidConsentError(
      'scope must be empty (the whole purpose) or "<kind>:<id>", e.g. "newsletter:pregnancy-weekly"',
      'scope',
    );
  }
  if (!CONSENT_METHODS.includes(input.method)) {
    throw new InvalidConsentError(`method must be one of ${CONSENT_METHODS.join(', ')}`, 'method');
  }
  // Global Privacy Control is an opt-out signal; it can never grant anything.
  if (input.method === 'gpc' && input.granted) {
    throw new InvalidConsentError(
      'a Global Privacy Control signal can only withdraw consent',
      'method',
    );
  }
  if (!Number.isSafeInteger(input.noticeVersion) || input.noticeVersion < 1) {
    throw new InvalidConsentError(
      'noticeVersion must be a published version number (1 or more)',
      'noticeVersion',
    );
  }
  const at = input.at ?? new Date();
  if (Number.isNaN(at.getTime())) throw new InvalidConsentError('at is not a valid time', 'at');
  if (at.getTime() > Date.now() + FUTURE_TOLERANCE_MS) {
    throw new InvalidConsentError('at is in the future', 'at');
  }
  return { scope, at };
}

/**
 * Appends a grant or withdrawal, signs its receipt and updates the current state, all in one
 * transaction (the caller's, when given one). Refuses purposes whose basis is not consent.
 */
export async function recordConsent(
  executor: DbExecutor<AnyTables>,
  input: RecordConsentInput,
  issuer: ReceiptIssuer,
): Promise<{ event: ConsentEvent; receipt: ConsentReceipt }> {
  const { scope, at } = validate(input);
  const purpose = getPurpose(input.purpose);
  const atText = toDbTime(at);
  const eventId = newId();
  const receiptId = randomUUID();
  const granted = toDbBool(input.granted);

  return inTransaction(executor, async (trx) => {
    const db = tablesOf<ConsentTables>(trx);
    const newState: ConsentStateTable = {
      subject_id: input.subjectId,
      purpose: purpose.key,
      scope,
      granted,
      method: input.method,
      notice_version: input.noticeVersion,
      at: atText,
      event_id: eventId,
    };

    // The first choice for this key inserts its state row; a concurrent first choice waits on
    // the primary key and then takes the locked-update path below. Writing first also matters
    // on SQLite: a transaction that read before writing cannot wait for another writer.
    const inserted = await db
      .insertInto('privacy_consent_state')
      .values(newState)
      .onConflict((conflict) => conflict.columns(['subject_id', 'purpose', 'scope']).doNothing())
      .executeTakeFirst();
    const isFirstChoice = Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1;
    const key = await ensureSigningKey(trx, issuer.secret);

    const withdrawsWholePurpose = scope === '' && !input.granted;
    const lockedRows =
      isFirstChoice && !withdrawsWholePurpose
        ? []
        : await db
            .selectFrom('privacy_consent_state')
            .selectAll()
            .where('subject_id', '=', input.subjectId)
            .where('purpose', '=', purpose.key)
            .$if(!withdrawsWholePurpose, (query) => query.where('scope', '=', scope))
            .$if(withdrawsWholePurpose, (query) =>
              query.where((where) => where.or([where('scope', '=', ''), where('granted', '=', 1)])),
            )
            .modifyEnd(forUpdate(trx))
            .execute();

    const displacedEventIds: string[] = [];
    let newerChoiceAt: string | null = null;
    let isCurrent = isFirstChoice;
    for (const row of lockedRows) {
      if (row.event_id === eventId) continue;
      if (row.at > atText) {
        if (row.scope === scope) newerChoiceAt = row.at;
        continue;
      }
      isCurrent = true;
      await db
        .updateTable('privacy_consent_state')
        .set({
          granted,
          method: input.method,
          notice_version: input.noticeVersion,
          at: atText,
          event_id: eventId,
        })
        .where('subject_id', '=', row.subject_id)
        .where('purpose', '=', row.purpose)
        .where('scope', '=', row.scope)
        .execute();
      displacedEventIds.push(row.event_id);
    }

    const eventRow: ConsentEventsTable = {
      id: eventId,
      subject_id: input.subjectId,
      subject_kind: input.subjectKind,
      purpose: purpose.key,
      scope,
      granted,
      method: input.method,
      notice_version: input.noticeVersion,
      at: atText,
      receipt_id: receiptId,
      receipt_jws: await signReceipt(
        key,
        buildReceiptPayload(issuer, {
          eventId,
          receiptId,
          subjectId: input.subjectId,
          subjectKind: input.subjectKind,
          purpose,
          scope,
          granted: input.granted,
          method: input.method,
          noticeVersion: input.noticeVersion,
          at,
        }),
      ),
      // Back-dated behind a newer choice everywhere it applies: in the ledger, never current.
      superseded_at: isCurrent ? null : newerChoiceAt,
    };
    await db.insertInto('privacy_consent_events').values(eventRow).execute();

    if (displacedEventIds.length > 0) {
      // An event stays current while any state row still rests on it (a purpose-wide
      // withdrawal can be the current choice for several scopes at once).
      await db
        .updateTable('privacy_consent_events')
        .set({ superseded_at: atText })
        .where('id', 'in', [...new Set(displacedEventIds)])
        .where('superseded_at', 'is', null)
        .where((eb) =>
          eb.not(
            eb.exists(
              eb
                .selectFrom('privacy_consent_state')
                .select('privacy_consent_state.event_id')
                .whereRef('privacy_consent_state.event_id', '=', 'privacy_consent_events.id'),
            ),
          ),
        )
        .execute();
    }

    return {
      event: {
        id: eventId,
        subjectId: input.subjectId,
        subjectKind: input.subjectKind,
        purpose: purpose.key,
        scope,
        granted: input.granted,
        method: input.method,
        noticeVersion: input.noticeVersion,
        at: atText,
        receiptId,
        isCurrent,
      },
      receipt: { id: receiptId, kid: key.kid, jws: eventRow.receipt_jws },
    };
  });
}

/** The subject's current choices, granted and withdrawn, by purpose then scope. */
export async function currentConsents(
  executor: DbExecutor<AnyTables>,
  subjectId: string,
): Promise<CurrentConsent[]> {
  const rows = await tablesOf<ConsentTables>(executor)
    .selectFrom('privacy_consent_state')
    .selectAll()
    .where('subject_id', '=', subjectId)
    .orderBy('purpose')
    .orderBy('scope')
    .execute();
  return rows.map((row) => ({
    purpose: row.purpose,
    scope: row.scope,
    granted: row.granted === 1,
    method: row.method,
    at: row.at,
    noticeVersion: row.notice_version,
  }));
}

/** Every event of the subject's ledger with its receipt, newest first. */
export async function listConsentHistory(
  executor: DbExecutor<AnyTables>,
  subjectId: string,
): Promise<(CurrentConsent & { eventId: string; receiptId: string; receiptJws: string })[]> {
  const rows = await tablesOf<ConsentTables>(executor)
    .selectFrom('privacy_consent_events')
    .selectAll()
    .where('subject_id', '=', subjectId)
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  return rows.map((row) => ({
    eventId: row.id,
    purpose: row.purpose,
    scope: row.scope,
    granted: row.granted === 1,
    method: row.method,
    at: row.at,
    noticeVersion: row.notice_version,
    receiptId: row.receipt_id,
    receiptJws: row.receipt_jws,
  }));
}

/**
 * For erasure: the subject's choices stop being relied on. Their current state goes (nothing is
 * processed for an erased person), while the events stay as evidence, each current one now
 * marked superseded so that its six-year retention period starts (consent.privacy.ts). Returns
 * how many events were closed; a second call closes none.
 */
export async function closeConsentLedger(
  executor: DbExecutor<AnyTables>,
  subjectId: string,
  at: Date = new Date(),
): Promise<number> {
  return inTransaction(executor, async (trx) => {
    const db = tablesOf<ConsentTables>(trx);
    await db.deleteFrom('privacy_consent_state').where('subject_id', '=', subjectId).execute();
    const closed = await db
      .updateTable('privacy_consent_events')
      .set({ superseded_at: toDbTime(at) })
      .where('subject_id', '=', subjectId)
      .where('superseded_at', 'is', null)
      .executeTakeFirst();
    return Number(closed.numUpdatedRows);
  });
}
