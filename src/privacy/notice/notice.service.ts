/**
 * Publishing and reading versions of the privacy notice (DESIGN.md §5.8, P57). A version is
 * never changed once published; a change is a new version with a date and a summary.
 */
import { tablesOf, type DbExecutor } from '../../platform/db/database.js';
import { fromDbBool, toDbBool, toDbTime } from '../../platform/db/portable.js';
import type { PrivacyRegistry } from '../registry.js';
import { loadNoticeProse, type NoticeProse } from './notice.prose.js';
import type { Partner } from '../partners.js';
import { buildNoticeSnapshot, type NoticeContent } from './notice.snapshot.js';
import type { NoticeTables, NoticeVersionsTable } from './notice.tables.js';

export interface NoticeVersionSummary {
  version: number;
  publishedAt: string;
  summary: string;
  /** Members are shown a material change and asked again for consent where its text changed. */
  material: boolean;
}

export interface NoticeVersion extends NoticeVersionSummary {
  content: NoticeContent;
}

export const FIRST_VERSION_SUMMARY = 'First published version of this notice.';
export const MAX_SUMMARY_LENGTH = 500;

export class NoticeInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoticeInputError';
  }
}

function toSummary(row: Omit<NoticeVersionsTable, 'content'>): NoticeVersionSummary {
  return {
    version: Number(row.version),
    publishedAt: row.published_at,
    summary: row.summary,
    material: fromDbBool(row.material),
  };
}

// Every page view reads the current version; parsing its JSON each time is wasted work. Keyed
// by the JSON text itself, so a cached snapshot can never stand for a different one.
const parsedContent = new Map<string, NoticeContent>();

function toVersion(row: NoticeVersionsTable): NoticeVersion {
  let content = parsedContent.get(row.content);
  if (!content) {
    content = JSON.parse(row.content) as NoticeContent;
    if (parsedContent.size >= 16) parsedContent.clear();
    parsedContent.set(row.content, content);
  }
  return { ...toSummary(row), content };
}

function normaliseSummary(summary: string): string {
  const trimmed = summary.trim().replace(/\s+/g, ' ');
  if (trimmed === '') throw new NoticeInputError('a summary of the change is required');
  if (trimmed.length > MAX_SUMMARY_LENGTH) {
    throw new NoticeInputError(`the summary is longer than ${MAX_SUMMARY_LENGTH} characters`);
  }
  return trimmed;
}

export interface PublishOptions {
  summary: string;
  material: boolean;
  /** The prose to publish; the shipped text when absent. */
  prose?: NoticeProse;
  /** The publication time; now by default. */
  at?: Date;
  /** The partners in use (`partnersInUse(config)`); the whole registry when absent. */
  partners?: readonly Partner[];
}

const MAX_PUBLISH_ATTEMPTS = 10;

/**
 * Snapshots a new version numbered one after the latest. Two publishers at once (two
 * operators, or a CLI and a starting server) both read the same latest number; the version is
 * the primary key, so the second insert finds the conflict, does nothing, and tries the next.
 */
export async function publishNotice(
  db: DbExecutor,
  registry: PrivacyRegistry,
  options: PublishOptions,
): Promise<NoticeVersion> {
  const summary = normaliseSummary(options.summary);
  const content = buildNoticeSnapshot(
    registry,
    options.prose ?? loadNoticeProse(),
    options.partners,
  );
  const row = {
    published_at: toDbTime(options.at ?? new Date()),
    summary,
    material: toDbBool(options.material),
    content: JSON.stringify(content),
  };
  const notices = tablesOf<NoticeTables>(db);
  for (let attempt = 0; attempt < MAX_PUBLISH_ATTEMPTS; attempt += 1) {
    const latest = await notices
      .selectFrom('privacy_notice_versions')
      .select((eb) => eb.fn.max('version').as('version'))
      .executeTakeFirst();
    const version = Number(latest?.version ?? 0) + 1;
    const inserted = await notices
      .insertInto('privacy_notice_versions')
      .values({ version, ...row })
      .onConflict((conflict) => conflict.column('version').doNothing())
      .returning('version')
      .executeTakeFirst();
    if (inserted) return { ...toSummary({ version, ...row }), content };
  }
  throw new Error(`could not publish the notice after ${MAX_PUBLISH_ATTEMPTS} attempts`);
}

/**
 * Publishes version 1 when no version exists (the first start). Safe with several processes
 * starting together: only one insert of version 1 succeeds; the others do nothing.
 */
export async function ensureNoticePublished(
  db: DbExecutor,
  registry: PrivacyRegistry,
  prose?: NoticeProse,
  partners?: readonly Partner[],
): Promise<{ published: boolean; version: number }> {
  const notices = tablesOf<NoticeTables>(db);
  const existing = await notices
    .selectFrom('privacy_notice_versions')
    .select('version')
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (existing) return { published: false, version: Number(existing.version) };
  const content = buildNoticeSnapshot(registry, prose ?? loadNoticeProse(), partners);
  const inserted = await notices
    .insertInto('privacy_notice_versions')
    .values({
      version: 1,
      published_at: toDbTime(new Date()),
      summary: FIRST_VERSION_SUMMARY,
      material: 0,
      content: JSON.stringify(content),
    })
    .onConflict((conflict) => conflict.column('version').doNothing())
    .returning('version')
    .executeTakeFirst();
  return { published: inserted !== undefined, version: 1 };
}

export async function currentNotice(db: DbExecutor): Promise<NoticeVersion | null> {
  const row = await tablesOf<NoticeTables>(db)
    .selectFrom('privacy_notice_versions')
    .selectAll()
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? toVersion(row) : null;
}

/** The current version's number, for consent events that cite the notice shown (§5.3). */
export async function currentNoticeVersion(db: DbExecutor): Promise<number | null> {
  const row = await tablesOf<NoticeTables>(db)
    .selectFrom('privacy_notice_versions')
    .select('version')
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? Number(row.version) : null;
}

/** The newest material version: members who have not seen it are shown the change. */
export async function latestMaterialNotice(db: DbExecutor): Promise<NoticeVersionSummary | null> {
  const row = await tablesOf<NoticeTables>(db)
    .selectFrom('privacy_notice_versions')
    .select(['version', 'published_at', 'summary', 'material'])
    .where('material', '=', 1)
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? toSummary(row) : null;
}

export async function findNoticeVersion(
  db: DbExecutor,
  version: number,
): Promise<NoticeVersion | null> {
  const row = await tablesOf<NoticeTables>(db)
    .selectFrom('privacy_notice_versions')
    .selectAll()
    .where('version', '=', version)
    .executeTakeFirst();
  return row ? toVersion(row) : null;
}

/** Every version, newest first, without content. */
export async function listNoticeVersions(db: DbExecutor): Promise<NoticeVersionSummary[]> {
  const rows = await tablesOf<NoticeTables>(db)
    .selectFrom('privacy_notice_versions')
    .select(['version', 'published_at', 'summary', 'material'])
    .orderBy('version', 'desc')
    .execute();
  return rows.map(toSummary);
}
