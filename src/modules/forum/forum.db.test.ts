import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { collectOwners } from '../../app.js';
import { tablesOf, type Database } from '../../platform/db/database.js';
import { anonymiseContributions } from '../../privacy/anonymise/anonymise.engine.js';
import type { AuditTables } from '../../privacy/audit/audit.tables.js';
import { eraseSubject } from '../../privacy/erasure/erasure.engine.js';
import { createPrivacyRegistry, type PrivacyRegistry } from '../../privacy/registry.js';
import { runRetention } from '../../privacy/retention/retention.engine.js';
import { describeEachDialect } from '../../../test/helpers/dialects.js';
import { makeMember, type TestMember } from '../../../test/helpers/members.js';
import type { AccountsTables } from '../accounts/index.js';
import {
  hidePost,
  listQueue,
  resolveReports,
  suspendMember,
  warnMember,
} from './forum.moderation.js';
import { FORMER_MEMBER } from './forum.privacy.js';
import { fileReport, isSuspended } from './forum.reports.js';
import {
  createCategory,
  createReply,
  createThread,
  editPost,
  listCategories,
  listRevisions,
  moveCategory,
  POSTS_PER_PAGE,
  readThreadPage,
  searchForum,
  setLike,
  updateCategory,
} from './forum.service.js';
import { seedDemoForum } from './forum.seed.js';
import type { ForumTables } from './forum.tables.js';

const MINUTE = 60 * 1000;

describeEachDialect('forum', (current) => {
  let db: Database;
  let registry: PrivacyRegistry;
  let staff: TestMember;
  let categoryId: string;

  const forum = () => tablesOf<ForumTables>(db);
  const auditActions = async (actorId: string) =>
    (
      await tablesOf<AuditTables>(db)
        .selectFrom('audit_details as d')
        .innerJoin('audit_chain as c', 'c.seq', 'd.seq')
        .select('c.action')
        .where('d.actor_id', '=', actorId)
        .execute()
    ).map((row) => row.action);

  beforeAll(async () => {
    db = current().db;
    registry = createPrivacyRegistry(collectOwners());
    staff = await makeMember(db, { roles: ['moderator'] });
    categoryId = (await createCategory(db, staff.id, { name: 'Babies', description: 'Sleep' })).id;
  });

  describe('categories', () => {
    it('staff create, rename, describe and reorder categories, each act audited', async () => {
      const second = await createCategory(db, staff.id, { name: 'Toddlers', description: '' });
      await updateCategory(db, staff.id, second.id, {
        name: 'Toddlers and pre-school',
        description: 'Ages 1 to 4',
      });
      await moveCategory(db, staff.id, second.id, 'up');
      const names = (await listCategories(db)).map((category) => category.name);
      expect(names.indexOf('Toddlers and pre-school')).toBeLessThan(names.indexOf('Babies'));
      await expect(
        createCategory(db, staff.id, { name: '   ', description: '' }),
      ).rejects.toMatchObject({ code: 'validation_failed', fields: { name: 'Enter a name.' } });
      expect(await auditActions(staff.id)).toEqual(
        expect.arrayContaining([
          'forum.category-created',
          'forum.category-updated',
          'forum.category-moved',
        ]),
      );
    });
  });

  describe('threads, replies, quotes and names', () => {
    it('P37 a post records the name it was written under: the username, then the anonymous name', async () => {
      const member = await makeMember(db, { anonymousName: 'TiredOwl42' });
      const thread = await createThread(
        db,
        member.id,
        { categoryId, title: 'Night feeds', body: 'How do you **cope**?' },
        { ip: '203.0.113.9' },
      );
      await tablesOf<AccountsTables>(db)
        .updateTable('accounts_users')
        .set({ use_anonymous_name: 1 })
        .where('id', '=', member.id)
        .execute();
      await createReply(db, member.id, thread.threadId, { body: 'Me again' }, { ip: null });
      const page = await readThreadPage(db, thread.threadId, 1, null);
      expect(page?.posts.map((post) => post.authorName)).toEqual([member.username, 'TiredOwl42']);
      expect(page?.thread.author_name).toBe(member.username);
      // The first post keeps the username it was written under: switching never rewrites it.
      expect(page?.posts[0]?.html).toBe('<p>How do you <strong>cope</strong>?</p>');
    });

    it('a quote shows the quoted post’s current recorded name and an excerpt, read in one page query', async () => {
      const alice = await makeMember(db);
      const bob = await makeMember(db);
      const thread = await createThread(
        db,
        alice.id,
        { categoryId, title: 'Weaning', body: 'We started with *carrots* at six months.' },
        { ip: null },
      );
      const reply = await createReply(
        db,
        bob.id,
        thread.threadId,
        { body: 'Same here', quotedPostId: thread.postId },
        { ip: null },
      );
      const page = await readThreadPage(db, thread.threadId, 1, null);
      const quoting = page?.posts.find((post) => post.id === reply.postId);
      expect(quoting?.quote).toMatchObject({
        postId: thread.postId,
        authorName: alice.username,
        excerpt: 'We started with carrots at six months.',
        hidden: false,
      });
      await expect(
        createReply(
          db,
          bob.id,
          thread.threadId,
          { body: 'x', quotedPostId: 'no-such-post' },
          { ip: null },
        ),
      ).rejects.toMatchObject({ code: 'validation_failed' });
    });

    it('pages hold 20 posts in order, and a reply goes to the end', async () => {
      const member = await makeMember(db);
      const thread = await createThread(
        db,
        member.id,
        { categoryId, title: 'Long one', body: 'post 1' },
        { ip: null },
      );
      for (let index = 2; index <= POSTS_PER_PAGE + 5; index += 1) {
        await createReply(db, member.id, thread.threadId, { body: `post ${index}` }, { ip: null });
      }
      const first = await readThreadPage(db, thread.threadId, 1, null);
      const second = await readThreadPage(db, thread.threadId, 2, null);
      expect(first?.pageCount).toBe(2);
      expect(first?.posts).toHaveLength(POSTS_PER_PAGE);
      expect(second?.posts.map((post) => post.position)).toEqual([21, 22, 23, 24, 25]);
      expect(second?.posts.at(-1)?.html).toBe('<p>post 25</p>');
      // A page beyond the end shows the last page.
      expect((await readThreadPage(db, thread.threadId, 99, null))?.page).toBe(2);
    });

    it('refuses empty or oversized posts and unknown categories with field errors', async () => {
      const member = await makeMember(db);
      await expect(
        createThread(db, member.id, { categoryId, title: '', body: '  ' }, { ip: null }),
      ).rejects.toMatchObject({
        fields: { title: expect.any(String) as string, body: expect.any(String) as string },
      });
      await expect(
        createThread(db, member.id, { categoryId: 'nope', title: 'x', body: 'y' }, { ip: null }),
      ).rejects.toMatchObject({ fields: { categoryId: expect.any(String) as string } });
    });
  });

  describe('editing and likes', () => {
    it('the author edits within 30 minutes, not after; a moderator at any time; the history is kept for moderators', async () => {
      const author = await makeMember(db);
      const written = new Date(Date.now() - 40 * MINUTE);
      const thread = await createThread(
        db,
        author.id,
        { categoryId, title: 'Edits', body: 'first words' },
        { ip: null, now: written },
      );
      const actor = { id: author.id, isModerator: false };
      await editPost(
        db,
        actor,
        thread.postId,
        'second words',
        new Date(written.getTime() + 29 * MINUTE),
      );
      await expect(
        editPost(db, actor, thread.postId, 'late words', new Date(written.getTime() + 31 * MINUTE)),
      ).rejects.toMatchObject({ code: 'forbidden' });
      const other = await makeMember(db);
      await expect(
        editPost(db, { id: other.id, isModerator: false }, thread.postId, 'not mine'),
      ).rejects.toMatchObject({ code: 'forbidden' });
      await editPost(db, { id: staff.id, isModerator: true }, thread.postId, 'moderated words');

      const page = await readThreadPage(db, thread.threadId, 1, null);
      expect(page?.posts[0]?.html).toBe('<p>moderated words</p>');
      expect(page?.posts[0]?.editedAt).not.toBeNull();
      const history = await listRevisions(db, staff.id, thread.postId);
      expect(history.map((revision) => [revision.body, revision.editedByStaff])).toEqual([
        ['second words', true],
        ['first words', false],
      ]);
      expect(await auditActions(staff.id)).toEqual(
        expect.arrayContaining(['forum.post-edited-by-staff', 'forum.revisions-viewed']),
      );
    });

    it('one like per member per post, toggled', async () => {
      const author = await makeMember(db);
      const fan = await makeMember(db);
      const thread = await createThread(
        db,
        author.id,
        { categoryId, title: 'Likes', body: 'like me' },
        { ip: null },
      );
      expect(await setLike(db, fan.id, thread.postId, true)).toEqual({ liked: true, likes: 1 });
      expect(await setLike(db, fan.id, thread.postId, true)).toEqual({ liked: true, likes: 1 });
      expect(await setLike(db, author.id, thread.postId, 'toggle')).toEqual({
        liked: true,
        likes: 2,
      });
      expect(await setLike(db, fan.id, thread.postId, 'toggle')).toEqual({
        liked: false,
        likes: 1,
      });
      const page = await readThreadPage(db, thread.threadId, 1, {
        id: author.id,
        isModerator: false,
      });
      expect(page?.posts[0]).toMatchObject({ likes: 1, likedByViewer: true });
    });
  });

  describe('search', () => {
    it('finds threads by title and posts by text, best first, paginated, never hidden ones', async () => {
      const member = await makeMember(db);
      const titled = await createThread(
        db,
        member.id,
        { categoryId, title: 'Zwieback teething biscuits', body: 'Any recipes?' },
        { ip: null },
      );
      const reply = await createReply(
        db,
        member.id,
        titled.threadId,
        { body: 'We froze zwieback overnight, then zwieback again in the morning.' },
        { ip: null },
      );
      const hidden = await createReply(
        db,
        member.id,
        titled.threadId,
        { body: 'Spam about zwieback' },
        { ip: null },
      );
      await hidePost(db, hidden.postId, staff.id);

      const found = await searchForum(db, 'zwieback', { limit: 10, offset: 0 });
      expect(found.items.map((hit) => hit.postId).sort()).toEqual(
        [titled.postId, reply.postId].sort(),
      );
      expect(found.items[0]?.threadTitle).toBe('Zwieback teething biscuits');
      const firstPage = await searchForum(db, 'zwieback', { limit: 1, offset: 0 });
      const secondPage = await searchForum(db, 'zwieback', { limit: 1, offset: 1 });
      expect(firstPage.nextOffset).toBe(1);
      expect(secondPage.nextOffset).toBeUndefined();
      expect(new Set([...firstPage.items, ...secondPage.items].map((hit) => hit.postId)).size).toBe(
        2,
      );
      // Stemmed on both engines; free text with search syntax is taken as words.
      expect((await searchForum(db, 'biscuit', { limit: 10, offset: 0 })).items).toHaveLength(1);
      expect(
        (await searchForum(db, 'zwieback" (biscuits*', { limit: 10, offset: 0 })).items.length,
      ).toBeGreaterThan(0);
      expect((await searchForum(db, '  ', { limit: 10, offset: 0 })).items).toEqual([]);
    });

    it('an edit updates the index', async () => {
      const member = await makeMember(db);
      const thread = await createThread(
        db,
        member.id,
        { categoryId, title: 'Prams', body: 'quokkalicious pram' },
        { ip: null },
      );
      await editPost(db, { id: member.id, isModerator: false }, thread.postId, 'plain pram');
      expect((await searchForum(db, 'quokkalicious', { limit: 5, offset: 0 })).items).toEqual([]);
      expect((await searchForum(db, 'prams', { limit: 5, offset: 0 })).items).toHaveLength(1);
    });
  });

  describe('P42 anonymised posts', () => {
    async function writeQuotedPost(author: TestMember) {
      const quoter = await makeMember(db);
      const thread = await createThread(
        db,
        author.id,
        { categoryId, title: 'Erasure story', body: 'my own story' },
        { ip: '198.51.100.7' },
      );
      const quote = await createReply(
        db,
        quoter.id,
        thread.threadId,
        { body: 'quoting you', quotedPostId: thread.postId },
        { ip: null },
      );
      return { thread, quote };
    }

    it('P42 erasing the account anonymises posts and threads: no author link, no IP, "former member", quotes too, search keeps no name', async () => {
      const author = await makeMember(db);
      const { thread, quote } = await writeQuotedPost(author);
      await setLike(db, author.id, quote.postId, true);

      const outcome = await eraseSubject(db, registry, author.id);
      expect(outcome.status).toBe('completed');

      const post = await forum()
        .selectFrom('forum_posts')
        .selectAll()
        .where('id', '=', thread.postId)
        .executeTakeFirstOrThrow();
      expect(post).toMatchObject({
        author_id: null,
        author_name: FORMER_MEMBER,
        ip_address: null,
        body: 'my own story',
      });
      const page = await readThreadPage(db, thread.threadId, 1, null);
      expect(page?.thread.author_name).toBe(FORMER_MEMBER);
      expect(page?.thread.author_id).toBeNull();
      expect(page?.posts[1]?.quote?.authorName).toBe(FORMER_MEMBER);
      expect(page?.posts[1]?.likes).toBe(0);
      // The search index is a derived copy of titles and text: it never held the name.
      const indexed = await sql<{ document: string }>`
        select ${sql.raw(current().dialect === 'postgres' ? 'document::text' : "title || ' ' || body")} as document
        from forum_search where post_id = ${thread.postId}`.execute(db);
      expect(indexed.rows).toHaveLength(1);
      expect(indexed.rows[0]?.document.toLowerCase()).not.toContain(author.username.toLowerCase());
      expect((await searchForum(db, 'story', { limit: 50, offset: 0 })).items).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ postId: thread.postId, authorName: FORMER_MEMBER }),
        ]),
      );
    });

    it('P42 anonymise-posts keeps the account and anonymises its posts the same way', async () => {
      const author = await makeMember(db);
      const { thread } = await writeQuotedPost(author);
      const outcome = await anonymiseContributions(db, registry, author.id, { actorId: author.id });
      expect(outcome.status).toBe('completed');
      const page = await readThreadPage(db, thread.threadId, 1, null);
      expect(page?.posts[0]).toMatchObject({ authorName: FORMER_MEMBER, authorId: null });
      expect(page?.posts[1]?.quote?.authorName).toBe(FORMER_MEMBER);
      const account = await tablesOf<AccountsTables>(db)
        .selectFrom('accounts_users')
        .select('status')
        .where('id', '=', author.id)
        .executeTakeFirst();
      expect(account?.status).toBe('active');
      const ip = await forum()
        .selectFrom('forum_posts')
        .select('ip_address')
        .where('id', '=', thread.postId)
        .executeTakeFirst();
      expect(ip?.ip_address).toBeNull();
    });

    it('P42 the IP address of a post is cleared after 90 days: fresh, at the edge and expired', async () => {
      const author = await makeMember(db);
      const asOf = new Date('2031-06-01T12:00:00.000Z');
      const day = 24 * 60 * MINUTE;
      const ages = { fresh: 10 * day, edge: 90 * day - MINUTE, expired: 90 * day + MINUTE };
      const ids: Record<string, string> = {};
      for (const [name, age] of Object.entries(ages)) {
        const created = await createThread(
          db,
          author.id,
          { categoryId, title: `IP ${name}`, body: name },
          { ip: '192.0.2.1', now: new Date(asOf.getTime() - age) },
        );
        ids[name] = created.postId;
      }
      await runRetention(db, registry, { asOf, dryRun: false });
      const rows = await forum()
        .selectFrom('forum_posts')
        .select(['id', 'ip_address', 'body'])
        .where('id', 'in', Object.values(ids))
        .execute();
      const byName = (name: string) => rows.find((row) => row.id === ids[name]);
      expect(byName('fresh')?.ip_address).toBe('192.0.2.1');
      expect(byName('edge')?.ip_address).toBe('192.0.2.1');
      expect(byName('expired')?.ip_address).toBeNull();
      expect(byName('expired')?.body).toBe('expired');
    });
  });

  describe('moderation', () => {
    it('reports on a post feed the queue; a moderator hides it, the reports close, all audited', async () => {
      const author = await makeMember(db);
      const reporter = await makeMember(db);
      const other = await makeMember(db);
      const thread = await createThread(
        db,
        author.id,
        { categoryId, title: 'Reported', body: 'opening' },
        { ip: null },
      );
      const bad = await createReply(
        db,
        author.id,
        thread.threadId,
        { body: 'rude words' },
        { ip: null },
      );
      const first = await fileReport(db, {
        kind: 'post',
        targetId: bad.postId,
        reporterId: reporter.id,
        reason: 'Rude',
      });
      // The same member reporting again while open is the same report.
      expect(
        await fileReport(db, {
          kind: 'post',
          targetId: bad.postId,
          reporterId: reporter.id,
          reason: 'Still rude',
        }),
      ).toEqual(first);
      await fileReport(db, {
        kind: 'post',
        targetId: bad.postId,
        reporterId: other.id,
        reason: 'Unkind',
      });
      await expect(
        fileReport(db, { kind: 'post', targetId: bad.postId, reporterId: other.id, reason: ' ' }),
      ).rejects.toMatchObject({ fields: { reason: expect.any(String) as string } });
      await expect(
        fileReport(db, { kind: 'nonsense', targetId: 'x', reporterId: other.id, reason: 'x' }),
      ).rejects.toMatchObject({ code: 'validation_failed' });

      const queue = await listQueue(db, staff.id);
      const item = queue.find((entry) => entry.targetId === bad.postId);
      expect(item).toMatchObject({
        kind: 'post',
        canHide: true,
        target: { authorId: author.id, authorName: author.username, excerpt: 'rude words' },
      });
      expect(item?.reports.map((report) => report.reason)).toEqual(['Rude', 'Unkind']);

      await resolveReports(db, staff.id, 'post', bad.postId, 'hide');
      const page = await readThreadPage(db, thread.threadId, 1, null);
      expect(page?.posts[1]).toMatchObject({ hidden: true, html: '' });
      const asModerator = await readThreadPage(db, thread.threadId, 1, {
        id: staff.id,
        isModerator: true,
      });
      expect(asModerator?.posts[1]?.html).toBe('<p>rude words</p>');
      expect((await listQueue(db, staff.id)).some((entry) => entry.targetId === bad.postId)).toBe(
        false,
      );
      const reports = await forum()
        .selectFrom('forum_reports')
        .select(['status', 'outcome'])
        .where('target_id', '=', bad.postId)
        .execute();
      expect(reports).toEqual([
        { status: 'closed', outcome: 'hidden' },
        { status: 'closed', outcome: 'hidden' },
      ]);
      expect(await auditActions(staff.id)).toEqual(
        expect.arrayContaining([
          'forum.reported-post-viewed',
          'forum.post-hidden',
          'forum.reports-closed',
        ]),
      );
      // The chain itself names people only by opaque references.
      const chain = await sql<{ actor_ref: string | null }>`
        select actor_ref from audit_chain where action = 'forum.post-hidden'`.execute(db);
      expect(chain.rows.length).toBeGreaterThan(0);
      for (const row of chain.rows) expect(row.actor_ref).not.toBe(staff.id);
    });

    it('hiding the opening post hides the thread; restoring brings it back', async () => {
      const author = await makeMember(db);
      const thread = await createThread(
        db,
        author.id,
        { categoryId, title: 'Spam thread', body: 'buy now' },
        { ip: null },
      );
      await resolveReports(db, staff.id, 'post', thread.postId, 'hide');
      expect(await readThreadPage(db, thread.threadId, 1, null)).toBeUndefined();
      await resolveReports(db, staff.id, 'post', thread.postId, 'restore');
      expect((await readThreadPage(db, thread.threadId, 1, null))?.posts[0]?.hidden).toBe(false);
    });

    it('a suspended member cannot post until the end date; warnings and suspensions are mailed and audited', async () => {
      const member = await makeMember(db);
      await warnMember(db, staff.id, member.id, 'Please be kind.');
      const now = new Date();
      const { endsAt } = await suspendMember(
        db,
        staff.id,
        member.id,
        { days: 3, reason: 'Abuse' },
        now,
      );
      expect(await isSuspended(db, member.id)).toBe(true);
      expect(await isSuspended(db, member.id, new Date(Date.parse(endsAt) + MINUTE))).toBe(false);
      await expect(
        createThread(db, member.id, { categoryId, title: 'x', body: 'y' }, { ip: null }),
      ).rejects.toMatchObject({ code: 'forbidden' });
      // After the end date they may post again.
      await createThread(
        db,
        member.id,
        { categoryId, title: 'Back', body: 'hello again' },
        { ip: null, now: new Date(Date.parse(endsAt) + MINUTE) },
      );
      await expect(
        suspendMember(db, staff.id, member.id, { days: 0, reason: 'x' }),
      ).rejects.toMatchObject({ fields: { days: expect.any(String) as string } });
      const mails = await db
        .selectFrom('outbox')
        .select('category')
        .where('recipient_id', '=', member.id)
        .execute();
      expect(mails.map((mail) => mail.category).sort()).toEqual([
        'forum.suspension',
        'forum.warning',
      ]);
      expect(await auditActions(staff.id)).toEqual(
        expect.arrayContaining(['forum.member-warned', 'forum.member-suspended']),
      );
    });
  });

  describe('demo data', () => {
    it('seed --demo fills a lively forum once: 5 categories, dozens of threads, replies, quotes and likes', async () => {
      const lines: string[] = [];
      await seedDemoForum(db, (line) => lines.push(line));
      const count = async (table: keyof ForumTables, where?: [string, string]) => {
        let query = db.selectFrom(table).select((eb) => eb.fn.countAll().as('count'));
        if (where) query = query.where(where[0], 'like', where[1]);
        return Number((await query.executeTakeFirst())?.count ?? 0);
      };
      expect(await count('forum_categories', ['id', 'demo-%'])).toBe(5);
      const threads = await db
        .selectFrom('forum_threads')
        .select((eb) => eb.fn.countAll().as('count'))
        .where('category_id', 'like', 'demo-%')
        .executeTakeFirst();
      expect(Number(threads?.count)).toBeGreaterThanOrEqual(30);
      expect(await count('forum_posts')).toBeGreaterThan(200);
      expect(
        Number(
          (
            await db
              .selectFrom('forum_posts')
              .select((eb) => eb.fn.countAll().as('count'))
              .where('quoted_post_id', 'is not', null)
              .executeTakeFirst()
          )?.count,
        ),
      ).toBeGreaterThan(10);
      expect(await count('forum_likes')).toBeGreaterThan(50);
      expect(lines.join('\n')).toMatch(/Demo forum: 5 categories/);
      await seedDemoForum(db, (line) => lines.push(line));
      expect(lines.at(-1)).toBe('The demo forum already exists.');
    });
  });
});
