/**
 * The data-map vocabulary (DESIGN.md §5.1). Types and small pure helpers only: every owner of
 * tables (the platform, the privacy core, each module) declares each of its tables with these
 * words, and the privacy core reads the declarations to publish the notice, export, erase and
 * run retention. The integrity test fails when a live table or column is not declared.
 */

/**
 * Column categories, a small taxonomy after fideslang. A JSON column takes the most sensitive
 * category it may hold.
 */
export type DataCategory =
  | 'system.id'
  | 'system.time'
  | 'system.state'
  | 'system.config'
  | 'system.secret'
  | 'system.hash'
  | 'system.operational'
  | 'user.id'
  | 'user.contact.email'
  | 'user.contact.address'
  | 'user.contact.phone'
  | 'user.name'
  | 'user.name.display'
  | 'user.location.coarse'
  | 'user.location.precise'
  | 'user.health'
  | 'user.childrens'
  | 'user.content.public'
  | 'user.content.private'
  | 'user.preference'
  | 'user.behaviour'
  | 'user.device.ip'
  | 'user.device.agent'
  | 'user.device.cookie'
  | 'user.authentication';

/** A column declaration: its category, or the category with flags. */
export type ColumnDeclaration =
  | DataCategory
  | {
      category: DataCategory;
      /** Art. 9 special-category data (health, religion, …): explicit consent or another condition. */
      special?: boolean;
      /** A sentence for the notice and the record of processing when the category alone is vague. */
      description?: string;
    };

/** Who a row is about, and in what role (`author`, `sender`, `recipient`, `member`, …). */
export interface SubjectColumn {
  column: string;
  role: string;
}

/** A table reached only through a parent row: rows belong to the subjects of that parent. */
export interface ViaParent {
  table: string;
  /** This table's column that references the parent's primary key. */
  column: string;
  /** The parent's key column; `id` unless said. */
  parentColumn?: string;
}

/** ISO 8601 duration such as `P90D`, `P3Y`, `PT12H`. */
export type IsoDuration = string;

export type LegalBasis =
  | 'consent'
  | 'contract'
  | 'legal-obligation'
  | 'vital-interests'
  | 'public-task'
  | 'legitimate-interests';

export type ErasureRule =
  | 'delete'
  | { anonymise: Record<string, string | number | null> }
  | { retain: { basis: LegalBasis; reason: string; for: IsoDuration } };

export type RetentionRule =
  | {
      /** Kept as long as the thing it belongs to: a published page, or the member's account. */
      keep: 'while-published' | 'while-account';
      reason?: string;
    }
  | {
      /** How long after `from` the rule fires. */
      after: IsoDuration;
      /** A time column of this table (ISO 8601 text). */
      from: string;
      /**
       * `delete` removes the row; `clear` sets `columns` to null; `erase-subject` erases every
       * subject named by the row through the erasure engine (the inactive-account rule).
       */
      action: 'delete' | 'clear' | 'erase-subject';
      /** For `clear`: which columns. */
      columns?: string[];
      /** Only rows matching these column values (e.g. `{ status: 'sent' }`). */
      where?: Record<string, string | number | null>;
      /** For `erase-subject`: a warning mail this long before the rule fires. */
      warnBefore?: IsoDuration;
      reason?: string;
    };

/** A table that holds personal data. */
export interface PersonalTable {
  personal?: true;
  /** Primary key column(s); `id` unless said. */
  primaryKey?: string[];
  /** Columns that name a person. Empty only when `via` says whose rows these are. */
  subjects: SubjectColumn[];
  via?: ViaParent;
  /** Key into the purpose catalogue. */
  purpose: string;
  /** Every column of the table, classified. */
  columns: Record<string, ColumnDeclaration>;
  erasure: ErasureRule;
  retention: RetentionRule[];
  /** Shown to the member in the export and the notice: where the data came from. */
  source?: 'member' | 'staff' | 'system' | 'partner' | 'derived';
  /** One line for the notice and the record of processing. */
  description?: string;
}

/** A table with no personal data at all (configuration, catalogues). */
export interface NonPersonalTable {
  personal: false;
  columns: Record<string, ColumnDeclaration>;
  description?: string;
}

/** A derived copy (an FTS shadow table, a search index): follows its source for export/erasure. */
export interface DerivedTable {
  derived: { from: string };
  /** Columns, when the engine lists them; omitted for engine-managed shadow tables. */
  columns?: Record<string, ColumnDeclaration>;
}

/** Engine bookkeeping (migration tables, sqlite_* tables): never personal. */
export interface SystemTable {
  system: true;
  description?: string;
}

export type TableDeclaration = PersonalTable | NonPersonalTable | DerivedTable | SystemTable;

export type DataMap = Record<string, TableDeclaration>;

/** The data map of one owner: the platform, the privacy core, or a module. */
export interface OwnedDataMap {
  owner: string;
  tables: DataMap;
}

export function isPersonalTable(table: TableDeclaration): table is PersonalTable {
  return !('system' in table) && !('derived' in table) && table.personal !== false;
}

export function isDerivedTable(table: TableDeclaration): table is DerivedTable {
  return 'derived' in table;
}

export function isSystemTable(table: TableDeclaration): table is SystemTable {
  return 'system' in table;
}

export function columnCategory(column: ColumnDeclaration): DataCategory {
  return typeof column === 'string' ? column : column.category;
}

export function isSpecialColumn(column: ColumnDeclaration): boolean {
  if (typeof column === 'string') return column === 'user.health';
  return column.special === true || column.category === 'user.health';
}

/** Columns whose values are never exported nor shown (password hashes, secrets, tokens). */
export function isSecretColumn(column: ColumnDeclaration): boolean {
  const category = columnCategory(column);
  return category === 'user.authentication' || category === 'system.secret';
}

/** The columns a table declares, whatever its kind (system tables declare none). */
export function declaredColumns(table: TableDeclaration): string[] {
  if ('system' in table) return [];
  return Object.keys(table.columns ?? {});
}

/**
 * Merges owners' maps into one, refusing a table declared twice: every table has exactly one
 * owner (DESIGN.md §5.1).
 */
export function mergeDataMaps(
  maps: readonly OwnedDataMap[],
): Map<string, { owner: string; table: TableDeclaration }> {
  const merged = new Map<string, { owner: string; table: TableDeclaration }>();
  for (const map of maps) {
    for (const [name, table] of Object.entries(map.tables)) {
      const existing = merged.get(name);
      if (existing) {
        throw new Error(`Table ${name} is declared by both ${existing.owner} and ${map.owner}`);
      }
      merged.set(name, { owner: map.owner, table });
    }
  }
  return merged;
}

const DURATION =
  /^P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;

/** Parses an ISO 8601 duration into its parts; throws on anything else. */
export function parseDuration(duration: IsoDuration): {
  years: number;
  months: number;
  days: number;
  hours: number;
  minutes: number;
  seconds: number;
} {
  const match = DURATION.exec(duration);
  if (!match) throw new Error(`Not an ISO 8601 duration: ${duration}`);
  const part = (index: number): number => Number(match[index] ?? 0);
  return {
    years: part(1),
    months: part(2),
    days: part(3) * 7 + part(4),
    hours: part(5),
    minutes: part(6),
    seconds: part(7),
  };
}

/**
 * Moves a time by a duration in UTC calendar terms (months and years clamp to the month's last
 * day, so 31 January plus P1M is 28 or 29 February). Negative `sign` subtracts.
 */
export function addDuration(time: Date, duration: IsoDuration, sign: 1 | -1 = 1): Date {
  const parts = parseDuration(duration);
  const result = new Date(time.getTime());
  const totalMonths = sign * (parts.years * 12 + parts.months);
  if (totalMonths !== 0) {
    const day = result.getUTCDate();
    result.setUTCDate(1);
    result.setUTCMonth(result.getUTCMonth() + totalMonths);
    const lastDay = new Date(
      Date.UTC(result.getUTCFullYear(), result.getUTCMonth() + 1, 0),
    ).getUTCDate();
    result.setUTCDate(Math.min(day, lastDay));
  }
  const millis =
    (((parts.days * 24 + parts.hours) * 60 + parts.minutes) * 60 + parts.seconds) * 1000;
  return new Date(result.getTime() + sign * millis);
}
