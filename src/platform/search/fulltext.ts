/**
 * Full-text search, the one place where SQLite and PostgreSQL differ for it (STYLE.md point 7).
 *
 * A search index is a derived table keyed by its source row's id, holding a title and a body:
 * - SQLite: an FTS5 virtual table `(key unindexed, title, body)`, Porter-stemmed; ranked by
 *   BM25 with the title weighing four times the body.
 * - PostgreSQL: a table `(key primary key, document tsvector)` with a GIN index; the document
 *   is the English tsvector of the title (weight A) and body (weight B), ranked by `ts_rank`.
 *
 * Queries are members' free text. On PostgreSQL `websearch_to_tsquery` accepts anything; on
 * SQLite the text is cut into words, each quoted as an FTS5 string (so no FTS5 syntax a member
 * types is ever interpreted), every word required, the last one as a prefix.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { dialectOf } from '../db/database.js';

export interface SearchIndex {
  /** The index table. */
  table: string;
  /** Its column holding the source row's id. */
  keyColumn: string;
}

export interface SearchDocument {
  title: string;
  body: string;
}

/** The longest query kept; beyond it words are dropped (a query is a few words). */
const MAX_QUERY_WORDS = 12;

/** The words of a member's query, as FTS5 strings; empty when there is nothing to look for. */
export function sqliteMatchExpression(text: string): string {
  const words = text.match(/[\p{L}\p{N}]+/gu)?.slice(0, MAX_QUERY_WORDS) ?? [];
  return words.map((word, index) => `"${word}"${index === words.length - 1 ? '*' : ''}`).join(' ');
}

/** True when the query has something to search for on either engine. */
export function hasSearchTerms(text: string): boolean {
  return sqliteMatchExpression(text) !== '';
}

/** Adds the document of a new `key` to the index (in the caller's transaction). */
export async function insertSearchDocument<T>(
  db: Kysely<T>,
  index: SearchIndex,
  key: string,
  document: SearchDocument,
): Promise<void> {
  const table = sql.table(index.table);
  const keyColumn = sql.ref(index.keyColumn);
  if (dialectOf(db) === 'postgres') {
    await sql`insert into ${table} (${keyColumn}, document)
      values (${key}, setweight(to_tsvector('english', ${document.title}), 'A')
                   || setweight(to_tsvector('english', ${document.body}), 'B'))`.execute(db);
    return;
  }
  await sql`insert into ${table} (${keyColumn}, title, body)
    values (${key}, ${document.title}, ${document.body})`.execute(db);
}

/**
 * Adds or replaces the document of `key` in the index (in the caller's transaction). On SQLite
 * the key column is not indexed by FTS5, so replacing reads the index's rows: use it for edits,
 * and `insertSearchDocument` for new documents.
 */
export async function upsertSearchDocument<T>(
  db: Kysely<T>,
  index: SearchIndex,
  key: string,
  document: SearchDocument,
): Promise<void> {
  const table = sql.table(index.table);
  const keyColumn = sql.ref(index.keyColumn);
  if (dialectOf(db) === 'postgres') {
    await sql`insert into ${table} (${keyColumn}, document)
      values (${key}, setweight(to_tsvector('english', ${document.title}), 'A')
                   || setweight(to_tsvector('english', ${document.body}), 'B'))
      on conflict (${keyColumn}) do update set document = excluded.document`.execute(db);
    return;
  }
  await sql`delete from ${table} where ${keyColumn} = ${key}`.execute(db);
  await sql`insert into ${table} (${keyColumn}, title, body)
    values (${key}, ${document.title}, ${document.body})`.execute(db);
}

/** Removes the document of `key` from the index. */
export async function deleteSearchDocument<T>(
  db: Kysely<T>,
  index: SearchIndex,
  key: string,
): Promise<void> {
  await sql`delete from ${sql.table(index.table)} where ${sql.ref(index.keyColumn)} = ${key}`.execute(
    db,
  );
}

/**
 * A subquery of the documents matching `text`, as rows `(search_key, rank)` where a higher rank is a
 * better match; the caller joins it to the source table, filters and orders by `rank desc`.
 */
export function matchingDocuments<T>(
  db: Kysely<T>,
  index: SearchIndex,
  text: string,
): RawBuilder<{ search_key: string; rank: number }> {
  const table = sql.table(index.table);
  const keyColumn = sql.ref(index.keyColumn);
  if (dialectOf(db) === 'postgres') {
    return sql<{ search_key: string; rank: number }>`(
      select ${keyColumn} as search_key, ts_rank(document, query) as rank
      from ${table}, websearch_to_tsquery('english', ${text}) as query
      where document @@ query
    )`;
  }
  // bm25() is lower for better matches; its weights follow the columns (key, title, body).
  return sql<{ search_key: string; rank: number }>`(
    select ${keyColumn} as search_key, -bm25(${table}, 0.0, 4.0, 1.0) as rank
    from ${table}
    where ${table} match ${sqliteMatchExpression(text)}
  )`;
}
