/**
 * Cross-site request forgery defences (DESIGN.md §6, conventions):
 *
 * - HTML forms carry `_csrf` (from `request.csrfToken()`). The token is an HMAC, under the
 *   secret key, of a random value kept in the essential `hearth_csrf` cookie and of the member's
 *   id. Another site can neither read the cookie nor compute the HMAC; binding the member's id
 *   means a token obtained while logged out (or as someone else) is no use against a member,
 *   even if an attacker manages to plant the cookie. Anonymous forms (log-in, registration)
 *   work too, which closes log-in CSRF.
 * - Everything else that changes state must come from our own origin (`Origin`, or
 *   `Sec-Fetch-Site: same-origin`). Under `/api/` the body must also be JSON: browsers only send
 *   JSON cross-site after a CORS preflight, which Hearth never grants.
 * - `Authorization: Bearer` requests are exempt: a browser never attaches that header by itself,
 *   so a forged request cannot carry it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from './errors.js';
import { isApiPath } from './paths.js';
import { randomString } from './random-pool.js';
import { replyOf } from './request-reply.js';
import { hasBearerAuthorization } from './sessions.plugin.js';

export const CSRF_COOKIE = 'hearth_csrf';
/** The form field that carries the token. */
export const CSRF_FIELD = '_csrf';
/** The header that carries the token for scripts that post without a form. */
export const CSRF_HEADER = 'x-csrf-token';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Content types a page on another site can send with a plain `<form>`, without a preflight. */
const FORM_MEDIA_TYPES = new Set([
  'application/x-www-form-urlencoded',
  'multipart/form-data',
  'text/plain',
]);

const COOKIE_VALUE = /^[A-Za-z0-9_-]{43}$/;

/** The key for CSRF tokens, derived so that no other use of the secret key yields the same MACs. */
export function deriveCsrfKey(secretKey: string): Buffer {
  return createHmac('sha256', secretKey).update('hearth csrf token v1').digest();
}

export function csrfTokenFor(key: Buffer, cookieValue: string, userId: string | null): string {
  return createHmac('sha256', key)
    .update(`${cookieValue}\n${userId ?? ''}`)
    .digest('base64url');
}

export function isValidCsrfToken(
  key: Buffer,
  cookieValue: string | undefined,
  userId: string | null,
  token: unknown,
): boolean {
  if (typeof token !== 'string' || cookieValue === undefined || !COOKIE_VALUE.test(cookieValue)) {
    return false;
  }
  const expected = Buffer.from(csrfTokenFor(key, cookieValue, userId));
  const given = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The media type of the body, lower-cased without parameters; null when there is no body. */
export function mediaTypeOf(request: FastifyRequest): string | null {
  const header = request.headers['content-type'];
  if (header === undefined) return null;
  return (header.split(';')[0] ?? '').trim().toLowerCase();
}

function isJsonMediaType(mediaType: string): boolean {
  return mediaType === 'application/json' || mediaType.endsWith('+json');
}

/** `same`, `cross`, or `unknown` when the client sent neither header (not a browser). */
export function requestOrigin(
  request: FastifyRequest,
  publicUrl: string,
): 'same' | 'cross' | 'unknown' {
  const origin = request.headers.origin;
  if (origin !== undefined) return origin === publicUrl ? 'same' : 'cross';
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined) return site === 'same-origin' ? 'same' : 'cross';
  return 'unknown';
}

const FORM_REFUSED =
  'This form has expired or was sent from another site. Go back, reload the page and try again.';
const ORIGIN_REFUSED = 'Requests that change something must come from this site.';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Skips the CSRF check for this route. Only for routes whose request carries its own signed
     * authority (a token in the URL) and changes nothing beyond what that token names.
     */
    csrfExempt?: boolean;
  }
}

export const csrfPlugin = fp(
  (app, _options, done) => {
    const key = deriveCsrfKey(app.secretKey);
    const publicUrl = app.config.publicUrl;
    const cookieOptions = {
      path: '/',
      httpOnly: true,
      sameSite: 'lax' as const,
      secure: app.config.secureCookies,
      // No expiry: a browser-session cookie, essential, gone when the browser closes (P40).
    };

    // The cookie value each request signs with: the one presented, or the one it sets.
    const cookieValues = new WeakMap<FastifyRequest, string>();
    const issueToken = (request: FastifyRequest): string => {
      let value = cookieValues.get(request);
      if (value === undefined) {
        const presented = request.cookies[CSRF_COOKIE];
        if (presented !== undefined && COOKIE_VALUE.test(presented)) {
          value = presented;
        } else {
          value = randomString(32, 'base64url');
          replyOf(request).setCookie(CSRF_COOKIE, value, cookieOptions);
        }
        cookieValues.set(request, value);
      }
      return csrfTokenFor(key, value, request.session?.userId ?? null);
    };

    const hasValidToken = (request: FastifyRequest, token: unknown) =>
      isValidCsrfToken(key, request.cookies[CSRF_COOKIE], request.session?.userId ?? null, token);

    const requireSameOrigin = (request: FastifyRequest) => {
      const origin = requestOrigin(request, publicUrl);
      if (origin === 'same') return;
      if (origin === 'cross') throw new AppError('csrf_failed', ORIGIN_REFUSED);
      // Neither Origin nor Sec-Fetch-Site: not a current browser. Without a session cookie there
      // is nothing to forge with; with one, the token header must vouch for the request.
      if (
        request.session?.kind === 'cookie' &&
        !hasValidToken(request, request.headers[CSRF_HEADER])
      ) {
        throw new AppError('csrf_failed', ORIGIN_REFUSED);
      }
    };

    app.decorateRequest('csrfToken', function (this: FastifyRequest) {
      return issueToken(this);
    });

    // Registered after the sessions plugin's preValidation hook: the token is bound to the member.
    app.addHook('preValidation', (request, _reply, next) => {
      checkRequest(request);
      next();
    });
    done();

    function checkRequest(request: FastifyRequest): void {
      if (SAFE_METHODS.has(request.method) || request.is404 || hasBearerAuthorization(request)) {
        return;
      }
      // A route that carries its own authority (a signed token in the URL) and must accept posts
      // from outside any browser session: RFC 8058 one-click unsubscribe, sent by mail clients.
      if (request.routeOptions.config.csrfExempt === true) return;
      const mediaType = mediaTypeOf(request);
      if (isApiPath(request.url)) {
        if (mediaType !== null && !isJsonMediaType(mediaType)) {
          throw new AppError(
            'unsupported_media_type',
            'API requests that change something must be sent as application/json.',
          );
        }
        requireSameOrigin(request);
        return;
      }
      if (mediaType !== null && FORM_MEDIA_TYPES.has(mediaType)) {
        const body = request.body;
        const fields =
          body !== null && typeof body === 'object' ? (body as Record<string, unknown>) : null;
        const token = fields?.[CSRF_FIELD] ?? request.headers[CSRF_HEADER];
        if (!hasValidToken(request, token)) throw new AppError('csrf_failed', FORM_REFUSED);
        // Handlers and schemas never see the token: it is not part of any form's data.
        if (fields) delete fields[CSRF_FIELD];
        return;
      }
      requireSameOrigin(request);
    }
  },
  {
    name: 'hearth-csrf',
    fastify: '5.x',
    dependencies: [
      '@fastify/cookie',
      '@fastify/formbody',
      'hearth-sessions',
      'hearth-request-reply',
    ],
  },
);
