import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildTestApp } from '../../../test/helpers/app.js';
import { describeEachDialect } from '../../../test/helpers/dialects.js';
import { loginAs, makeMember, type TestMember } from '../../../test/helpers/members.js';
import { generateTotpSecret } from '../accounts/index.js';
import { createCategory } from './forum.service.js';

function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

describeEachDialect('forum over HTTP', (current) => {
  let app: FastifyInstance;
  let moderator: TestMember;
  let categoryId: string;

  beforeAll(async () => {
    app = await buildTestApp(current());
    moderator = await makeMember(app.db, {
      roles: ['moderator'],
      totpSecret: generateTotpSecret(),
      secretKey: app.secretKey,
    });
    categoryId = (await createCategory(app.db, moderator.id, { name: 'Sleep', description: 'Zzz' }))
      .id;
  });
  afterAll(async () => {
    await app?.close();
  });

  async function bearer(member: TestMember) {
    return (await loginAs(app, member, { kind: 'bearer' })).headers;
  }

  it('the API starts threads, lists them with cursors, replies with quotes, likes, and documents it all in OpenAPI', async () => {
    const alice = await makeMember(app.db);
    const bob = await makeMember(app.db);
    const started = await app.inject({
      method: 'POST',
      url: '/api/v1/forum/threads',
      headers: await bearer(alice),
      payload: { categoryId, title: 'Naps', body: 'How long do *yours* nap?' },
    });
    expect(started.statusCode).toBe(201);
    const { thread, post } = started.json<{
      thread: { id: string; authorName: string };
      post: { id: string; html: string; authorName: string };
    }>();
    expect(thread.authorName).toBe(alice.username);
    expect(post.html).toBe('<p>How long do <em>yours</em> nap?</p>');

    const replied = await app.inject({
      method: 'POST',
      url: `/api/v1/forum/threads/${thread.id}/posts`,
      headers: await bearer(bob),
      payload: { body: 'Two hours', quotedPostId: post.id },
    });
    expect(replied.statusCode).toBe(201);
    expect(replied.json()).toMatchObject({
      position: 2,
      authorName: bob.username,
      quote: { postId: post.id, authorName: alice.username, excerpt: 'How long do yours nap?' },
    });

    const liked = await app.inject({
      method: 'PUT',
      url: `/api/v1/forum/posts/${post.id}/like`,
      headers: await bearer(bob),
    });
    expect(liked.json()).toEqual({ liked: true, likes: 1 });

    const firstPage = await app.inject({ url: `/api/v1/forum/threads/${thread.id}/posts?limit=1` });
    const body = firstPage.json<{ items: { id: string; likes: number }[]; nextCursor: string }>();
    expect(body.items).toEqual([expect.objectContaining({ id: post.id, likes: 1 })]);
    const secondPage = await app.inject({
      url: `/api/v1/forum/threads/${thread.id}/posts?limit=1&cursor=${body.nextCursor}`,
    });
    expect(secondPage.json<{ items: { position: number }[]; nextCursor?: string }>()).toEqual(
      expect.objectContaining({ items: [expect.objectContaining({ position: 2 })] }),
    );
    expect(secondPage.json<{ nextCursor?: string }>().nextCursor).toBeUndefined();

    const threads = await app.inject({
      url: `/api/v1/forum/categories/${categoryId}/threads?limit=5`,
    });
    expect(threads.json<{ items: { id: string }[] }>().items.map((item) => item.id)).toContain(
      thread.id,
    );
    const categories = await app.inject({ url: '/api/v1/forum/categories' });
    expect(categories.json<{ items: { id: string }[] }>().items.map((item) => item.id)).toContain(
      categoryId,
    );

    const openapi = await app.inject({ url: '/api/v1/openapi.json' });
    const paths = Object.keys(openapi.json<{ paths: Record<string, unknown> }>().paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/api/v1/forum/categories',
        '/api/v1/forum/categories/{id}/threads',
        '/api/v1/forum/threads',
        '/api/v1/forum/threads/{id}/posts',
        '/api/v1/forum/posts/{id}',
        '/api/v1/forum/posts/{id}/like',
        '/api/v1/forum/posts/{id}/reports',
        '/api/v1/forum/search',
      ]),
    );
  });

  it('refuses bad input with 4xx and clear messages, never 500', async () => {
    const member = await makeMember(app.db);
    const headers = await bearer(member);
    const noLogin = await app.inject({
      method: 'POST',
      url: '/api/v1/forum/threads',
      payload: { categoryId, title: 'x', body: 'y' },
    });
    expect(noLogin.statusCode).toBe(401);
    const empty = await app.inject({
      method: 'POST',
      url: '/api/v1/forum/threads',
      headers,
      payload: { categoryId, title: ' ', body: '' },
    });
    expect(empty.statusCode).toBe(400);
    expect(empty.json()).toMatchObject({
      error: {
        code: 'validation_failed',
        fields: { title: expect.any(String) as string, body: expect.any(String) as string },
      },
    });
    const unknownThread = await app.inject({
      method: 'POST',
      url: '/api/v1/forum/threads/nope/posts',
      headers,
      payload: { body: 'hello' },
    });
    expect(unknownThread.statusCode).toBe(404);
    const badCursor = await app.inject({
      url: `/api/v1/forum/categories/${categoryId}/threads?cursor=zzz`,
    });
    expect(badCursor.statusCode).toBe(400);
    const extra = await app.inject({
      method: 'POST',
      url: '/api/v1/forum/threads',
      headers,
      payload: { categoryId, title: 'x', body: 'y', authorName: 'someone else' },
    });
    // Unknown properties are dropped by the schema: nobody posts under another name.
    expect(extra.statusCode).toBe(201);
    expect(extra.json<{ thread: { authorName: string } }>().thread.authorName).toBe(
      member.username,
    );
  });

  it('pages: a visitor reads a thread; a member starts one, replies with a quote and reports; errors come back as 422', async () => {
    const member = await makeMember(app.db);
    const session = await loginAs(app, member);
    const headers = { ...session.headers, ...FORM };

    const index = await app.inject({ url: '/forum' });
    expect(index.statusCode).toBe(200);
    expect(index.body).toContain('Sleep');

    const invalid = await app.inject({
      method: 'POST',
      url: '/forum/new',
      headers,
      payload: form({ _csrf: session.csrfToken, categoryId, title: '', body: '' }),
    });
    expect(invalid.statusCode).toBe(422);
    expect(invalid.body).toContain('Give the thread a title.');

    const created = await app.inject({
      method: 'POST',
      url: '/forum/new',
      headers,
      payload: form({
        _csrf: session.csrfToken,
        categoryId,
        title: 'Teething <script>',
        body: 'Help <script>alert(1)</script> **please**',
      }),
    });
    expect(created.statusCode).toBe(303);
    const threadUrl = created.headers.location as string;
    const page = await app.inject({ url: threadUrl });
    expect(page.statusCode).toBe(200);
    expect(page.body).toMatch(/<h1>Teething &lt;script(>|&gt;)<\/h1>/);
    expect(page.body).toContain('<strong>please</strong>');
    expect(page.body).not.toContain('alert(1)');

    const threadId = threadUrl.split('/').pop() as string;
    const first = await app.inject({ url: `/api/v1/forum/threads/${threadId}/posts` });
    const postId = first.json<{ items: { id: string }[] }>().items[0]?.id as string;

    const replyForm = await app.inject({
      url: `/forum/threads/${threadId}/reply?quote=${postId}`,
      headers: session.headers,
    });
    expect(replyForm.statusCode).toBe(200);
    expect(replyForm.body).toContain(`name="quotedPostId" value="${postId}"`);
    const replied = await app.inject({
      method: 'POST',
      url: `/forum/threads/${threadId}/reply`,
      headers,
      payload: form({ _csrf: session.csrfToken, quotedPostId: postId, body: 'Frozen flannel' }),
    });
    expect(replied.statusCode).toBe(303);
    expect(replied.headers.location).toBe(`/forum/threads/${threadId}#post-2`);
    const withQuote = await app.inject({ url: `/forum/threads/${threadId}` });
    expect(withQuote.body).toContain(`${member.username} wrote:</a> Help`);

    const noToken = await app.inject({
      method: 'POST',
      url: `/forum/threads/${threadId}/reply`,
      headers,
      payload: form({ body: 'forged' }),
    });
    expect(noToken.statusCode).toBe(403);

    const reported = await app.inject({
      method: 'POST',
      url: `/forum/posts/${postId}/report`,
      headers,
      payload: form({ _csrf: session.csrfToken, reason: 'Spam link' }),
    });
    expect(reported.statusCode).toBe(303);

    const search = await app.inject({ url: '/forum/search?q=flannel' });
    expect(search.statusCode).toBe(200);
    expect(search.body).toContain('Frozen flannel');
  });

  it('the moderation queue in /admin: moderators only; hiding a reported post hides it from members', async () => {
    const author = await makeMember(app.db);
    const reporter = await makeMember(app.db);
    const created = await app.inject({
      method: 'POST',
      url: '/api/v1/forum/threads',
      headers: await bearer(author),
      payload: { categoryId, title: 'Queue', body: 'awful words' },
    });
    const { thread, post } = created.json<{ thread: { id: string }; post: { id: string } }>();
    const reported = await app.inject({
      method: 'POST',
      url: `/api/v1/forum/posts/${post.id}/reports`,
      headers: await bearer(reporter),
      payload: { reason: 'Offensive' },
    });
    expect(reported.statusCode).toBe(201);

    const memberSession = await loginAs(app, reporter);
    const refused = await app.inject({
      url: '/admin/forum/reports',
      headers: memberSession.headers,
    });
    expect([403, 303]).toContain(refused.statusCode);

    const staffSession = await loginAs(app, moderator);
    const queue = await app.inject({ url: '/admin/forum/reports', headers: staffSession.headers });
    expect(queue.statusCode).toBe(200);
    expect(queue.body).toContain('Offensive');
    expect(queue.body).toContain('awful words');

    const hidden = await app.inject({
      method: 'POST',
      url: '/admin/forum/reports/resolve',
      headers: { ...staffSession.headers, ...FORM },
      payload: form({
        _csrf: staffSession.csrfToken,
        kind: 'post',
        targetId: post.id,
        action: 'hide',
      }),
    });
    expect(hidden.statusCode).toBe(303);
    expect((await app.inject({ url: `/forum/threads/${thread.id}` })).statusCode).toBe(404);
    const asModerator = await app.inject({
      url: `/forum/threads/${thread.id}`,
      headers: staffSession.headers,
    });
    expect(asModerator.statusCode).toBe(200);
    expect(asModerator.body).toContain('Hidden by a moderator');

    const suspended = await app.inject({
      method: 'POST',
      url: `/admin/forum/members/${author.id}`,
      headers: { ...staffSession.headers, ...FORM },
      payload: form({
        _csrf: staffSession.csrfToken,
        kind: 'suspension',
        days: '2',
        reason: 'Abuse',
      }),
    });
    expect(suspended.statusCode).toBe(303);
    const blocked = await app.inject({
      method: 'POST',
      url: '/api/v1/forum/threads',
      headers: await bearer(author),
      payload: { categoryId, title: 'Again', body: 'more' },
    });
    expect(blocked.statusCode).toBe(403);
    expect(blocked.json<{ error: { message: string } }>().error.message).toMatch(/suspended/);

    const categories = await app.inject({
      url: '/admin/forum/categories',
      headers: staffSession.headers,
    });
    expect(categories.statusCode).toBe(200);
    const added = await app.inject({
      method: 'POST',
      url: '/admin/forum/categories',
      headers: { ...staffSession.headers, ...FORM },
      payload: form({ _csrf: staffSession.csrfToken, name: 'Weaning', description: 'First foods' }),
    });
    expect(added.statusCode).toBe(303);
    expect((await app.inject({ url: '/forum' })).body).toContain('Weaning');
  });
});
