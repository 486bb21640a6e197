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
