import zlib from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildTestApp } from '../../../test/helpers/app.js';
import { describeEachDialect } from '../../../test/helpers/dialects.js';
import type { HearthModule } from '../module.js';
import { loadAssetCatalogue } from './assets.js';
import { validateForm } from './form-input.js';
import { Button, ErrorSummary, Field, Form, valueOf } from './forms.js';

const ContactForm = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 50 }),
  email: Type.String({ pattern: '^[^@\\s]+@[^@\\s]+$' }),
  password: Type.String({ minLength: 8 }),
});

/** A module with a form, the way feature modules will write one (PRG, 422 on errors). */
const formModule: HearthModule = {
  name: 'views-test',
  dataMap: {},
  plugin: (app) => {
    app.get('/forum', (_request, reply) => reply.page('Coffeehouse', <h1>Coffeehouse</h1>));
    app.get('/test/gone', (_request, reply) =>
      reply.code(410).page('Gone', <h1>This listing has ended</h1>),
    );
    app.get('/test/form', (request, reply) =>
      reply.page(
        'Contact',
        <Form action="/test/form" csrfToken={request.csrfToken()}>
          <Field name="name" label="Name" />
          <Button>Send</Button>
        </Form>,
      ),
    );
    app.post('/test/form', (request, reply) => {
      const result = validateForm(ContactForm, request.body, {
        name: 'Enter your name',
        email: { missing: 'Enter your email address', invalid: 'Enter a real email address' },
        password: 'Use at least 8 characters',
      });
      if (result.ok) return reply.redirect('/test/form?sent=1', 303);
      return reply.page(
        'Contact',
        <>
          <ErrorSummary errors={result.errors} />
          <Form action="/test/form" csrfToken={request.csrfToken()}>
            <Field
              name="name"
              label="Name"
              value={valueOf(result.values, 'name')}
              error={result.errors.name}
            />
            <Field
              name="email"
              label="Email"
              value={valueOf(result.values, 'email')}
              error={result.errors.email}
            />
            <Field
              name="password"
              label="Password"
              type="password"
              error={result.errors.password}
            />
            <Button>Send</Button>
          </Form>
        </>,
        { errors: result.errors },
      );
    });
    return Promise.resolve();
  },
};

function cookieHeader(setCookie: string | string[] | undefined): string {
  const all = Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : [];
  return all.map((cookie) => cookie.split(';')[0]).join('; ');
}

describeEachDialect('views: pages and assets', (current) => {
  let app: FastifyInstance;
  let cssHash: string;

  beforeAll(async () => {
    app = await buildTestApp(current(), { modules: [formModule] });
    cssHash = (await loadAssetCatalogue()).get('hearth.css')!.hash;
  });
  afterAll(async () => {
    await app?.close();
  });

  it('serves a fingerprinted asset for a year, immutable, with an ETag', async () => {
    const response = await app.inject({ url: `/assets/hearth.css?v=${cssHash}` });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(response.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(response.headers.etag).toBe(`"${cssHash}"`);
    expect(response.body).toContain('--colour-brand');
  });

  it('caches a plain URL briefly and a stale fingerprint not at all', async () => {
    const plain = await app.inject({ url: '/assets/hearth.css' });
    expect(plain.statusCode).toBe(200);
    expect(plain.headers['cache-control']).toBe('public, max-age=300');
    const stale = await app.inject({ url: '/assets/hearth.css?v=0000000000000000' });
    expect(stale.statusCode).toBe(200);
    expect(stale.headers['cache-control']).toBe('no-cache');
  });

  it('answers 304 to a matching If-None-Match, for any encoding of the same content', async () => {
    for (const tag of [`"${cssHash}"`, `W/"${cssHash}-br"`, `"other", "${cssHash}-gzip"`]) {
      const response = await app.inject({
        url: `/assets/hearth.css?v=${cssHash}`,
        headers: { 'if-none-match': tag },
      });
      expect(response.statusCode).toBe(304);
      expect(response.body).toBe('');
    }
    const changed = await app.inject({
      url: '/assets/hearth.css',
      headers: { 'if-none-match': '"0000000000000000"' },
    });
    expect(changed.statusCode).toBe(200);
  });

  it('sends brotli or gzip when accepted, with Vary and the decoded bytes unchanged', async () => {
    const identity = await app.inject({ url: '/assets/hearth.css' });
    const brotli = await app.inject({
      url: '/assets/hearth.css',
      headers: { 'accept-encoding': 'gzip, deflate, br' },
    });
    expect(brotli.headers['content-encoding']).toBe('br');
    expect(brotli.headers.vary).toContain('accept-encoding');
    expect(brotli.headers.etag).toBe(`"${cssHash}-br"`);
    expect(zlib.brotliDecompressSync(brotli.rawPayload).toString()).toBe(identity.body);
    const gzip = await app.inject({
      url: '/assets/hearth.css',
      headers: { 'accept-encoding': 'gzip' },
    });
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(zlib.gunzipSync(gzip.rawPayload).toString()).toBe(identity.body);
  });

  it('serves the client bundle and the icon with their types', async () => {
    const script = await app.inject({ url: '/assets/js/app.js' });
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    const icon = await app.inject({ url: '/assets/favicon.svg' });
    expect(icon.headers['content-type']).toBe('image/svg+xml');
  });

  it('answers 404 for unknown assets and never reaches outside the folder', async () => {
    for (const url of [
      '/assets/missing.css',
      '/assets/../views.plugin.ts',
      '/assets/%2e%2e/%2e%2e/package.json',
      '/assets/..%2f..%2fpackage.json',
      '/assets/',
    ]) {
      const response = await app.inject({ url });
      expect(response.statusCode, url).toBe(404);
      expect(response.body, url).not.toContain('"dependencies"');
    }
  });

  it('renders a page in the layout with the CSP nonce of its own response', async () => {
    const first = await app.inject({ url: '/test/form' });
    const second = await app.inject({ url: '/test/form' });
    for (const response of [first, second]) {
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(response.headers['cache-control']).toBe('private, no-cache');
      const policyNonce = /'nonce-([^']+)'/.exec(
        String(response.headers['content-security-policy']),
      )?.[1];
      expect(policyNonce).toBeTruthy();
      expect(response.body).toContain(`nonce="${policyNonce}"`);
      expect(response.body).toContain('<title>Contact · Hearth</title>');
      expect(response.body).toMatch(/href="\/assets\/hearth\.css\?v=[0-9a-f]{16}"/);
    }
    expect(first.headers['content-security-policy']).not.toBe(
      second.headers['content-security-policy'],
    );
  });

  it('keeps a status the route set, and answers HEAD for assets without a body', async () => {
    const gone = await app.inject({ url: '/test/gone' });
    expect(gone.statusCode).toBe(410);
    expect(gone.body).toContain('This listing has ended');
    const head = await app.inject({ method: 'HEAD', url: `/assets/hearth.css?v=${cssHash}` });
    expect(head.statusCode).toBe(200);
    expect(head.headers.etag).toBe(`"${cssHash}"`);
    expect(head.body).toBe('');
  });

  it('links the header only to pages the app serves', async () => {
    const page = await app.inject({ url: '/test/form' });
    expect(page.body).toContain('<a href="/forum">Coffeehouse</a>');
    const onForum = await app.inject({ url: '/forum' });
    expect(onForum.body).toContain('<a href="/forum" aria-current="page">Coffeehouse</a>');
    // No module serves these yet in this app: no dead links.
    expect(page.body).not.toContain('href="/register"');
    expect(page.body).not.toContain('href="/admin"');
  });

  it('shows a form again with 422, the answers kept, the errors wired, and no caching', async () => {
    const form = await app.inject({ url: '/test/form' });
    const token = /name="_csrf" value="([^"]+)"/.exec(form.body)?.[1];
    expect(token).toBeTruthy();
    const cookies = cookieHeader(form.headers['set-cookie']);

    const response = await app.inject({
      method: 'POST',
      url: '/test/form',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookies },
      payload: new URLSearchParams({
        _csrf: token!,
        name: '<b>Ann</b>',
        email: 'not-an-email',
        password: 'short',
      }).toString(),
    });
    expect(response.statusCode).toBe(422);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.body).toContain('<title>Error: Contact · Hearth</title>');
    expect(response.body).toContain('data-error-summary');
    expect(response.body).toContain('<a href="#field-email">Enter a real email address</a>');
    expect(response.body).toContain('<a href="#field-password">Use at least 8 characters</a>');
    expect(response.body).not.toContain('Enter your name');
    expect(response.body).toContain('value="&lt;b>Ann&lt;/b>"');
    expect(response.body).toContain('value="not-an-email"');
    expect(response.body).not.toContain('value="short"');
    expect(response.body).toMatch(/id="field-email"[^>]*aria-invalid="true"/);

    const fixed = await app.inject({
      method: 'POST',
      url: '/test/form',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookies },
      payload: new URLSearchParams({
        _csrf: token!,
        name: 'Ann',
        email: 'ann@example.com',
        password: 'long enough',
      }).toString(),
    });
    expect(fixed.statusCode).toBe(303);
    expect(fixed.headers.location).toBe('/test/form?sent=1');
  });

  it('renders the 404 page in the layout for a browser', async () => {
    const response = await app.inject({
      url: '/no-such-page',
      headers: { accept: 'text/html,application/xhtml+xml' },
    });
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.body).toContain('<html lang="en-GB">');
    expect(response.body).toContain('<a href="/">Go to the home page</a>');
    expect(response.body).toContain('<a href="/forum">Coffeehouse</a>');
  });
});

describeEachDialect('views: chrome from modules', (current) => {
  let app: FastifyInstance;
  const chromeModule: HearthModule = {
    name: 'chrome-test',
    dataMap: {},
    plugin: (instance) => {
      instance.addPageChrome((request) =>
        Promise.resolve(
          request.headers['x-no-chrome']
            ? null
            : { scripts: ['/one.js'], beforeHeader: <p>One</p> },
        ),
      );
      instance.addPageChrome((_request, reply) => {
        void reply.header('x-chrome', 'two');
        return Promise.resolve({ scripts: ['/two.js'], afterMain: <p>Two</p> });
      });
      instance.get('/test/chrome', (_request, reply) => reply.page('Chrome', <h1>Chrome</h1>));
      instance.get('/api/v1/test-chrome', (request) => ({ chrome: request.pageChrome }));
      return Promise.resolve();
    },
  };

  beforeAll(async () => {
    app = await buildTestApp(current(), { modules: [chromeModule] });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('merges every provider’s parts into the page, in registration order', async () => {
    const response = await app.inject({ url: '/test/chrome' });
    expect(response.headers['x-chrome']).toBe('two');
    expect(response.body).toMatch(
      /<script src="\/one\.js"[^>]*defer><\/script><script src="\/two\.js"/,
    );
    expect(response.body).toContain('<p>One</p><header');
    expect(response.body).toContain('</main><p>Two</p><footer');
    const without = await app.inject({ url: '/test/chrome', headers: { 'x-no-chrome': '1' } });
    expect(without.body).not.toContain('<p>One</p>');
    expect(without.body).toContain('<p>Two</p>');
  });

  it('runs no provider for API requests', async () => {
    const response = await app.inject({ url: '/api/v1/test-chrome' });
    expect(response.json()).toEqual({ chrome: null });
    expect(response.headers['x-chrome']).toBeUndefined();
  });
});
