import type { Kysely } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { collectOwners } from '../../app.js';
import type { DataMap } from '../../platform/datamap.js';
import { tablesOf, type Database } from '../../platform/db/database.js';
import { newId } from '../../platform/db/ids.js';
import { describeEachDialect } from '../../../test/helpers/dialects.js';
import type { AuditTables } from '../audit/audit.tables.js';
import { placeHold } from '../holds/holds.service.js';
import { createPrivacyRegistry, type PrivacyRegistry } from '../registry.js';
import { anonymisableTables, anonymiseContributions } from './anonymise.engine.js';

/**
 * A fixture owner declared here alone: forum posts anonymised as the forum would declare them,
 * an edit history reached only `via` its post, and mentions that are deleted on erasure (and
 * so must not be touched by anonymising).
 */
const forumDataMap: DataMap = {
  anon_posts: {
    subjects: [{ column: 'author_id', role: 'author' }],
    purpose: 'community',
    source: 'member',
    columns: {
      id: 'system.id',
      author_id: 'user.id',
      author_name: 'user.name.display',
      body: 'user.content.public',
    },
    erasure: { anonymise: { author_id: null, author_name: 'former member' } },
    retention: [{ keep: 'while-published' }],
  },
  anon_post_edits: {
    subjects: [],
    via: { table: 'anon_posts', column: 'post_id' },
    purpose: 'community',
    source: 'member',
    columns: { id: 'system.id', post_id: 'system.id', editor_name: 'user.name.display' },
    erasure: { anonymise: { editor_name: 'former member' } },
    retention: [{ keep: 'while-published' }],
  },
  anon_mentions: {
    subjects: [
      { column: 'author_id', role: 'author' },
      { column: 'mentioned_id', role: 'mentioned' },
    ],
    purpose: 'community',
    source: 'member',
    columns: { id: 'system.id', author_id: 'user.id', mentioned_id: 'user.id' },
    erasure: 'delete',
    retention: [{ keep: 'while-published' }],
  },
};

interface ForumTables {
  anon_posts: { id: string; author_id: string | null; author_name: string; body: string };
  anon_post_edits: { id: string; post_id: string; editor_name: string };
  anon_mentions: { id: string; author_id: string | null; mentioned_id: string | null };
}

async function createForumTables(db: Database): Promise<void> {
  const schema = (db as Kysely<unknown>).schema;
  await schema
    .createTable('anon_posts')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('author_id', 'text')
    .addColumn('author_name', 'text', (column) => column.notNull())
    .addColumn('body', 'text', (column) => column.notNull())
    .execute();
  await schema
    .createTable('anon_post_edits')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('post_id', 'text', (column) => column.notNull().references('anon_posts.id'))
    .addColumn('editor_name', 'text', (column) => column.notNull())
    .execute();
  await schema
    .createTable('anon_mentions')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('author_id', 'text')
    .addColumn('mentioned_id', 'text')
    .execute();
}

describe('anonymisable tables', () => {
  it('lists only anonymise declarations, via children before their parents', () => {
    const registry = createPrivacyRegistry([{ owner: 'forum-fixture', tables: forumDataMap }]);
    expect(anonymisableTables(registry).map((table) => table.name)).toEqual([
      'anon_post_edits',
      'anon_posts',
    ]);
  });
});

describeEachDialect('anonymise engine', (current) => {
  let registry: PrivacyRegistry;
  const forum = () => tablesOf<ForumTables>(current().db);
  const audit = () => tablesOf<AuditTables>(current().db);

  beforeAll(async () => {
    await createForumTables(current().db);
    registry = createPrivacyRegistry([
      ...collectOwners(),
      { owner: 'forum-fixture', tables: forumDataMap },
    ]);
  });

  async function writePost(authorId: string, name: string, edits = 0) {
    const id = newId();
    await forum()
      .insertInto('anon_posts')
      .values({ id, author_id: authorId, author_name: name, body: `a post by ${name}` })
      .execute();
    for (let index = 0; index < edits; index += 1) {
      await forum()
        .insertInto('anon_post_edits')
        .values({ id: newId(), post_id: id, editor_name: name })
        .execute();
    }
    return id;
  }

  it('P42 P54 anonymises the member’s posts by the owner’s declaration and nothing else', async () => {
    const member = newId();
    const other = newId();
    const mine = [await writePost(member, 'sam', 2), await writePost(member, 'sam')];
    const theirs = await writePost(other, 'kit', 1);
    const mentionId = newId();
    await forum()
      .insertInto('anon_mentions')
      .values({ id: mentionId, author_id: member, mentioned_id: other })
      .execute();

    const outcome = await anonymiseContributions(current().db, registry, member, {
      actorId: member,
    });

    expect(outcome.status).toBe('completed');
    expect(outcome.total).toBe(4);
    expect(outcome.tables.filter((table) => table.owner === 'forum-fixture')).toEqual([
      { owner: 'forum-fixture', table: 'anon_post_edits', count: 2 },
      { owner: 'forum-fixture', table: 'anon_posts', count: 2 },
    ]);
    const posts = await forum().selectFrom('anon_posts').selectAll().orderBy('id').execute();
    for (const id of mine) {
      expect(posts.find((post) => post.id === id)).toMatchObject({
        author_id: null,
        author_name: 'former member',
        body: 'a post by sam',
      });
    }
    expect(posts.find((post) => post.id === theirs)).toMatchObject({
      author_id: other,
      author_name: 'kit',
    });
    const edits = await forum().selectFrom('anon_post_edits').selectAll().execute();
    expect(edits.filter((edit) => edit.editor_name === 'former member')).toHaveLength(2);
    expect(edits.filter((edit) => edit.editor_name === 'kit')).toHaveLength(1);
    // Declared `delete`: that is erasure's business, not anonymising's.
    expect(
      await forum()
        .selectFrom('anon_mentions')
        .selectAll()
        .where('id', '=', mentionId)
        .executeTakeFirst(),
    ).toMatchObject({ author_id: member, mentioned_id: other });

    const entry = await audit()
      .selectFrom('audit_details')
      .innerJoin('audit_chain', 'audit_chain.seq', 'audit_details.seq')
      .select(['audit_details.actor_id', 'audit_details.detail'])
      .where('audit_details.subject_id', '=', member)
      .where('audit_chain.action', '=', 'contributions.anonymised')
      .executeTakeFirst();
    expect(JSON.parse(entry?.detail ?? '{}')).toMatchObject({ total: 4 });
    expect(entry?.actor_id).toBe(member);
  });

  it('P42 running it again changes nothing', async () => {
    const member = newId();
    await writePost(member, 'robin', 1);
    const first = await anonymiseContributions(current().db, registry, member, {
      actorId: member,
    });
    expect(first.total).toBe(2);
    const second = await anonymiseContributions(current().db, registry, member, {
      actorId: member,
    });
    expect(second).toMatchObject({ status: 'completed', total: 0 });
    expect(second.tables.every((table) => table.count === 0)).toBe(true);
  });

  it('changes nothing while a hold applies to the member', async () => {
    const member = newId();
    const postId = await writePost(member, 'jo', 1);
    await placeHold(current().db, {
      subjectId: member,
      kind: 'legal',
      reason: 'Court order 2026/114 asks us to preserve this account.',
      placedBy: newId(),
    });
    const outcome = await anonymiseContributions(current().db, registry, member, {
      actorId: member,
    });
    expect(outcome).toEqual({ status: 'held', tables: [], total: 0 });
    expect(
      await forum()
        .selectFrom('anon_posts')
        .select(['author_id', 'author_name'])
        .where('id', '=', postId)
        .executeTakeFirst(),
    ).toEqual({ author_id: member, author_name: 'jo' });
  });
});
