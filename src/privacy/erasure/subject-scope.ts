/**
 * Which rows of a declared table are about a subject, as SQL conditions the export and erasure
 * engines share. A row is about a subject when one of its `subjects` columns names them, or when
 * its `via` parent row is about them (recursively, for a child of a child).
 *
 * Erasure needs a narrower idea, the **principal**: the first entry of `subjects` is the person
 * the row belongs to (author, sender, requester); later entries are other people the row names
 * (recipient, actor, reporter). See erasure.engine.ts for the rule built on it.
 *
 * Conditions reference columns unqualified: each condition sits in the WHERE of its own table's
 * query or subquery, and never reaches into an outer query, so names resolve to that table.
 */
import { sql, type Expression, type RawBuilder, type SqlBool } from 'kysely';
import {
  isPersonalTable,
  type PersonalTable,
  type TableDeclaration,
} from '../../platform/datamap.js';

export type DeclaredTables = ReadonlyMap<string, { owner: string; table: TableDeclaration }>;

/** The declaration of a personal table, or an error naming what is wrong. */
export function personalTable(tables: DeclaredTables, name: string): PersonalTable {
  const entry = tables.get(name);
  if (!entry) throw new Error(`table ${name} is not declared`);
  if (!isPersonalTable(entry.table)) throw new Error(`table ${name} is not a personal table`);
  return entry.table;
}

export function primaryKeyOf(table: PersonalTable): string[] {
  return table.primaryKey ?? ['id'];
}

function anyOf(conditions: RawBuilder<SqlBool>[]): RawBuilder<SqlBool> {
  if (conditions.length === 0) return sql<SqlBool>`1 = 0`;
  if (conditions.length === 1) return conditions[0] as RawBuilder<SqlBool>;
  return sql<SqlBool>`(${sql.join(conditions, sql` or `)})`;
}

function allOf(conditions: RawBuilder<SqlBool>[]): RawBuilder<SqlBool> {
  if (conditions.length === 0) return sql<SqlBool>`1 = 1`;
  if (conditions.length === 1) return conditions[0] as RawBuilder<SqlBool>;
  return sql<SqlBool>`(${sql.join(conditions, sql` and `)})`;
}

function viaParentCondition(
  tables: DeclaredTables,
  table: PersonalTable,
  parentCondition: (parentName: string, parent: PersonalTable) => RawBuilder<SqlBool>,
): RawBuilder<SqlBool> | null {
  if (!table.via) return null;
  const parent = personalTable(tables, table.via.table);
  const parentKey = table.via.parentColumn ?? 'id';
  return sql<SqlBool>`${sql.ref(table.via.column)} in (select ${sql.ref(parentKey)} from ${sql.table(
    table.via.table,
  )} where ${parentCondition(table.via.table, parent)})`;
}

/** Rows that name the subject in any role, directly or through their `via` parent. */
export function aboutSubject(
  tables: DeclaredTables,
  table: PersonalTable,
  subjectId: string,
): RawBuilder<SqlBool> {
  const conditions = table.subjects.map(
    (subject) => sql<SqlBool>`${sql.ref(subject.column)} = ${subjectId}`,
  );
  const via = viaParentCondition(tables, table, (_name, parent) =>
    aboutSubject(tables, parent, subjectId),
  );
  if (via) conditions.push(via);
  return anyOf(conditions);
}

/**
 * The same rows as `aboutSubject`, split into disjoint parts, one per subject column (then the
 * `via` part), each excluding the rows of the parts before it. Reading part by part, each in
 * key order, lets an index on `(subject column, key)` serve every page of a keyset scan; one
 * condition with OR would make the engine gather and sort every matching row for each page.
 */
export function aboutSubjectParts(
  tables: DeclaredTables,
  table: PersonalTable,
  subjectId: string,
): RawBuilder<SqlBool>[] {
  const notEarlier = (columns: readonly string[]) =>
    columns.map((column) => {
      const ref = sql.ref(column);
      return sql<SqlBool>`(${ref} is null or ${ref} <> ${subjectId})`;
    });
  const columns = table.subjects.map((subject) => subject.column);
  const parts = columns.map((column, index) =>
    allOf([
      sql<SqlBool>`${sql.ref(column)} = ${subjectId}`,
      ...notEarlier(columns.slice(0, index)),
    ]),
  );
  const via = viaParentCondition(tables, table, (_name, parent) =>
    aboutSubject(tables, parent, subjectId),
  );
  if (via) parts.push(allOf([via, ...notEarlier(columns)]));
  return parts;
}

export interface PrincipalScopeOptions {
  /**
   * A subquery listing the subjects under a hold. When given, rows that also name someone held
   * (other than the subject) are left out: their data must stay whole while the hold lasts.
   */
  heldSubjects?: Expression<unknown>;
}

/** `column` names nobody, the subject, or someone not under a hold. */
function notNamingHeldPerson(
  column: string,
  subjectId: string,
  heldSubjects: Expression<unknown>,
): RawBuilder<SqlBool> {
  const ref = sql.ref(column);
  return sql<SqlBool>`(${ref} is null or ${ref} = ${subjectId} or ${ref} not in (${heldSubjects}))`;
}

/** Rows that name nobody under a hold besides, perhaps, the subject. */
export function namesNoOtherHeldPerson(
  table: PersonalTable,
  subjectId: string,
  heldSubjects: Expression<unknown>,
): RawBuilder<SqlBool> {
  return allOf(
    table.subjects.map((subject) => notNamingHeldPerson(subject.column, subjectId, heldSubjects)),
  );
}

/** Rows that name the subject in a role other than the principal (recipient, actor, …). */
export function namedInOtherRole(table: PersonalTable, subjectId: string): RawBuilder<SqlBool> {
  return anyOf(
    table.subjects
      .slice(1)
      .map((subject) => sql<SqlBool>`${sql.ref(subject.column)} = ${subjectId}`),
  );
}

/**
 * Rows whose principal is the subject: the first `subjects` column names them, or the row's
 * `via` parent is theirs in this same sense.
 */
export function principalOf(
  tables: DeclaredTables,
  table: PersonalTable,
  subjectId: string,
  options: PrincipalScopeOptions = {},
): RawBuilder<SqlBool> {
  const conditions: RawBuilder<SqlBool>[] = [];
  const principal = table.subjects[0];
  if (principal) conditions.push(sql<SqlBool>`${sql.ref(principal.column)} = ${subjectId}`);
  const via = viaParentCondition(tables, table, (_name, parent) =>
    principalOf(tables, parent, subjectId, options),
  );
  if (via) conditions.push(via);
  const scope = anyOf(conditions);
  if (!options.heldSubjects) return scope;
  return allOf([scope, namesNoOtherHeldPerson(table, subjectId, options.heldSubjects)]);
}
