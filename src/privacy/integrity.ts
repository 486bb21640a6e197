/**
 * The data-map integrity check (DESIGN.md §5.1): every live table and column is declared, every
 * declared table and column exists, and declarations are coherent (subjects, retention columns
 * and `via` parents refer to real columns and tables). The integrity test runs it on both
 * engines after migrating; `hearth migrate status` could run it too.
 */
import { isEngineTable, type LiveTable } from '../platform/db/introspect.js';
import {
  declaredColumns,
  isDerivedTable,
  isPersonalTable,
  isSystemTable,
  parseDuration,
  type TableDeclaration,
} from '../platform/datamap.js';

export interface IntegrityProblem {
  table: string;
  column?: string;
  problem: string;
}

function checkDeclaration(
  name: string,
  table: TableDeclaration,
  declared: ReadonlyMap<string, { owner: string; table: TableDeclaration }>,
  knownPurposes: ReadonlySet<string> | null,
): IntegrityProblem[] {
  const problems: IntegrityProblem[] = [];
  if (isDerivedTable(table) && !declared.has(table.derived.from)) {
    problems.push({ table: name, problem: `derived from undeclared table ${table.derived.from}` });
  }
  if (!isPersonalTable(table)) return problems;
  const columns = new Set(Object.keys(table.columns));
  const need = (column: string, what: string) => {
    if (!columns.has(column))
      problems.push({ table: name, column, problem: `${what} names an undeclared column` });
  };
  if (table.subjects.length === 0 && !table.via) {
    problems.push({
      table: name,
      problem: 'personal table names no subject column and no via parent',
    });
  }
  for (const subject of table.subjects) need(subject.column, `subject (${subject.role})`);
  if (table.via) {
    need(table.via.column, 'via');
    if (!declared.has(table.via.table)) {
      problems.push({ table: name, problem: `via parent ${table.via.table} is not declared` });
    }
  }
  for (const key of table.primaryKey ?? ['id']) need(key, 'primary key');
  if (typeof table.erasure === 'object' && 'anonymise' in table.erasure) {
    for (const column of Object.keys(table.erasure.anonymise)) need(column, 'erasure.anonymise');
  }
  if (typeof table.erasure === 'object' && 'retain' in table.erasure) {
    try {
      parseDuration(table.erasure.retain.for);
    } catch (error) {
      problems.push({ table: name, problem: (error as Error).message });
    }
  }
  for (const rule of table.retention) {
    if ('keep' in rule) continue;
    need(rule.from, 'retention.from');
    for (const column of rule.columns ?? []) need(column, 'retention.columns');
    for (const column of Object.keys(rule.where ?? {})) need(column, 'retention.where');
    if (rule.action === 'clear' && (rule.columns ?? []).length === 0) {
      problems.push({ table: name, problem: 'a clear rule lists no columns' });
    }
    for (const duration of [rule.after, rule.warnBefore]) {
      if (duration === undefined) continue;
      try {
        parseDuration(duration);
      } catch (error) {
        problems.push({ table: name, problem: (error as Error).message });
      }
    }
  }
  if (knownPurposes && !knownPurposes.has(table.purpose)) {
    problems.push({ table: name, problem: `purpose ${table.purpose} is not in the catalogue` });
  }
  return problems;
}

export function checkIntegrity(
  live: readonly LiveTable[],
  declared: ReadonlyMap<string, { owner: string; table: TableDeclaration }>,
  knownPurposes: ReadonlySet<string> | null = null,
): IntegrityProblem[] {
  const problems: IntegrityProblem[] = [];
  const liveByName = new Map(live.map((table) => [table.name, table]));

  for (const table of live) {
    if (isEngineTable(table.name)) continue;
    const declaration = declared.get(table.name)?.table;
    if (!declaration) {
      problems.push({ table: table.name, problem: 'table is not declared in any data map' });
      continue;
    }
    if (isSystemTable(declaration)) continue;
    if (isDerivedTable(declaration) && declaration.columns === undefined) continue;
    const columns = new Set(declaredColumns(declaration));
    for (const column of table.columns) {
      if (!columns.has(column)) {
        problems.push({ table: table.name, column, problem: 'column is not declared' });
      }
    }
  }

  for (const [name, { table }] of declared) {
    const liveTable = liveByName.get(name);
    if (!liveTable) {
      // Engine-specific shadow tables (SQLite FTS5) are absent on PostgreSQL by design.
      if (!isDerivedTable(table)) {
        problems.push({ table: name, problem: 'declared but missing from the database' });
      }
    } else {
      const liveColumns = new Set(liveTable.columns);
      for (const column of declaredColumns(table)) {
        if (!liveColumns.has(column)) {
          problems.push({ table: name, column, problem: 'declared but missing from the database' });
        }
      }
    }
    problems.push(...checkDeclaration(name, table, declared, knownPurposes));
  }
  return problems;
}
