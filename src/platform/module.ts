/**
 * The module contract (DESIGN.md §4). A feature is a folder under src/modules/ whose index.ts
 * exports one HearthModule; app.ts lists them in one typed array.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Database, DbExecutor } from './db/database.js';
import type { DataMap } from './datamap.js';
import type { JobHandler, ScheduleDefinition } from './jobs/jobs.types.js';

/** One entry in the /admin navigation. */
export interface AdminNavEntry {
  href: string;
  label: string;
  /** Roles that see the entry; the route itself checks again on the server. */
  roles: readonly string[];
}

/** One item of a subject's export: a row of an owner's table, or a computed record. */
export interface ExportItem {
  table: string;
  row: Record<string, unknown>;
}

export interface ErasureReport {
  removed: number;
  retained: { table: string; count: number; reason: string }[];
}

/**
 * Hooks for what the declarative engine cannot express (DESIGN.md §4). Most modules need none.
 */
export interface ModulePrivacyHooks {
  exportFor?(
    db: DbExecutor,
    subjectId: string,
    cursor?: string,
  ): Promise<{ items: ExportItem[]; nextCursor?: string }>;
  eraseFor?(db: DbExecutor, subjectId: string): Promise<ErasureReport>;
  /**
   * Tells the subject that an `erase-subject` retention rule with `warnBefore` will erase them
   * at `erasesAt` (the inactive-account warning mail). Called once per warning period, in the
   * retention run's transaction.
   */
  warnBeforeErasure?(db: DbExecutor, subjectId: string, erasesAt: Date): Promise<void>;
}

export interface HearthModule {
  name: string;
  /** The module's tables, declared in `<name>.privacy.ts`. */
  dataMap: DataMap;
  /** An encapsulated Fastify plugin with the module's routes and pages. */
  plugin?: FastifyPluginAsync;
  adminNav?: readonly AdminNavEntry[];
  /** Job handlers by job name (`<module>.<job>`). */
  jobs?: Readonly<Record<string, JobHandler>>;
  schedules?: readonly ScheduleDefinition[];
  privacy?: ModulePrivacyHooks;
  /** Adds demo data for `hearth seed --demo`. */
  seedDemo?(db: Database, log: (line: string) => void): Promise<void>;
}
