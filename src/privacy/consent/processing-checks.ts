/**
 * `can()` and `filterAllowed()` (DESIGN.md §5.2): every processing path that depends on a
 * purpose asks one of them. The rules:
 *
 * - A consent-based purpose needs a current grant in the ledger's derived state. A scoped check
 *   needs a grant of exactly that scope; a purpose-wide grant does not cover scopes (consent is
 *   specific; see consent.service.ts), while a purpose-wide withdrawal does.
 * - Any purpose is stopped by an active restriction of it (or of every purpose, `*`), except
 *   purposes the catalogue exempts under Art. 18(2) (safeguarding, legal obligations).
 * - Any purpose is stopped by an active objection to it; an objection a DPO overrode with a
 *   recorded reason no longer stops it (P53).
 * - Other bases (contract, legal obligation, vital interests, legitimate interests, public task)
 *   are allowed unless one of the above stops them.
 *
 * The batch form answers any number of subjects in one statement: the ids travel as a single
 * parameter (portable.ts `inTextList`).
 */
import type { ExpressionBuilder } from 'kysely';
import { tablesOf, type AnyTables, type DbExecutor } from '../../platform/db/database.js';
import { inTextList } from '../../platform/db/portable.js';
import { getPurpose, type Purpose } from '../purposes.js';
import { InvalidConsentError } from './consent.errors.js';
import { isValidScope } from './consent.service.js';
import type { ConsentTables, ProcessingLimitsTable } from './consent.tables.js';
import { ALL_PURPOSES } from './limits.service.js';

type WithLimitAlias = ConsentTables & { limit_row: ProcessingLimitsTable };

/** The open, active limits that stop `purpose` (restrictions of it or of all, objections to it). */
function stopsPurpose(purpose: Purpose) {
  return (eb: ExpressionBuilder<WithLimitAlias, 'limit_row'>) => {
    const objection = eb.and([
      eb('limit_row.kind', '=', 'objection'),
      eb('limit_row.purpose', '=', purpose.key),
    ]);
    const restriction = eb.and([
      eb('limit_row.kind', '=', 'restriction'),
      eb('limit_row.purpose', 'in', [purpose.key, ALL_PURPOSES]),
    ]);
    return eb.and([
      eb('limit_row.closed_at', 'is', null),
      eb('limit_row.status', '=', 'active'),
      purpose.restrictionExemption === undefined ? eb.or([objection, restriction]) : objection,
    ]);
  };
}

function checkedScope(scope: string): string {
  if (!isValidScope(scope)) {
    throw new InvalidConsentError('scope must be empty or "<kind>:<id>"', 'scope');
  }
  return scope;
}

type SubjectFilter = { one: string } | { many: readonly string[] };

async function allowedSubjects(
  executor: DbExecutor<AnyTables>,
  subjects: SubjectFilter,
  purpose: Purpose,
  scope: string,
): Promise<string[]> {
  const db = tablesOf<WithLimitAlias>(executor);
  if (purpose.isConsentBased) {
    const rows = await db
      .selectFrom('privacy_consent_state as state')
      .select('state.subject_id')
      .where('state.purpose', '=', purpose.key)
      .where('state.scope', '=', scope)
      .where('state.granted', '=', 1)
      .where(
        'one' in subjects
          ? (eb) => eb('state.subject_id', '=', subjects.one)
          : () => inTextList(db, 'state.subject_id', subjects.many),
      )
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('privacy_processing_limits as limit_row')
              .select('limit_row.id')
              .whereRef('limit_row.subject_id', '=', 'state.subject_id')
              .where(stopsPurpose(purpose)),
          ),
        ),
      )
      .execute();
    return rows.map((row) => row.subject_id);
  }
  // Not consent-based: allowed unless stopped, so only the (rare) stopped subjects are read.
  const stopped = await db
    .selectFrom('privacy_processing_limits as limit_row')
    .select('limit_row.subject_id')
    .distinct()
    .where(
      'one' in subjects
        ? (eb) => eb('limit_row.subject_id', '=', subjects.one)
        : () => inTextList(db, 'limit_row.subject_id', subjects.many),
    )
    .where(stopsPurpose(purpose))
    .execute();
  const stoppedIds = new Set(stopped.map((row) => row.subject_id));
  const candidates = 'one' in subjects ? [subjects.one] : subjects.many;
  return candidates.filter((id) => !stoppedIds.has(id));
}

/** May `subjectId`'s data be processed for `purpose` (and `scope`) now? */
export async function can(
  executor: DbExecutor<AnyTables>,
  subjectId: string,
  purpose: string,
  scope = '',
): Promise<boolean> {
  const allowed = await allowedSubjects(
    executor,
    { one: subjectId },
    getPurpose(purpose),
    checkedScope(scope),
  );
  return allowed.length > 0;
}

/** The subset of `subjectIds` whose data may be processed for `purpose` (and `scope`) now. */
export async function filterAllowed(
  executor: DbExecutor<AnyTables>,
  subjectIds: Iterable<string>,
  purpose: string,
  scope = '',
): Promise<Set<string>> {
  const resolved = getPurpose(purpose);
  const checked = checkedScope(scope);
  const unique = [...new Set(subjectIds)];
  if (unique.length === 0) return new Set();
  return new Set(await allowedSubjects(executor, { many: unique }, resolved, checked));
}
