/**
 * Lists the live tables and columns of the connected database, on either engine. The data-map
 * integrity test compares this with the declarations.
 */
import { sql, type Kysely } from 'kysely';
import { dialectOf } from './database.js';

export interface LiveTable {
  name: string;
  columns: string[];
}

/** SQLite's own tables (`sqlite_sequence`, `sqlite_stat1`, …) belong to the engine. */
export function isEngineTable(name: string): boolean {
  return name.startsWith('sqlite_');
}

export async function listLiveTables<T>(db: Kysely<T>): Promise<LiveTable[]> {
  if (dialectOf(db) === 'postgres') {
    const result = await sql<{ table_name: string; column_name: string }>`
      select c.table_name, c.column_name
      from information_schema.columns c
      join information_schema.tables t
        on t.table_schema = c.table_schema and t.table_name = c.table_name
      where c.table_schema = current_schema() and t.table_type = 'BASE TABLE'
      order by c.table_name, c.ordinal_position`.execute(db);
    const tables = new Map<string, string[]>();
    for (const row of result.rows) {
      const columns = tables.get(row.table_name) ?? [];
      columns.push(row.column_name);
      tables.set(row.table_name, columns);
    }
    return [...tables].map(([name, columns]) => ({ name, columns }));
  }
  const names = await sql<{ name: string }>`
    select name from sqlite_master where type = 'table' order by name`.execute(db);
  const tables: LiveTable[] = [];
  for (const { name } of names.rows) {
    const columns = await sql<{ name: string }>`
      select name from pragma_table_info(${name})`.execute(db);
    tables.push({ name, columns: columns.rows.map((column) => column.name) });
  }
  return tables;
}

/** One column of a foreign key: `table.column` references `referencedTable.referencedColumn`. */
export interface ForeignKey {
  table: string;
  column: string;
  referencedTable: string;
  referencedColumn: string;
  /** What deleting the referenced row does: `no action` and `restrict` refuse while referenced. */
  onDelete: 'no action' | 'restrict' | 'cascade' | 'set null' | 'set default';
}

const PG_DELETE_ACTIONS: Record<string, ForeignKey['onDelete']> = {
  a: 'no action',
  r: 'restrict',
  c: 'cascade',
  n: 'set null',
  d: 'set default',
};

function sqliteDeleteAction(action: string): ForeignKey['onDelete'] {
  const normalised = action.toLowerCase();
  return normalised === 'restrict' ||
    normalised === 'cascade' ||
    normalised === 'set null' ||
    normalised === 'set default'
    ? normalised
    : 'no action';
}

/**
 * Every foreign key of the connected database, one entry per column, on either engine. The
 * erasure engine orders tables from these (children before parents) rather than by hand.
 */
export async function listForeignKeys<T>(db: Kysely<T>): Promise<ForeignKey[]> {
  if (dialectOf(db) === 'postgres') {
    const result = await sql<{
      table_name: string;
      column_name: string;
      referenced_table: string;
      referenced_column: string;
      delete_action: string;
    }>`
      select child.relname as table_name, child_column.attname as column_name,
             parent.relname as referenced_table, parent_column.attname as referenced_column,
             constraint_row.confdeltype::text as delete_action
      from pg_constraint constraint_row
      join pg_class child on child.oid = constraint_row.conrelid
      join pg_namespace namespace on namespace.oid = child.relnamespace
      join pg_class parent on parent.oid = constraint_row.confrelid
      cross join lateral unnest(constraint_row.conkey, constraint_row.confkey)
        as key_pair(child_attnum, parent_attnum)
      join pg_attribute child_column
        on child_column.attrelid = child.oid and child_column.attnum = key_pair.child_attnum
      join pg_attribute parent_column
        on parent_column.attrelid = parent.oid and parent_column.attnum = key_pair.parent_attnum
      where constraint_row.contype = 'f' and namespace.nspname = current_schema()
      order by child.relname, constraint_row.conname, child_column.attname`.execute(db);
    return result.rows.map((row) => ({
      table: row.table_name,
      column: row.column_name,
      referencedTable: row.referenced_table,
      referencedColumn: row.referenced_column,
      onDelete: PG_DELETE_ACTIONS[row.delete_action] ?? 'no action',
    }));
  }
  const names = await sql<{ name: string }>`
    select name from sqlite_master where type = 'table' order by name`.execute(db);
  const keys: ForeignKey[] = [];
  for (const { name } of names.rows) {
    const rows = await sql<{ table: string; from: string; to: string | null; on_delete: string }>`
      select "table", "from", "to", on_delete from pragma_foreign_key_list(${name})`.execute(db);
    for (const row of rows.rows) {
      // SQLite leaves `to` empty when the key names the parent's primary key implicitly.
      let referencedColumn = row.to;
      if (referencedColumn === null || referencedColumn === '') {
        const primary = await sql<{ name: string }>`
          select name from pragma_table_info(${row.table}) where pk = 1`.execute(db);
        referencedColumn = primary.rows[0]?.name ?? 'rowid';
      }
      keys.push({
        table: name,
        column: row.from,
        referencedTable: row.table,
        referencedColumn,
        onDelete: sqliteDeleteAction(row.on_delete),
      });
    }
  }
  return keys;
}
