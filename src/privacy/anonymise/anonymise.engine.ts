/**
 * Anonymising a member's contributions while the account stays (DESIGN.md §5.5, promises P42
 * and P54): "anonymise my posts". Every owner whose table declares `erasure: { anonymise: … }`
 * has said how its rows look once they no longer belong to anyone; this engine applies exactly
 * those values to the rows whose principal (the first `subjects` column: author, sender) is the
 * member, so the forum or any later module plugs in by declaration alone.
 *
 * - Tables declared `delete` or `retain` are left alone: deleting is erasure, not anonymising,
 *   and retained rows are kept as they are for their legal reason.
 * - Rows the member appears in only in another role (a reply's recipient) belong to someone
 *   else and are left alone too.
 * - A hold on the member stops everything: the hold keeps what the rows show (the erasure engine
 *   pauses the same way). Rows that also name another held person are left whole.
 * - Everything happens in one transaction with its audit entry, so a failure changes nothing.
 * - Running it again changes nothing: an anonymised row no longer names the member.
 */
import { sql, type SqlBool } from 'kysely';
import { isPersonalTable, type PersonalTable } from '../../platform/datamap.js';
import type { DbExecutor } from '../../platform/db/database.js';
import { appendAudit, inTransaction } from '../audit/audit.service.js';
import { heldSubjectIdsQuery, isUnderHold } from '../holds/holds.service.js';
import { principalOf, type DeclaredTables } from '../erasure/subject-scope.js';
import type { PrivacyRegistry } from '../registry.js';

export interface AnonymisedTable {
  owner: string;
  table: string;
  /** Rows that stopped naming the member in this run. */
  count: number;
}

export interface AnonymiseOutcome {
  /** `held`: a hold applies to the member and nothing was changed. */
  status: 'completed' | 'held';
  /** Every table declared `anonymise` that can name the member, with this run's count. */
  tables: AnonymisedTable[];
  total: number;
}

export interface AnonymiseOptions {
  /** Who asked: the member themself, or staff acting on a request. */
  actorId: string | null;
}

type AnonymiseValues = Record<string, string | number | null>;

interface AnonymisableTable {
  owner: string;
  name: string;
  table: PersonalTable;
  values: AnonymiseValues;
  /** How many `via` steps separate the table from a table with its own subject column. */
  depth: number;
}

function viaDepth(tables: DeclaredTables, table: PersonalTable, seen = new Set<string>()): number {
  if (!table.via || seen.has(table.via.table)) return 0;
  seen.add(table.via.table);
  const parent = tables.get(table.via.table)?.table;
  if (!parent || !isPersonalTable(parent)) return 0;
  return 1 + viaDepth(tables, parent, seen);
}

/**
 * The declared tables to anonymise, children before parents: a `via` child finds the member's
 * rows through its parent's principal column, which anonymising the parent first would clear.
 */
export function anonymisableTables(registry: PrivacyRegistry): AnonymisableTable[] {
  const found: AnonymisableTable[] = [];
  for (const [name, entry] of registry.tables) {
    const table = entry.table;
    if (!isPersonalTable(table)) continue;
    if (typeof table.erasure !== 'object' || !('anonymise' in table.erasure)) continue;
    if (table.subjects.length === 0 && !table.via) continue;
    const values: AnonymiseValues = { ...table.erasure.anonymise };
    // However the table is declared, an anonymised row must stop naming its principal.
    const principalColumn = table.subjects[0]?.column;
    if (principalColumn !== undefined && !(principalColumn in values)) {
      values[principalColumn] = null;
    }
    if (Object.keys(values).length === 0) continue;
    found.push({
      owner: entry.owner,
      name,
      table,
      values,
      depth: viaDepth(registry.tables, table),
    });
  }
  return found.sort((a, b) => b.depth - a.depth || a.name.localeCompare(b.name));
}

/**
 * Applies every owner's `anonymise` declaration to the rows the subject authored. Runs in the
 * caller's transaction when given one, else in its own; audited as `contributions.anonymised`.
 */
export async function anonymiseContributions(
  db: DbExecutor,
  registry: PrivacyRegistry,
  subjectId: string,
  options: AnonymiseOptions,
): Promise<AnonymiseOutcome> {
  const targets = anonymisableTables(registry);
  return inTransaction(db, async (trx) => {
    if (await isUnderHold(trx, subjectId)) {
      await appendAudit(trx, {
        action: 'contributions.anonymise-held',
        actorId: options.actorId,
        subjectId,
      });
      return { status: 'held', tables: [], total: 0 };
    }
    const heldSubjects = heldSubjectIdsQuery(trx);
    const tables: AnonymisedTable[] = [];
    for (const target of targets) {
      const authored = principalOf(registry.tables, target.table, subjectId, { heldSubjects });
      const result = await trx
        .updateTable(target.name)
        .set(target.values)
        .where(sql<SqlBool>`${authored}`)
        .executeTakeFirst();
      tables.push({
        owner: target.owner,
        table: target.name,
        count: Number(result.numUpdatedRows),
      });
    }
    const total = tables.reduce((sum, table) => sum + table.count, 0);
    await appendAudit(trx, {
      action: 'contributions.anonymised',
      actorId: options.actorId,
      subjectId,
      detail: {
        total,
        tables: Object.fromEntries(tables.map((table) => [table.table, table.count])),
      },
    });
    return { status: 'completed', tables, total };
  });
}
