import { describe, expect, it } from 'vitest';
import { loadAssetCatalogue } from './assets.js';
import { renderErrorPage } from './error-page.js';
import { MAIN_NAV, buildNavigation, renderDocument, setProcessNavigation } from './layout.js';

const everyPage = buildNavigation(() => true);

describe('the layout', () => {
  it('is an en-GB document with a skip link, header, main and footer', async () => {
    await loadAssetCatalogue();
    const html = renderDocument(
      { title: 'Welcome', nonce: 'n0nce', path: '/', nav: everyPage },
      <h1>Hello</h1>,
    );
    expect(html.startsWith('<!doctype html><html lang="en-GB">')).toBe(true);
    expect(html).toContain('<title>Welcome · Hearth</title>');
    expect(html).toContain('<a class="skip-link" href="#main">Skip to main content</a>');
    expect(html).toContain('<main id="main" class="page" tabindex="-1"><h1>Hello</h1></main>');
    expect(html).toContain('<a href="/privacy">Privacy notice</a>');
    expect(html).toContain('<a href="/cookies">Cookie settings</a>');
    expect(html).toMatch(/<link rel="stylesheet" href="\/assets\/hearth\.css\?v=[0-9a-f]{16}"\/>/);
  });

  it('loads exactly one script, the bundled module, with the nonce; no inline code or style', () => {
    const html = renderDocument(
      { title: 'x', nonce: 'abc123', path: '/', nav: everyPage },
      <p>Body</p>,
    );
    const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((match) => match[0]);
    expect(scripts).toHaveLength(1);
    expect(scripts[0]).toMatch(
      /^<script type="module" src="\/assets\/js\/app\.js\?v=[0-9a-f]{16}" nonce="abc123">$/,
    );
    expect(html).toContain('></script>');
    expect(html).not.toMatch(/<script\b[^>]*>[^<]/);
    expect(html).not.toMatch(/\sstyle=/);
    expect(html).not.toContain('<style');
    expect(html).not.toMatch(/\son[a-z]+=/);
  });

  it('escapes the title and description', () => {
    const html = renderDocument(
      {
        title: '</title><script>alert(1)</script>',
        description: '"><script>alert(2)</script>',
        nonce: 'n',
        path: '/',
        nav: everyPage,
      },
      null,
    );
    expect(html).not.toContain('<script>alert');
    expect(html).toContain('&lt;/title>&lt;script>alert(1)&lt;/script> · Hearth');
  });

  it('marks the current page and section in the navigation', () => {
    const onForum = renderDocument(
      { title: 'x', nonce: 'n', path: '/forum', nav: everyPage },
      null,
    );
    expect(onForum).toContain('<a href="/forum" aria-current="page">Coffeehouse</a>');
    expect(onForum).toContain('<a href="/">Home</a>');
    const inThread = renderDocument(
      { title: 'x', nonce: 'n', path: '/forum/threads/1', nav: everyPage },
      null,
    );
    expect(inThread).toContain('<a href="/forum" aria-current="true">Coffeehouse</a>');
    expect(inThread).not.toContain('<a href="/" aria-current');
  });

  it('shows only pages the app serves: no dead links', () => {
    const homeOnly = buildNavigation((path) => path === '/');
    expect(homeOnly.main).toEqual([MAIN_NAV[0]]);
    const html = renderDocument({ title: 'x', nonce: 'n', path: '/', nav: homeOnly }, null);
    expect(html).not.toContain('href="/forum"');
    expect(html).not.toContain('href="/login"');
    expect(html).not.toContain('href="/register"');
  });

  it('offers log in to visitors, the account to members and the staff area to staff', () => {
    const visitor = renderDocument({ title: 'x', nonce: 'n', path: '/', nav: everyPage }, null);
    expect(visitor).toContain('href="/login"');
    expect(visitor).toContain('href="/register"');
    expect(visitor).not.toContain('href="/account"');

    const member = renderDocument(
      {
        title: 'x',
        nonce: 'n',
        path: '/',
        nav: everyPage,
        user: { displayName: 'Ann', isStaff: false },
      },
      null,
    );
    expect(member).toContain('href="/account"');
    expect(member).not.toContain('href="/login"');
    expect(member).not.toContain('href="/admin"');

    const staff = renderDocument(
      {
        title: 'x',
        nonce: 'n',
        path: '/',
        nav: everyPage,
        user: { displayName: 'Sam', isStaff: true },
      },
      null,
    );
    expect(staff).toContain('href="/admin"');
  });

  it('uses the navigation of the app that booted last when none is given (error pages)', () => {
    setProcessNavigation(buildNavigation((path) => path === '/' || path === '/forum'));
    const html = renderErrorPage({
      status: 404,
      title: 'Page not found',
      message: 'There is no page at this address.',
      nonce: 'n',
      path: '/nowhere',
    });
    expect(html).toContain('href="/forum"');
    setProcessNavigation(buildNavigation((path) => path === '/'));
    expect(
      renderErrorPage({ status: 404, title: 'x', message: 'y', nonce: 'n', path: '/z' }),
    ).not.toContain('href="/forum"');
  });
});

describe('error pages', () => {
  it('say what happened and what to do next, with the reference on server errors', () => {
    const notFound = renderErrorPage({
      status: 404,
      title: 'Page not found',
      message: 'There is no page at this address.',
      nonce: 'n',
      path: '/nowhere',
    });
    expect(notFound).toContain('<h1 id="error-title">Page not found</h1>');
    expect(notFound).toContain('check it is correct');
    expect(notFound).toContain('<a href="/">Go to the home page</a>');

    const serverError = renderErrorPage({
      status: 500,
      title: 'Sorry, there is a problem',
      message: 'Something went wrong on our side.',
      nonce: 'n',
      path: '/',
      requestId: '<req-1>',
    });
    expect(serverError).toContain('try again');
    expect(serverError).toContain('<code>&lt;req-1></code>');
  });

  it('places the chrome modules add: early scripts before the bundle, tags after it, the banner above the header', () => {
    const html = renderDocument(
      {
        title: 'x',
        nonce: 'n1',
        path: '/',
        nav: everyPage,
        chrome: {
          earlyScripts: ['/assets/js/stub.js'],
          scripts: ['/partner/tag.js?a=1'],
          meta: [{ name: 'hearth-flag', content: '/api/v1/x' }],
          beforeHeader: <div id="banner">Banner</div>,
          afterMain: <aside id="slot">Slot</aside>,
        },
      },
      <p>Body</p>,
    );
    const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((match) => match[0]);
    expect(scripts).toEqual([
      '<script src="/assets/js/stub.js" nonce="n1">',
      expect.stringMatching(/^<script type="module" src="\/assets\/js\/app\.js[^"]*" nonce="n1">$/),
      '<script src="/partner/tag.js?a=1" nonce="n1" defer>',
    ]);
    expect(html).toContain('<meta name="hearth-flag" content="/api/v1/x"/>');
    const order = ['skip-link', 'id="banner"', 'site-header', '<main', 'id="slot"', 'site-footer'];
    const positions = order.map((marker) => html.indexOf(marker));
    expect(positions.every((position) => position >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });
});
