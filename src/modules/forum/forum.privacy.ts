/**
 * The forum's data map (the notice's "Forum (Coffeehouse) posts"). Posts stay in the forum; on
 * erasure, or when the member asks for their posts to be anonymised, they stop naming anyone:
 * the author link and the IP address go and the recorded name becomes a neutral label, which is
 * also what quotes of those posts show from then on (P42). The IP address a post was written
 * from is kept 90 days, for abuse investigations, then cleared.
 */
import type { DataMap } from '../../platform/datamap.js';

/** The name an anonymised post or thread shows, in the forum and in every quote of it. */
export const FORMER_MEMBER = 'former member';

/** FTS5 keeps its index in these engine-managed tables next to the virtual table (SQLite only). */
const SQLITE_FTS_SHADOWS = ['data', 'idx', 'content', 'docsize', 'config'];

export const forumDataMap: DataMap = {
  forum_categories: {
    personal: false,
    description: 'The forum categories, written by staff.',
    columns: {
      id: 'system.id',
      slug: 'system.config',
      name: 'system.config',
      description: 'system.config',
      position: 'system.config',
      created_at: 'system.time',
      updated_at: 'system.time',
    },
  },
  forum_threads: {
    subjects: [{ column: 'author_id', role: 'author' }],
    purpose: 'community',
    source: 'member',
    description:
      'Threads you started in the forum, with their titles and the name you wrote under. Threads stay; on account deletion or on request they are anonymised.',
    columns: {
      id: 'system.id',
      category_id: 'system.id',
      author_id: 'user.id',
      author_name: {
        category: 'user.name.display',
        description: 'The name you started the thread under: your username or anonymous name.',
      },
      title: 'user.content.public',
      post_count: 'system.state',
      is_hidden: 'system.state',
      created_at: 'system.time',
      last_posted_at: 'system.time',
      page_version: {
        category: 'system.state',
        description:
          'A counter the database moves on when anything shown on the thread changes, so that pages kept for visitors are rendered again.',
      },
    },
    erasure: { anonymise: { author_id: null, author_name: FORMER_MEMBER } },
    retention: [{ keep: 'while-published' }],
  },
  forum_posts: {
    subjects: [{ column: 'author_id', role: 'author' }],
    purpose: 'community',
    source: 'member',
    description:
      'Your forum posts and the name each was written under. Posts stay in the forum; on account deletion or on request they are anonymised. The IP address a post came from is kept 90 days to investigate abuse.',
    columns: {
      id: 'system.id',
      thread_id: 'system.id',
      position: 'system.state',
      author_id: 'user.id',
      author_name: {
        category: 'user.name.display',
        description: 'The name the post was written under: your username or anonymous name.',
      },
      body: 'user.content.public',
      body_html: 'user.content.public',
      quoted_post_id: 'system.id',
      ip_address: 'user.device.ip',
      is_hidden: 'system.state',
      created_at: 'system.time',
      edited_at: 'system.time',
    },
    erasure: { anonymise: { author_id: null, author_name: FORMER_MEMBER, ip_address: null } },
    retention: [
      { keep: 'while-published' },
      {
        columns: ['ip_address'],
        after: 'P90D',
        from: 'created_at',
        action: 'clear',
        reason: 'Kept 90 days to investigate abuse reported against a post, then cleared.',
      },
    ],
  },
  forum_post_revisions: {
    subjects: [],
    via: { table: 'forum_posts', column: 'post_id' },
    purpose: 'community',
    source: 'member',
    description:
      'Earlier versions of an edited post, seen only by moderators. Deleted with your account.',
    columns: {
      id: 'system.id',
      post_id: 'system.id',
      body: 'user.content.public',
      edited_by_staff: 'system.state',
      edited_at: 'system.time',
    },
    erasure: 'delete',
    retention: [{ keep: 'while-published' }],
  },
  forum_likes: {
    primaryKey: ['post_id', 'member_id'],
    subjects: [{ column: 'member_id', role: 'liker' }],
    purpose: 'community',
    source: 'member',
    description: 'The posts you liked. Deleted with your account.',
    columns: {
      post_id: 'system.id',
      member_id: 'user.id',
      created_at: 'system.time',
    },
    erasure: 'delete',
    retention: [{ keep: 'while-account' }],
  },
  forum_reports: {
    subjects: [{ column: 'reporter_id', role: 'reporter' }],
    purpose: 'community',
    source: 'member',
    description:
      'Posts and messages you reported to the moderators, with your reason. Closed reports are deleted after a year; on account deletion your name is taken off them.',
    columns: {
      id: 'system.id',
      kind: 'system.state',
      target_id: 'system.id',
      reporter_id: 'user.id',
      reason: 'user.content.private',
      status: 'system.state',
      outcome: 'system.state',
      created_at: 'system.time',
      closed_at: 'system.time',
    },
    erasure: { anonymise: { reporter_id: null } },
    retention: [
      {
        after: 'P1Y',
        from: 'closed_at',
        action: 'delete',
        where: { status: 'closed' },
        reason: 'A closed report is kept a year, to see repeated abuse, then deleted.',
      },
    ],
  },
  forum_sanctions: {
    subjects: [{ column: 'member_id', role: 'member' }],
    purpose: 'community',
    source: 'staff',
    description:
      'Warnings and suspensions moderators gave you, with their reason. Kept two years, deleted with your account.',
    columns: {
      id: 'system.id',
      member_id: 'user.id',
      kind: 'system.state',
      reason: 'user.content.private',
      created_at: 'system.time',
      ends_at: 'system.time',
      lifted_at: 'system.time',
    },
    erasure: 'delete',
    retention: [
      {
        after: 'P2Y',
        from: 'created_at',
        action: 'delete',
        reason: 'Kept two years so that repeated abuse is seen, then deleted.',
      },
    ],
  },
  // The search index: thread titles and post text, never names. SQLite keeps it in an FTS5
  // table and its shadow tables, PostgreSQL in a table of tsvectors.
  forum_search: { derived: { from: 'forum_posts' } },
  ...Object.fromEntries(
    SQLITE_FTS_SHADOWS.map((suffix) => [
      `forum_search_${suffix}`,
      { derived: { from: 'forum_posts' } },
    ]),
  ),
};
