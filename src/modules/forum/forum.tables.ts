import type { Generated } from 'kysely';
/** Kysely types of the forum tables (migration 20261129_0050_forum). */

export interface ForumCategoriesTable {
  id: string;
  slug: string;
  name: string;
  description: string;
  position: number;
  created_at: string;
  updated_at: string;
}

export interface ForumThreadsTable {
  id: string;
  category_id: string;
  author_id: string | null;
  author_name: string;
  title: string;
  post_count: number;
  is_hidden: number;
  created_at: string;
  last_posted_at: string;
  /** Moved on by database triggers when anything shown on the thread changes (migration 0090). */
  page_version: Generated<number>;
}

export interface ForumPostsTable {
  id: string;
  thread_id: string;
  position: number;
  author_id: string | null;
  author_name: string;
  body: string;
  body_html: string;
  quoted_post_id: string | null;
  ip_address: string | null;
  is_hidden: number;
  created_at: string;
  edited_at: string | null;
}

export interface ForumPostRevisionsTable {
  id: string;
  post_id: string;
  body: string;
  edited_by_staff: number;
  edited_at: string;
}

export interface ForumLikesTable {
  post_id: string;
  member_id: string;
  created_at: string;
}

export type ReportStatus = 'open' | 'closed';
export type ReportOutcome = 'hidden' | 'dismissed' | 'restored';

export interface ForumReportsTable {
  id: string;
  kind: string;
  target_id: string;
  reporter_id: string | null;
  reason: string;
  status: ReportStatus;
  outcome: ReportOutcome | null;
  created_at: string;
  closed_at: string | null;
}

export type SanctionKind = 'warning' | 'suspension';

export interface ForumSanctionsTable {
  id: string;
  member_id: string;
  kind: SanctionKind;
  reason: string;
  created_at: string;
  ends_at: string | null;
  lifted_at: string | null;
}

export interface ForumTables {
  forum_categories: ForumCategoriesTable;
  forum_threads: ForumThreadsTable;
  forum_posts: ForumPostsTable;
  forum_post_revisions: ForumPostRevisionsTable;
  forum_likes: ForumLikesTable;
  forum_reports: ForumReportsTable;
  forum_sanctions: ForumSanctionsTable;
}
