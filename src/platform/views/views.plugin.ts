/**
 * Server-rendered pages: `reply.page()` renders the shared layout around a page's content with
 * the request's CSP nonce, and `/assets/*` serves Hearth's own stylesheet, client bundle and
 * icon from memory with fingerprinted, long-lived caching.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type {} from '@fastify/rate-limit';
import fp from 'fastify-plugin';
import type { ComponentChildren } from 'preact';
import { chooseEncoding, loadAssetCatalogue, type Asset, type AssetCatalogue } from './assets.js';
import { isApiPath } from '../http/paths.js';
import type { FieldErrors } from './form-input.js';
import {
  buildNavigation,
  renderDocument,
  type RenderedHtml,
  setProcessNavigation,
  type PageChrome,
  type PageUser,
  type SiteNavigation,
} from './layout.js';

export interface PageOptions {
  /** The reply's current status (200 unless set) by default; 422 when `errors` is not empty. */
  status?: number;
  user?: PageUser | null;
  description?: string;
  /**
   * The field errors of a form shown again: the title gains an "Error: " prefix (so the first
   * thing a screen reader announces is that something needs fixing) and the status is 422.
   */
  errors?: FieldErrors;
}

/**
 * Says who is logged in, for the page header. The accounts module sets it; the platform cannot
 * import modules, so it is handed in rather than looked up.
 */
export type ViewerResolver = (request: FastifyRequest) => Promise<PageUser | null>;

/**
 * Adds parts around every page for one request (see `PageChrome`). Modules register one at
 * boot; the platform cannot import them. Runs before the handler of every page request (GET or
 * HEAD outside the API), after the viewer is known, and may set headers or cookies on `reply`.
 */
export type PageChromeProvider = (
  request: FastifyRequest,
  reply: FastifyReply,
) => Promise<PageChrome | null>;

declare module 'fastify' {
  interface FastifyRequest {
    /** The logged-in viewer for the page header (resolved before the handler), or null. */
    viewer: PageUser | null;
    /** What modules add around this request's page (resolved before the handler). */
    pageChrome: PageChrome | null;
  }
  interface FastifyReply {
    /** Sends a whole HTML page: the layout around `body`, with this request's nonce and path. */
    page(
      title: string,
      body: ComponentChildren | RenderedHtml,
      options?: PageOptions,
    ): FastifyReply;
  }
  interface FastifyInstance {
    /** True when the app serves an HTML page (a GET route) at exactly this path. */
    hasPage(path: string): boolean;
    /** Sets how pages learn who is logged in when a route passes no `user` (once, at boot). */
    setViewerResolver(resolver: ViewerResolver): void;
    /** Adds a provider of parts around every page (at boot; providers run in order). */
    addPageChrome(provider: PageChromeProvider): void;
  }
}

/** A fingerprinted URL names one exact content: it may be kept for a year and never rechecked. */
const CACHE_IMMUTABLE = 'public, max-age=31536000, immutable';
/** A plain URL may change at the next deploy: kept briefly, then revalidated with the ETag. */
const CACHE_SHORT = 'public, max-age=300';
/**
 * A fingerprint that is not the current one (a page from before a deploy, or a server not yet
 * updated): the current content is served, but must not be cached under the other version.
 */
const CACHE_MISMATCH = 'no-cache';

function entityTag(asset: Asset, encoding: 'br' | 'gzip' | 'identity'): string {
  // Strong tags differ per encoding (RFC 9110 §8.8.3): the bytes differ.
  return encoding === 'identity' ? `"${asset.hash}"` : `"${asset.hash}-${encoding}"`;
}

/** True when `If-None-Match` names any representation of this content. */
function matchesEntityTag(ifNoneMatch: string | undefined, asset: Asset): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((raw) => {
    const tag = raw.trim().replace(/^W\//, '');
    return tag === '*' || tag === `"${asset.hash}"` || tag.startsWith(`"${asset.hash}-`);
  });
}

function sendAsset(
  reply: FastifyReply,
  asset: Asset,
  version: string | undefined,
  headers: { acceptEncoding: string | undefined; ifNoneMatch: string | undefined },
): FastifyReply {
  const available = (['br', 'gzip'] as const).filter((encoding) => asset.encoded[encoding]);
  const encoding = chooseEncoding(headers.acceptEncoding, available);
  reply.header(
    'cache-control',
    version === undefined ? CACHE_SHORT : version === asset.hash ? CACHE_IMMUTABLE : CACHE_MISMATCH,
  );
  reply.header('etag', entityTag(asset, encoding));
  if (available.length > 0) reply.header('vary', 'accept-encoding');
  if (matchesEntityTag(headers.ifNoneMatch, asset)) return reply.code(304).send();
  reply.type(asset.contentType);
  if (encoding !== 'identity') reply.header('content-encoding', encoding);
  const body = encoding === 'identity' ? asset.body : (asset.encoded[encoding] ?? asset.body);
  return reply.send(body);
}

function registerAssetRoute(app: FastifyInstance, catalogue: AssetCatalogue): void {
  app.get<{ Params: { '*': string }; Querystring: Record<string, unknown> }>(
    '/assets/*',
    {
      // Assets are served from memory and every page pulls several: counting them against the
      // visitor's request budget (a Redis round-trip each with a shared store) would cost more
      // than serving them and would throttle ordinary browsing behind a shared address.
      config: { rateLimit: false },
    },
    (request, reply) => {
      const asset = catalogue.get(request.params['*']);
      if (!asset) return reply.callNotFound();
      const version = request.query.v;
      return sendAsset(reply, asset, typeof version === 'string' ? version : undefined, {
        acceptEncoding: request.headers['accept-encoding'],
        ifNoneMatch: request.headers['if-none-match'],
      });
    },
  );
}

/** Two providers' parts together: lists concatenated, blocks side by side. */
function mergeChrome(first: PageChrome | null, second: PageChrome): PageChrome {
  if (!first) return second;
  const list = <T>(a: readonly T[] | undefined, b: readonly T[] | undefined) => [
    ...(a ?? []),
    ...(b ?? []),
  ];
  const block = (a: ComponentChildren, b: ComponentChildren): ComponentChildren =>
    a === undefined ? b : b === undefined ? a : [a, b];
  return {
    earlyScripts: list(first.earlyScripts, second.earlyScripts),
    scripts: list(first.scripts, second.scripts),
    meta: list(first.meta, second.meta),
    beforeHeader: block(first.beforeHeader, second.beforeHeader),
    afterMain: block(first.afterMain, second.afterMain),
  };
}

async function views(app: FastifyInstance): Promise<void> {
  const catalogue = await loadAssetCatalogue();
  registerAssetRoute(app, catalogue);

  app.decorate('hasPage', (path: string) => app.hasRoute({ method: 'GET', url: path }));

  let viewerResolver: ViewerResolver | null = null;
  app.decorate('setViewerResolver', (resolver: ViewerResolver) => {
    viewerResolver = resolver;
  });
  app.decorateRequest('viewer', null);
  // Only page requests with a session can show a viewer; API and anonymous requests cost nothing.
  app.addHook('preHandler', async (request) => {
    if (viewerResolver && request.session && !isApiPath(request.url)) {
      request.viewer = await viewerResolver(request);
    }
  });

  const chromeProviders: PageChromeProvider[] = [];
  app.decorate('addPageChrome', (provider: PageChromeProvider) => {
    chromeProviders.push(provider);
  });
  app.decorateRequest('pageChrome', null);
  app.addHook('preHandler', async (request, reply) => {
    if (chromeProviders.length === 0) return;
    if (request.method !== 'GET' && request.method !== 'HEAD') return;
    if (isApiPath(request.url) || request.url.startsWith('/assets/')) return;
    let merged: PageChrome | null = null;
    for (const provider of chromeProviders) {
      const part = await provider(request, reply);
      if (part) merged = mergeChrome(merged, part);
    }
    request.pageChrome = merged;
  });

  // Routes are final once the app is ready: the header's links are worked out once, then.
  let navigation: SiteNavigation | undefined;
  app.addHook('onReady', (done) => {
    navigation = buildNavigation((path) => app.hasPage(path));
    setProcessNavigation(navigation);
    done();
  });

  app.decorateReply(
    'page',
    function page(
      this: FastifyReply,
      title: string,
      body: ComponentChildren | RenderedHtml,
      options: PageOptions = {},
    ): FastifyReply {
      const hasErrors = options.errors !== undefined && Object.keys(options.errors).length > 0;
      const user = options.user === undefined ? this.request.viewer : options.user;
      const html = renderDocument(
        {
          title: hasErrors ? `Error: ${title}` : title,
          nonce: this.request.cspNonce,
          path: this.request.url.split('?')[0] ?? '/',
          user,
          ...(options.description ? { description: options.description } : {}),
          ...(navigation ? { nav: navigation } : {}),
          ...(this.request.pageChrome ? { chrome: this.request.pageChrome } : {}),
        },
        body,
      );
      if (!this.hasHeader('cache-control')) {
        // A page for a signed-in member, or one holding what a person just typed, stays out of
        // every cache; others may be kept by the browser but are revalidated each time.
        this.header('cache-control', user || hasErrors ? 'no-store' : 'private, no-cache');
      }
      // Without an explicit status, one the route already set (`reply.code(404).page(…)`) stays.
      return this.code(options.status ?? (hasErrors ? 422 : this.statusCode))
        .type('text/html; charset=utf-8')
        .send(html);
    },
  );
}

/** Server-rendered pages: `reply.page()`, `app.hasPage()` and `/assets/*`. */
export const viewsPlugin = fp(views, {
  name: 'hearth-views',
  dependencies: ['hearth-platform'],
});
