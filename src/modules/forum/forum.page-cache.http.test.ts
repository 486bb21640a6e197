import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp } from '../../../test/helpers/app.js';
import { describeEachDialect } from '../../../test/helpers/dialects.js';
import { loginAs, makeMember, type TestMember } from '../../../test/helpers/members.js';
import { collectOwners } from '../../app.js';
import { eraseSubject } from '../../privacy/erasure/erasure.engine.js';
import { createPrivacyRegistry } from '../../privacy/registry.js';
import { hidePost, restorePost } from './forum.moderation.js';
import { RenderedPageCache } from './forum.page-cache.js';
import { FORMER_MEMBER } from './forum.privacy.js';
import {
  createCategory,
  createReply,
  createThread,
  editPost,
  setLike,
  updateCategory,
} from './forum.service.js';

/** The page's main content: what the kept rendering holds (the nonce and tokens around vary). */
function mainOf(html: string): string {
  const match = /<main id="main"[^>]*>([\s\S]*)<\/main>/.exec(html);
  if (!match?.[1]) throw new Error('the page has no main element');
  return match[1];
}

describe('RenderedPageCache', () => {
  it('serves a page only for the stamp it was rendered under', () => {
    const cache = new RenderedPageCache(1024);
    cache.set('t:1', 'r1', '<p>first</p>');
    expect(cache.get('t:1', 'r1')).toBe('<p>first</p>');
    expect(cache.get('t:1', 'r2')).toBeUndefined();
    // A page rendered under an older stamp is dropped, not kept beside the new one.
    expect(cache.get('t:1', 'r1')).toBeUndefined();
    expect(cache.size).toBe(0);
    expect(cache.bytes).toBe(0);
  });

  it('keeps within its byte budget, dropping the least recently used page first', () => {
    const page = 'x'.repeat(90);
    const cache = new RenderedPageCache(300);
    cache.set('a', 's', page);
    cache.set('b', 's', page);
    cache.set('c', 's', page);
    expect(cache.get('a', 's')).toBe(page);
    cache.set('d', 's', page);
    expect(cache.get('b', 's')).toBeUndefined();
    expect(cache.get('a', 's')).toBe(page);
    expect(cache.get('c', 's')).toBe(page);
    expect(cache.bytes).toBeLessThanOrEqual(300);
    // Counted in UTF-8 bytes: a page of two-byte characters takes twice the room.
    const small = new RenderedPageCache(100);
    small.set('e', 's', 'é'.repeat(60));
    expect(small.size).toBe(0);
    // A budget of 0 keeps nothing (FORUM_PAGE_CACHE_MB=0).
    const off = new RenderedPageCache(0);
    off.set('f', 's', '<p></p>');
    expect(off.get('f', 's')).toBeUndefined();
  });
});

describeEachDialect('forum: thread pages kept for visitors', (current) => {
  let app: FastifyInstance;
  let staff: TestMember;
  let categoryId: string;

  beforeAll(async () => {
    app = await buildTestApp(current());
    staff = await makeMember(app.db, { roles: ['moderator'] });
    categoryId = (await createCategory(app.db, staff.id, { name: 'Weaning', description: '' })).id;
  });
  afterAll(async () => {
    await app?.close();
  });

  async function visitorReads(threadId: string): Promise<string> {
    const response = await app.inject({ url: `/forum/threads/${threadId}` });
    expect(response.statusCode).toBe(200);
    return mainOf(response.body);
  }

  it('a visitor sees each change at once: replies, edits, likes, hiding, a renamed category', async () => {
    const author = await makeMember(app.db);
    const reader = await makeMember(app.db);
    const thread = await createThread(
      app.db,
      author.id,
      { categoryId, title: 'First foods', body: 'carrot sticks first' },
      { ip: null },
    );
    const first = await visitorReads(thread.threadId);
    expect(first).toContain('carrot sticks first');
    // Read again from what was kept: the same content, in a page with its own nonce.
    const again = await app.inject({ url: `/forum/threads/${thread.threadId}` });
    expect(mainOf(again.body)).toBe(first);

    const reply = await createReply(
      app.db,
      reader.id,
      thread.threadId,
      { body: 'we began with porridge' },
      { ip: null },
    );
    expect(await visitorReads(thread.threadId)).toContain('we began with porridge');

    await editPost(app.db, { id: author.id, isModerator: false }, thread.postId, 'banana first');
    const edited = await visitorReads(thread.threadId);
    expect(edited).toContain('banana first');
    expect(edited).not.toContain('carrot sticks first');

    expect(edited).not.toContain('1 like');
    await setLike(app.db, author.id, reply.postId, true);
    expect(await visitorReads(thread.threadId)).toContain('1 like');
    await setLike(app.db, author.id, reply.postId, false);
    expect(await visitorReads(thread.threadId)).not.toContain('1 like');

    await hidePost(app.db, reply.postId, staff.id);
    expect(await visitorReads(thread.threadId)).not.toContain('we began with porridge');
    await restorePost(app.db, reply.postId, staff.id);
    expect(await visitorReads(thread.threadId)).toContain('we began with porridge');

    await updateCategory(app.db, staff.id, categoryId, {
      name: 'Weaning and first foods',
      description: '',
    });
    expect(await visitorReads(thread.threadId)).toContain('Weaning and first foods');
  });

  it('P42 an erasure made by another process (the worker) shows at once, in quotes on other threads too', async () => {
    const author = await makeMember(app.db);
    const quoter = await makeMember(app.db);
    const own = await createThread(
      app.db,
      author.id,
      { categoryId, title: 'Teething', body: 'frozen flannels helped' },
      { ip: null },
    );
    const other = await createThread(
      app.db,
      quoter.id,
      { categoryId, title: 'Sore gums', body: 'any tips?' },
      { ip: null },
    );
    await createReply(
      app.db,
      quoter.id,
      other.threadId,
      { body: 'see this', quotedPostId: own.postId },
      { ip: null },
    );
    expect(await visitorReads(own.threadId)).toContain(author.username);
    expect(await visitorReads(other.threadId)).toContain(author.username);

    const worker = current().openAnother();
    const outcome = await eraseSubject(
      worker.db,
      createPrivacyRegistry(collectOwners()),
      author.id,
    );
    expect(outcome.status).toBe('completed');

    for (const threadId of [own.threadId, other.threadId]) {
      const page = await visitorReads(threadId);
      expect(page).not.toContain(author.username);
      expect(page).toContain(FORMER_MEMBER);
    }
  });

  it('members are never served a kept page: their own likes and links show', async () => {
    const author = await makeMember(app.db);
    const thread = await createThread(
      app.db,
      author.id,
      { categoryId, title: 'Spoons', body: 'soft spoons' },
      { ip: null },
    );
    expect(await visitorReads(thread.threadId)).toContain('/login?next=');
    const session = await loginAs(app, author);
    const response = await app.inject({
      url: `/forum/threads/${thread.threadId}`,
      headers: session.headers,
    });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain(`/forum/threads/${thread.threadId}/reply`);
    expect(response.body).not.toContain('/login?next=');
    expect(response.headers['cache-control']).toBe('no-store');
  });
});
