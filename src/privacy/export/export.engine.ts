/**
 * The export engine (DESIGN.md §5.5, access and portability): everything Hearth holds about a
 * subject, as a ZIP streamed to `output`:
 *
 * - `data.json` at the root, grouped by owner then table: every declared column of every row
 *   about the subject (through `subjects` and `via`), plus the records of owners' `exportFor`
 *   hooks;
 * - `csv/<owner>/<table>.csv`, one per table (RFC 4180);
 * - `facts.json` and `index.html`: the Art. 15 facts and a readable summary that works offline.
 *
 * Never exported: columns declared `user.authentication` or `system.secret`, and the staff-only
 * tables listed in WITHHELD_TABLES. Other people named in a row (any `user.id` column that is
 * not the subject) appear as a pseudonym that is stable within one export and meaningless
 * outside it.
 *
 * Memory stays bounded whatever the volume: rows are read in keyset pages (one subject column at
 * a time, so an index on `(subject column, primary key)` serves each page directly; owners of
 * large tables should declare one), each ZIP entry is a
 * stream that asks for the next page only when the one before has been taken (yazl pipes each
 * entry in turn, and pipes honour backpressure all the way to `output`), and nothing keeps rows
 * beyond a page except a short preview per table for `index.html`.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { sql, type SqlBool } from 'kysely';
import yazl from 'yazl';
import {
  columnCategory,
  isPersonalTable,
  isSecretColumn,
  type PersonalTable,
} from '../../platform/datamap.js';
import type { Database } from '../../platform/db/database.js';
import { AppError } from '../../platform/http/errors.js';
import type { ExportItem, ModulePrivacyHooks } from '../../platform/module.js';
import {
  aboutSubject,
  aboutSubjectParts,
  primaryKeyOf,
  type DeclaredTables,
} from '../erasure/subject-scope.js';
import type { PrivacyRegistry } from '../registry.js';
import { csvRecord } from './export.csv.js';
import { hookFacts, tableFacts, type TableFacts } from './export.facts.js';
import { renderIndexPage, type IndexSection } from './export.index-page.js';

/**
 * Tables kept out of every export, with why. Holds and the handling of erasure requests are
 * staff records: telling a member of a legal or safeguarding hold could prejudice the matter it
 * protects (DPA 2018 Sch. 2 para 2 and 5; DESIGN.md §5.5: only staff see the hold).
 */
export const WITHHELD_TABLES: ReadonlyMap<string, string> = new Map([
  ['privacy_holds', 'Legal and safeguarding holds are seen by staff only.'],
  ['privacy_erasure_runs', 'Staff records of erasure handling, which can reveal a hold.'],
  ['privacy_erasure_steps', 'Staff records of erasure handling, which can reveal a hold.'],
]);

export interface ExportOptions {
  generatedAt?: Date;
  /** How another person named in the subject's rows is shown; a keyed pseudonym by default. */
  pseudonymise?: (otherSubjectId: string) => string;
  /** Rows per query; 500 by default. */
  pageSize?: number;
}

export interface ExportSummary {
  /** Tables (and hook record groups) with at least one row about the subject. */
  tables: number;
  rows: number;
  /** Bytes of ZIP written to `output`. */
  bytes: number;
}

const PREVIEW_ROWS = 20;
const STREAM_HIGH_WATER_MARK = 64 * 1024;

interface Section {
  owner: string;
  table: string;
  /** The declaration when the table is declared (and not only produced by a hook). */
  declaration: PersonalTable | null;
  /** Columns as exported, in order. */
  columns: string[];
  /** Whether declared rows are read from the table. */
  fromTable: boolean;
  /** Whether the owner's hook produced records for it. */
  fromHook: boolean;
  csvPath: string;
  rows: number;
  preview: Record<string, unknown>[];
}

interface OwnerPlan {
  owner: string;
  hooks: ModulePrivacyHooks | undefined;
  sections: Section[];
}

/** A default pseudonym: an HMAC of the id under a key that lives only for this export. */
function defaultPseudonymiser(): (id: string) => string {
  const key = randomBytes(32);
  return (id) => `person-${createHmac('sha256', key).update(id).digest('hex').slice(0, 12)}`;
}

function exportedColumns(declaration: PersonalTable): string[] {
  return Object.entries(declaration.columns)
    .filter(([, column]) => !isSecretColumn(column))
    .map(([name]) => name);
}

function safePathPart(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '_');
}

function jsonValue(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (value instanceof Date) return value.toISOString();
  return value;
}

/** Every item of an owner's `exportFor` hook, page by page. */
async function* hookItems(
  hooks: ModulePrivacyHooks,
  db: Database,
  subjectId: string,
  owner: string,
): AsyncGenerator<ExportItem[]> {
  if (!hooks.exportFor) return;
  let cursor: string | undefined;
  const seen = new Set<string>();
  for (;;) {
    const page = await hooks.exportFor(db, subjectId, cursor);
    yield page.items;
    if (page.nextCursor === undefined) return;
    // A hook that hands back a cursor it gave before would loop for ever.
    if (seen.has(page.nextCursor)) {
      throw new Error(`the export hook of ${owner} repeated cursor ${page.nextCursor}`);
    }
    seen.add(page.nextCursor);
    cursor = page.nextCursor;
  }
}

class SubjectExport {
  private readonly pseudonymise: (id: string) => string;
  private readonly pageSize: number;
  private readonly generatedAt: Date;
  private readonly tables: DeclaredTables;

  constructor(
    private readonly db: Database,
    private readonly registry: PrivacyRegistry,
    private readonly subjectId: string,
    options: ExportOptions,
  ) {
    this.pseudonymise = options.pseudonymise ?? defaultPseudonymiser();
    this.pageSize = options.pageSize ?? 500;
    this.generatedAt = options.generatedAt ?? new Date();
    this.tables = registry.tables;
  }

  /** Which tables hold rows about the subject, and which records each hook produces. */
  async plan(): Promise<OwnerPlan[]> {
    const plans: OwnerPlan[] = [];
    for (const owner of this.registry.owners) {
      const sections = new Map<string, Section>();
      const section = (table: string, declaration: PersonalTable | null): Section => {
        const existing = sections.get(table);
        if (existing) return existing;
        const created: Section = {
          owner: owner.owner,
          table,
          declaration,
          columns: declaration ? exportedColumns(declaration) : [],
          fromTable: false,
          fromHook: false,
          csvPath: `csv/${safePathPart(owner.owner)}/${safePathPart(table)}.csv`,
          rows: 0,
          preview: [],
        };
        sections.set(table, created);
        return created;
      };
      for (const [name, declaration] of Object.entries(owner.tables)) {
        if (!isPersonalTable(declaration) || WITHHELD_TABLES.has(name)) continue;
        const found = await this.db
          .selectFrom(name)
          .select(sql<number>`1`.as('found'))
          .where(aboutSubject(this.tables, declaration, this.subjectId))
          .limit(1)
          .executeTakeFirst();
        if (found) section(name, declaration).fromTable = true;
      }
      if (owner.hooks?.exportFor) {
        // A first pass learns which record groups the hook produces and their fields, so each
        // group gets one place in data.json and one CSV header; items are not kept.
        for await (const items of hookItems(owner.hooks, this.db, this.subjectId, owner.owner)) {
          for (const item of items) {
            if (WITHHELD_TABLES.has(item.table)) continue;
            const declared = owner.tables[item.table];
            const target = section(
              item.table,
              declared && isPersonalTable(declared) ? declared : null,
            );
            target.fromHook = true;
            for (const column of Object.keys(item.row)) {
              const declaration = target.declaration?.columns[column];
              if (declaration && isSecretColumn(declaration)) continue;
              if (!target.columns.includes(column)) target.columns.push(column);
            }
          }
        }
      }
      const kept = [...sections.values()].filter((entry) => entry.fromTable || entry.fromHook);
      if (kept.length > 0) plans.push({ owner: owner.owner, hooks: owner.hooks, sections: kept });
    }
    return plans;
  }

  /** A row as exported: only its exported columns, other people pseudonymised. */
  private present(section: Section, row: Record<string, unknown>): Record<string, unknown> {
    const presented: Record<string, unknown> = {};
    for (const column of section.columns) {
      let value = jsonValue(row[column]);
      const declaration = section.declaration?.columns[column];
      if (
        declaration &&
        columnCategory(declaration) === 'user.id' &&
        typeof value === 'string' &&
        value !== this.subjectId
      ) {
        value = this.pseudonymise(value);
      }
      presented[column] = value ?? null;
    }
    return presented;
  }

  /** The section's rows, presented, a page at a time: the table's rows, then the hook's. */
  async *sectionPages(
    section: Section,
    owner: OwnerPlan,
  ): AsyncGenerator<Record<string, unknown>[]> {
    if (section.fromTable && section.declaration) {
      const declaration = section.declaration;
      const key = primaryKeyOf(declaration);
      const selected = [
        ...new Set([...key, ...section.columns.filter((column) => column in declaration.columns)]),
      ];
      // Part by part (the subject as sender, then as recipient, …), each in key order.
      for (const part of aboutSubjectParts(this.tables, declaration, this.subjectId)) {
        let after: unknown[] | null = null;
        for (;;) {
          let query = this.db
            .selectFrom(section.table)
            .select(selected.map((column) => sql.ref(column).as(column)))
            .where(part);
          if (after !== null) query = query.where(keysetAfter(key, after));
          for (const column of key) query = query.orderBy(sql.ref(column));
          const rows = (await query.limit(this.pageSize).execute()) as Record<string, unknown>[];
          if (rows.length > 0) yield rows.map((row) => this.present(section, row));
          const last = rows[rows.length - 1];
          if (rows.length < this.pageSize || last === undefined) break;
          after = key.map((column) => last[column]);
        }
      }
    }
    if (section.fromHook && owner.hooks) {
      for await (const items of hookItems(owner.hooks, this.db, this.subjectId, owner.owner)) {
        const rows = items
          .filter((item) => item.table === section.table)
          .map((item) => this.present(section, item.row));
        if (rows.length > 0) yield rows;
      }
    }
  }

  async *dataJson(plans: OwnerPlan[]): AsyncGenerator<string> {
    yield `{\n  "format": "hearth-export/1",\n  "subjectId": ${JSON.stringify(this.subjectId)},\n  "generatedAt": ${JSON.stringify(this.generatedAt.toISOString())},\n  "owners": {`;
    let firstOwner = true;
    for (const owner of plans) {
      yield `${firstOwner ? '' : ','}\n    ${JSON.stringify(owner.owner)}: {`;
      firstOwner = false;
      let firstSection = true;
      for (const section of owner.sections) {
        yield `${firstSection ? '' : ','}\n      ${JSON.stringify(section.table)}: [`;
        firstSection = false;
        let firstRow = true;
        for await (const rows of this.sectionPages(section, owner)) {
          const lines: string[] = [];
          for (const row of rows) {
            if (section.preview.length < PREVIEW_ROWS) section.preview.push(row);
            section.rows += 1;
            lines.push(`${firstRow ? '' : ','}\n        ${JSON.stringify(row)}`);
            firstRow = false;
          }
          yield lines.join('');
        }
        yield firstRow ? ']' : '\n      ]';
      }
      yield '\n    }';
    }
    yield '\n  }\n}\n';
  }

  async *csv(section: Section, owner: OwnerPlan): AsyncGenerator<string> {
    // A byte-order mark, so spreadsheet programs read the file as UTF-8.
    yield `\uFEFF${csvRecord(section.columns)}`;
    for await (const rows of this.sectionPages(section, owner)) {
      yield rows.map((row) => csvRecord(section.columns.map((column) => row[column]))).join('');
    }
  }

  facts(plans: OwnerPlan[]): TableFacts[] {
    return plans.flatMap((owner) =>
      owner.sections.map((section) =>
        section.declaration
          ? tableFacts(owner.owner, section.table, section.declaration)
          : hookFacts(
              owner.owner,
              section.table,
              this.registry.owners.find((entry) => entry.owner === owner.owner)?.tables ?? {},
            ),
      ),
    );
  }

  indexSections(plans: OwnerPlan[]): IndexSection[] {
    return plans.flatMap((owner) =>
      owner.sections.map((section) => ({
        owner: owner.owner,
        table: section.table,
        csvPath: section.csvPath,
        rows: section.rows,
        columns: section.columns,
        preview: section.preview,
        description: section.declaration?.description ?? null,
      })),
    );
  }

  get generatedAtIso(): string {
    return this.generatedAt.toISOString();
  }

  get mtime(): Date {
    return this.generatedAt;
  }
}

/** `(k1, k2, …) > (v1, v2, …)` spelled out, the same on both engines. */
function keysetAfter(key: readonly string[], values: readonly unknown[]) {
  const alternatives = key.map((column, index) => {
    const equalBefore = key
      .slice(0, index)
      .map((earlier, earlierIndex) => sql<SqlBool>`${sql.ref(earlier)} = ${values[earlierIndex]}`);
    return sql<SqlBool>`(${sql.join(
      [...equalBefore, sql<SqlBool>`${sql.ref(column)} > ${values[index]}`],
      sql` and `,
    )})`;
  });
  return sql<SqlBool>`(${sql.join(alternatives, sql` or `)})`;
}

/**
 * Deflate's fastest level. Compressing was most of an export's time at the default level 6
 * (measured on 20 MB of post text: 1.8 s at level 6, 0.35 s at level 1, for an archive 45%
 * larger); an export is made on request and downloaded once, so time matters more than bytes.
 */
const ZIP_LEVEL = 1;

/** Counts the bytes passing through. */
class ByteCounter extends Transform {
  bytes = 0;
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    callback(null, chunk);
  }
}

function textStream(source: Iterable<string> | AsyncIterable<string>): Readable {
  return Readable.from(
    (async function* () {
      for await (const text of source) {
        if (text.length > 0) yield Buffer.from(text, 'utf8');
      }
    })(),
    { objectMode: false, highWaterMark: STREAM_HIGH_WATER_MARK },
  );
}

/**
 * Streams the subject's export as a ZIP into `output`, ends it, and resolves once the last byte
 * is written. On a failure `output` is destroyed with the error and the promise rejects.
 */
export async function exportSubject(
  db: Database,
  registry: PrivacyRegistry,
  subjectId: string,
  output: NodeJS.WritableStream,
  options: ExportOptions = {},
): Promise<ExportSummary> {
  if (typeof subjectId !== 'string' || subjectId.trim() === '') {
    throw new AppError('validation_failed', 'An export needs the id of whose data to export.', {
      fields: { subjectId: 'is required' },
    });
  }
  if (
    options.pageSize !== undefined &&
    (!Number.isInteger(options.pageSize) || options.pageSize < 1)
  ) {
    throw new AppError('validation_failed', 'The page size must be a whole number above 0.', {
      fields: { pageSize: 'must be a whole number above 0' },
    });
  }
  const job = new SubjectExport(db, registry, subjectId, options);
  const plans = await job.plan();

  const zip = new yazl.ZipFile();
  // yazl's output is a PassThrough; its typings say only "a readable stream".
  const zipOutput = zip.outputStream as Readable;
  const counter = new ByteCounter();
  const written = pipeline(zipOutput, counter, output);
  let failure: Error | undefined;
  const fail = (error: unknown) => {
    failure ??= error instanceof Error ? error : new Error(String(error));
    zipOutput.destroy(failure);
  };
  const addText = (path: string, source: () => Iterable<string> | AsyncIterable<string>) => {
    zip.addReadStreamLazy(path, { mtime: job.mtime, compressionLevel: ZIP_LEVEL }, (callback) => {
      const stream = textStream(source());
      // yazl does not listen for errors on entry streams; a failed query must fail the export.
      stream.on('error', fail);
      callback(null, stream);
    });
  };

  addText('data.json', () => job.dataJson(plans));
  for (const owner of plans) {
    for (const section of owner.sections) addText(section.csvPath, () => job.csv(section, owner));
  }
  // These two come last: they report the counts and previews gathered while data.json streamed.
  addText('facts.json', function* () {
    yield `${JSON.stringify(
      {
        format: 'hearth-export-facts/1',
        subjectId,
        generatedAt: job.generatedAtIso,
        tables: job.facts(plans),
      },
      null,
      2,
    )}\n`;
  });
  addText('index.html', function* () {
    yield renderIndexPage({
      subjectId,
      generatedAt: job.generatedAtIso,
      sections: job.indexSections(plans),
      facts: job.facts(plans),
    });
  });
  zip.end();

  try {
    await written;
  } catch (error) {
    // The entry stream's own error says more than the "premature close" it caused downstream.
    if (failure) throw failure;
    throw error;
  }
  if (failure) throw failure;
  const sections = plans.flatMap((owner) => owner.sections);
  return {
    tables: sections.filter((section) => section.rows > 0).length,
    rows: sections.reduce((sum, section) => sum + section.rows, 0),
    bytes: counter.bytes,
  };
}
