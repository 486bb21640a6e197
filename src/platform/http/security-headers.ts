/**
 * Security headers on every response, written here rather than taken from helmet so that the
 * whole policy is readable in one place. Pages load scripts and styles only with the request's
 * nonce (DESIGN.md §2: client JS is bundled, never inline), so an injected `<script>` does not
 * run even if escaping ever failed.
 */
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { randomString } from './random-pool.js';

/** 128 bits, as CSP Level 3 asks of a nonce; base64 is the alphabet the header allows. */
export function newCspNonce(): string {
  return randomString(16, 'base64');
}

export function contentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'self'",
    // 'strict-dynamic' lets a trusted (nonced) script load its own modules; host lists are
    // ignored by browsers that understand it, so nothing else can slip in.
    `script-src 'nonce-${nonce}' 'strict-dynamic'`,
    `style-src 'self' 'nonce-${nonce}'`,
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
  ].join('; ');
}

/**
 * Browser features a parenting forum never needs are switched off for every frame. Geolocation
 * stays available to our own pages: precise location is offered (with consent) for local
 * listings (P30). `browsing-topics` opts out of the browser's interest-based advertising API.
 */
export const PERMISSIONS_POLICY = [
  'accelerometer=()',
  'browsing-topics=()',
  'camera=()',
  'geolocation=(self)',
  'gyroscope=()',
  'magnetometer=()',
  'microphone=()',
  'payment=()',
  'usb=()',
].join(', ');

export interface SecurityHeaderOptions {
  /** PUBLIC_URL is https: browsers are told to use https only (HSTS). */
  isHttps: boolean;
}

export function securityHeaders(nonce: string, options: SecurityHeaderOptions) {
  return {
    'content-security-policy': contentSecurityPolicy(nonce),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'strict-origin-when-cross-origin',
    'permissions-policy': PERMISSIONS_POLICY,
    'cross-origin-opener-policy': 'same-origin',
    'x-frame-options': 'DENY',
    ...(options.isHttps
      ? { 'strict-transport-security': 'max-age=31536000; includeSubDomains' }
      : {}),
  };
}

/** The request's nonce, made on first use when an error struck before `onRequest` ran. */
export function cspNonceOf(request: FastifyRequest): string {
  // Falsy rather than '': requests Fastify builds for URL errors lack the decorators entirely.
  if (!request.cspNonce) request.cspNonce = newCspNonce();
  return request.cspNonce;
}

export const securityHeadersPlugin = fp(
  (app, _options, done) => {
    const options = { isHttps: app.config.secureCookies };
    app.decorateRequest('cspNonce', '');
    app.addHook('onRequest', (request, _reply, next) => {
      request.cspNonce = newCspNonce();
      next();
    });
    // onSend runs for every reply, errors and 404s included, so no response goes out bare.
    app.addHook('onSend', (request, reply, payload, next) => {
      reply.headers(securityHeaders(cspNonceOf(request), options));
      next(null, payload);
    });
    done();
  },
  { name: 'hearth-security-headers', fastify: '5.x' },
);
