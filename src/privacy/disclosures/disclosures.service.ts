/**
 * Disclosures (DESIGN.md §5.4): personal data leaves Hearth for an independent recipient (a
 * competition sponsor, a research partner, an authority) only through `disclose()`, which
 * checks the basis and logs the release in the caller's transaction (P01, P50). Processors
 * acting for us under contract (mail relay, hosting) are in the notice, not logged per message.
 *
 * Rules:
 * - Basis `consent`: the purpose must be consent-based, and the person must hold a current
 *   grant whose scope names the recipient: `recipient:<recipient>` by default, or a narrower
 *   `recipient:<recipient>:<context>` the caller passes (e.g. `recipient:acme-toys:competition-42`
 *   when the opt-in was for one competition). A restriction or objection stops it as `can()` does.
 *   The grant is read with a row lock, so a withdrawal racing the release is ordered after it.
 * - Bases `legal-obligation` and `vital-interests`: a staff member must make the release and
 *   record its reference (the court order, the request number, the incident). These go ahead
 *   under a restriction (Art. 18(2)).
 * - Credentials and secrets never leave, whatever the basis.
 * A refused release throws `DisclosureRefusedError` and writes nothing. A release is logged
 * here and entered in the audit chain, in the same transaction.
 */
import { tablesOf, type AnyTables, type DbExecutor } from '../../platform/db/database.js';
import { newId } from '../../platform/db/ids.js';
import { forUpdate, toDbTime } from '../../platform/db/portable.js';
import type { DataCategory } from '../../platform/datamap.js';
import { AppError } from '../../platform/http/errors.js';
import { appendAudit } from '../audit/audit.service.js';
import { isValidScope } from '../consent/consent.service.js';
import type { ConsentTables } from '../consent/consent.tables.js';
import { inTransaction } from '../consent/in-transaction.js';
import { can } from '../consent/processing-checks.js';
import { getPurpose, type PurposeKey } from '../purposes.js';
import type {
  DisclosureActorKind,
  DisclosureBasis,
  DisclosureTables,
  DisclosuresTable,
} from './disclosures.tables.js';

const ALL_CATEGORIES = [
  'system.id',
  'system.time',
  'system.state',
  'system.config',
  'system.secret',
  'system.hash',
  'system.operational',
  'user.id',
  'user.contact.email',
  'user.contact.address',
  'user.contact.phone',
  'user.name',
  'user.name.display',
  'user.location.coarse',
  'user.location.precise',
  'user.health',
  'user.childrens',
  'user.content.public',
  'user.content.private',
  'user.preference',
  'user.behaviour',
  'user.device.ip',
  'user.device.agent',
  'user.device.cookie',
  'user.authentication',
] as const satisfies readonly DataCategory[];

// Fails to compile when datamap.ts gains a category this list lacks.
type MissingCategory = Exclude<DataCategory, (typeof ALL_CATEGORIES)[number]>;
const everyCategoryListed: MissingCategory extends never ? true : never = true;
void everyCategoryListed;

/** Categories that never leave Hearth: credentials and secrets. */
const NEVER_DISCLOSED: ReadonlySet<DataCategory> = new Set([
  'user.authentication',
  'system.secret',
]);

const DISCLOSURE_BASES: readonly DisclosureBasis[] = [
  'consent',
  'legal-obligation',
  'vital-interests',
];

const RECIPIENT = /^[a-z0-9][a-z0-9._-]{0,99}$/;
const ACTOR = /^[A-Za-z0-9._:-]{1,200}$/;
const MAX_REFERENCE_LENGTH = 500;

export interface DiscloseInput {
  subjectId: string;
  /** A partner id from the registry, or an authority's slug (`police-scotland`). */
  recipient: string;
  /** Why the data goes out: a purpose of the catalogue. */
  purpose: string;
  categories: readonly DataCategory[];
  basis: DisclosureBasis;
  /** Consent basis: the consent scope relied on; `recipient:<recipient>` when absent. */
  scope?: string;
  /** Legal bases: the court order, request number or incident reference. */
  reference?: string;
  actorId: string;
  actorKind: DisclosureActorKind;
  at?: Date;
}

export interface Disclosure {
  id: string;
  subjectId: string;
  recipient: string;
  purpose: PurposeKey;
  categories: DataCategory[];
  basis: DisclosureBasis;
  scope: string | null;
  reference: string | null;
  actorId: string;
  actorKind: DisclosureActorKind;
  at: string;
}

/** The release is not allowed: no consent, no recorded basis, or data that never leaves. */
export class DisclosureRefusedError extends AppError {
  constructor(message: string) {
    super('forbidden', `Disclosure refused: ${message}`);
    this.name = 'DisclosureRefusedError';
  }
}

/** The disclosure request itself is malformed. */
export class InvalidDisclosureError extends AppError {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super('validation_failed', message, { fields: { [field]: message } });
    this.name = 'InvalidDisclosureError';
  }
}

function isDataCategory(value: string): value is DataCategory {
  return (ALL_CATEGORIES as readonly string[]).includes(value);
}

function validate(input: DiscloseInput) {
  const purpose = getPurpose(input.purpose);
  if (!ACTOR.test(input.subjectId)) {
    throw new InvalidDisclosureError('subjectId is not a valid id', 'subjectId');
  }
  if (!RECIPIENT.test(input.recipient)) {
    throw new InvalidDisclosureError(
      'recipient must be a partner id or slug: lower-case letters, digits, . _ -',
      'recipient',
    );
  }
  if (!DISCLOSURE_BASES.includes(input.basis)) {
    throw new InvalidDisclosureError(
      `basis must be one of ${DISCLOSURE_BASES.join(', ')}`,
      'basis',
    );
  }
  if (!ACTOR.test(input.actorId))
    throw new InvalidDisclosureError('actorId is not a valid id', 'actorId');
  if (input.actorKind !== 'staff' && input.actorKind !== 'system') {
    throw new InvalidDisclosureError('actorKind must be staff or system', 'actorKind');
  }
  if (input.categories.length === 0) {
    throw new InvalidDisclosureError('name at least one data category released', 'categories');
  }
  for (const category of input.categories) {
    if (!isDataCategory(category)) {
      throw new InvalidDisclosureError(`unknown data category "${String(category)}"`, 'categories');
    }
    if (NEVER_DISCLOSED.has(category)) {
      throw new DisclosureRefusedError(`${category} data never leaves Hearth`);
    }
  }
  const at = input.at ?? new Date();
  if (Number.isNaN(at.getTime())) throw new InvalidDisclosureError('at is not a valid time', 'at');
  return { purpose, categories: [...new Set(input.categories)].sort(), at };
}

/** The consent scope a release relies on; it must name the recipient. */
function consentScopeFor(input: DiscloseInput): string {
  const required = `recipient:${input.recipient}`;
  const scope = input.scope ?? required;
  if (!isValidScope(scope) || (scope !== required && !scope.startsWith(`${required}:`))) {
    throw new InvalidDisclosureError(
      `a consent scope for this release must be "${required}" or "${required}:<context>"`,
      'scope',
    );
  }
  return scope;
}

/**
 * Releases a subject's data to an independent recipient if the basis allows it, and logs the
 * release in the same transaction (the caller's, when given one, so that a release that fails
 * later is not logged as made). Throws `DisclosureRefusedError` otherwise, writing nothing.
 */
export async function disclose(
  executor: DbExecutor<AnyTables>,
  input: DiscloseInput,
): Promise<Disclosure> {
  const { purpose, categories, at } = validate(input);

  return inTransaction(executor, async (trx) => {
    let scope: string | null = null;
    let reference: string | null = null;
    if (input.basis === 'consent') {
      if (!purpose.isConsentBased) {
        throw new DisclosureRefusedError(
          `purpose "${purpose.key}" relies on ${purpose.basis}; a release by consent needs a consent-based purpose`,
        );
      }
      scope = consentScopeFor(input);
      // Lock the grant so that a concurrent withdrawal is ordered after this release.
      await tablesOf<ConsentTables>(trx)
        .selectFrom('privacy_consent_state')
        .select('granted')
        .where('subject_id', '=', input.subjectId)
        .where('purpose', '=', purpose.key)
        .where('scope', '=', scope)
        .modifyEnd(forUpdate(trx))
        .executeTakeFirst();
      if (!(await can(trx, input.subjectId, purpose.key, scope))) {
        throw new DisclosureRefusedError(
          `no current consent from the person for "${purpose.key}" with scope "${scope}"`,
        );
      }
    } else {
      if (input.actorKind !== 'staff') {
        throw new DisclosureRefusedError(
          `a release on the basis of ${input.basis} must be made by a staff member`,
        );
      }
      reference = input.reference?.trim() ?? '';
      if (reference === '') {
        throw new DisclosureRefusedError(
          `a release on the basis of ${input.basis} needs the reference of the order, request or incident`,
        );
      }
      if (reference.length > MAX_REFERENCE_LENGTH) {
        throw new InvalidDisclosureError(
          `reference is longer than ${MAX_REFERENCE_LENGTH} characters`,
          'reference',
        );
      }
    }

    const row: DisclosuresTable = {
      id: newId(),
      subject_id: input.subjectId,
      recipient: input.recipient,
      purpose: purpose.key,
      categories: JSON.stringify(categories),
      basis: input.basis,
      scope,
      reference,
      actor_id: input.actorId,
      actor_kind: input.actorKind,
      at: toDbTime(at),
    };
    await tablesOf<DisclosureTables>(trx).insertInto('privacy_disclosures').values(row).execute();
    // The hash chain makes a later edit or deletion of this log row evident.
    await appendAudit(trx, {
      action: 'disclosure.made',
      actorId: input.actorId,
      subjectId: input.subjectId,
      detail: {
        disclosureId: row.id,
        recipient: row.recipient,
        purpose: row.purpose,
        basis: row.basis,
        categories,
      },
    });
    return toDisclosure(row);
  });
}

function toDisclosure(row: DisclosuresTable): Disclosure {
  return {
    id: row.id,
    subjectId: row.subject_id,
    recipient: row.recipient,
    purpose: row.purpose as PurposeKey,
    categories: (JSON.parse(row.categories) as string[]).filter(isDataCategory),
    basis: row.basis,
    scope: row.scope,
    reference: row.reference,
    actorId: row.actor_id,
    actorKind: row.actor_kind,
    at: row.at,
  };
}

/** Every release of the subject's data, newest first: "who received my data". */
export async function listDisclosures(
  executor: DbExecutor<AnyTables>,
  subjectId: string,
): Promise<Disclosure[]> {
  const rows = await tablesOf<DisclosureTables>(executor)
    .selectFrom('privacy_disclosures')
    .selectAll()
    .where('subject_id', '=', subjectId)
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  return rows.map(toDisclosure);
}
