/**
 * The app-wide hook that counts page views. Modules are encapsulated plugins, so this one is
 * registered through `fastify-plugin` to see every route, not only the module's own (like the
 * accounts activity hook). It runs `onResponse`, after the page has gone, and never fails a
 * request. It sets no cookie and reads none: a visitor is recognised for one day only, by a
 * keyed hash of what every request carries anyway (see analytics.counting.ts).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { cookieStateOf } from '../cookies/index.js';
import { AnalyticsRecorder, FLUSH_INTERVAL_MS } from './analytics.recorder.js';

/** Paths that are not pages people read: the staff area, the API, files, machine endpoints. */
const NOT_COUNTED_PREFIXES = ['/admin', '/api/', '/assets/', '/.well-known/', '/healthz'];

/**
 * Robots, link previews, monitors and scripts, by a simple look at the user agent. Not an
 * arms race: the aim is that the counts are about people, not to catch every crawler.
 */
const ROBOT_AGENT =
  /bot\b|bot\/|crawl|spider|slurp|archiver|preview|facebookexternalhit|embedly|whatsapp|headless|lighthouse|pingdom|uptime|monitor|curl\/|wget\/|python|httpclient|okhttp|go-http-client|java\/|libwww|axios|node-fetch|undici|autocannon|scrapy/i;

/** Whether a user agent looks like a person's browser. An empty one never is. */
export function isBrowserAgent(userAgent: string | undefined): boolean {
  return userAgent !== undefined && userAgent.trim() !== '' && !ROBOT_AGENT.test(userAgent);
}

/**
 * The route pattern a response counts under, or null when it is not a page view: only a
 * successful HTML GET of a page route, not a prefetch, from a browser.
 */
export function countedPath(request: FastifyRequest, reply: FastifyReply): string | null {
  if (request.method !== 'GET' || reply.statusCode !== 200) return null;
  const pattern = request.routeOptions.url;
  if (pattern === undefined || pattern.includes('*')) return null;
  if (NOT_COUNTED_PREFIXES.some((prefix) => pattern === prefix || pattern.startsWith(prefix))) {
    return null;
  }
  const contentType = reply.getHeader('content-type');
  if (typeof contentType !== 'string' || !contentType.startsWith('text/html')) return null;
  const purpose = request.headers['sec-purpose'] ?? request.headers.purpose;
  if (typeof purpose === 'string' && purpose.includes('prefetch')) return null;
  if (!isBrowserAgent(request.headers['user-agent'])) return null;
  return pattern;
}

/**
 * Whether the visitor has objected to being counted among unique visitors: they refused
 * "analytics" in the cookie settings (a choice in force without it), or their browser sends
 * Global Privacy Control (`Sec-GPC: 1`). Their page views are still counted (a count of a page
 * names nobody), but no hash is made of them. A visitor who has not chosen yet has not
 * objected: counting needs no consent (see CONTEXT.md).
 */
export function objectsToCounting(request: FastifyRequest): boolean {
  if (request.headers['sec-gpc'] === '1') return true;
  const state = cookieStateOf(request);
  return state.choice !== null && !state.purposes.has('analytics');
}

export interface AnalyticsPluginOptions {
  /** The clock; tests move it across midnight. */
  now?: () => Date;
}

export const analyticsPlugin = fp<AnalyticsPluginOptions>(
  (app, options, done) => {
    const now = options.now ?? (() => new Date());
    const site = new URL(app.config.publicUrl).host;
    const recorder = new AnalyticsRecorder(app.db, {
      timezone: app.config.timezone,
      now,
      onError: (error) => app.log.warn({ err: error }, 'could not write analytics counts'),
    });

    app.addHook('onResponse', async (request, reply) => {
      const path = countedPath(request, reply);
      if (path === null) return;
      try {
        await recorder.record({
          path,
          at: now(),
          ...(objectsToCounting(request)
            ? {}
            : {
                visitor: {
                  site,
                  ip: request.ip,
                  userAgent: request.headers['user-agent'] ?? '',
                },
              }),
        });
      } catch (error) {
        // Bookkeeping: a failed count must not turn a served page into an error.
        request.log.warn({ err: error }, 'could not count a page view');
      }
    });

    const timer = setInterval(() => {
      void recorder.flush();
    }, FLUSH_INTERVAL_MS);
    timer.unref();
    app.addHook('onClose', async () => {
      clearInterval(timer);
      await recorder.close();
    });
    done();
  },
  { name: 'hearth-analytics', fastify: '5.x' },
);
