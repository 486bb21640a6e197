/**
 * Puts the session on the request (`request.session`) and the log-in, privilege-change and
 * log-out operations beside it. A request authenticates with the `hearth_session` cookie or
 * with `Authorization: Bearer <token>`; when both come, the Bearer token alone counts, because
 * that request is an app's, not the browser's.
 */
import type { CookieSerializeOptions } from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../../config/config.js';
import { AppError } from './errors.js';
import { replyOf } from './request-reply.js';
import { pathOf } from './paths.js';
import type { RequestSession, SessionData, SessionKind } from './request-context.js';
import {
  deleteSession,
  findActiveSession,
  replaceSessionToken,
  startSessionReplacing,
  updateSessionData,
} from './sessions.js';

export const SESSION_COOKIE = 'hearth_session';

/** Public, cacheable files and the health probe: no session lookup for them. */
const SESSIONLESS_PATHS = [/^\/assets\//, /^\/healthz$/];

export interface PresentedCredential {
  kind: SessionKind;
  token: string;
}

/** The Bearer token of `Authorization`, or null when the header is absent or another scheme. */
export function bearerTokenOf(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (header === undefined) return null;
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}

/** Whether the request names a Bearer scheme at all (a valid token or not). */
export function hasBearerAuthorization(request: FastifyRequest): boolean {
  return /^Bearer(\s|$)/i.test(request.headers.authorization ?? '');
}

export function presentedCredential(request: FastifyRequest): PresentedCredential | null {
  if (hasBearerAuthorization(request)) {
    const token = bearerTokenOf(request);
    return token === null ? null : { kind: 'bearer', token };
  }
  const cookie = request.cookies[SESSION_COOKIE];
  return cookie ? { kind: 'cookie', token: cookie } : null;
}

export function sessionCookieOptions(config: Config): CookieSerializeOptions {
  return { path: '/', httpOnly: true, sameSite: 'lax', secure: config.secureCookies };
}

export const sessionsPlugin = fp(
  (app, _options, done) => {
    const db = app.db;
    const cookieOptions = sessionCookieOptions(app.config);
    const ttlDays = app.config.sessionTtlDays;

    const setSessionCookie = (reply: FastifyReply, token: string, session: RequestSession) => {
      // The cookie lives exactly as long as the session it carries (P40).
      reply.setCookie(SESSION_COOKIE, token, {
        ...cookieOptions,
        expires: new Date(session.expiresAt),
      });
    };

    const startSession = async (
      request: FastifyRequest,
      reply: FastifyReply,
      userId: string,
      data: SessionData = {},
    ): Promise<RequestSession> => {
      const replaced = request.session?.kind === 'cookie' ? request.session.id : null;
      const { token, session } = await startSessionReplacing(db, userId, replaced, {
        kind: 'cookie',
        ttlDays,
        data,
      });
      setSessionCookie(reply, token, session);
      request.session = session;
      return session;
    };

    const rotateSession = async (
      request: FastifyRequest,
      reply: FastifyReply,
    ): Promise<RequestSession> => {
      const current = request.session;
      if (!current) throw new AppError('unauthenticated', 'Please log in first.');
      if (current.kind === 'bearer') return current;
      const { token, session } = await replaceSessionToken(db, current);
      setSessionCookie(reply, token, session);
      request.session = session;
      return session;
    };

    const setSessionData = async (request: FastifyRequest, data: SessionData): Promise<void> => {
      const current = request.session;
      if (!current) throw new AppError('unauthenticated', 'Please log in first.');
      await updateSessionData(db, current.id, data);
      request.session = { ...current, data };
    };

    const endSession = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
      if (request.session) await deleteSession(db, request.session.id);
      if (presentedCredential(request)?.kind === 'cookie') {
        reply.clearCookie(SESSION_COOKIE, cookieOptions);
      }
      request.session = null;
    };

    app.decorateRequest('session', null);
    app.decorateRequest(
      'startSession',
      function (this: FastifyRequest, userId: string, data?: SessionData) {
        return startSession(this, replyOf(this), userId, data);
      },
    );
    app.decorateRequest('rotateSession', function (this: FastifyRequest) {
      return rotateSession(this, replyOf(this));
    });
    app.decorateRequest('setSessionData', function (this: FastifyRequest, data: SessionData) {
      return setSessionData(this, data);
    });
    app.decorateRequest('endSession', function (this: FastifyRequest) {
      return endSession(this, replyOf(this));
    });

    // After the rate limit (a route-level onRequest hook), so a throttled client costs no query;
    // before validation, so handlers, guards and the CSRF check all see the session.
    app.addHook('preValidation', async (request, reply) => {
      const path = pathOf(request.url);
      if (SESSIONLESS_PATHS.some((pattern) => pattern.test(path))) return;
      const credential = presentedCredential(request);
      if (!credential) return;
      request.session = await findActiveSession(db, credential.token, credential.kind);
      // An expired or revoked cookie is dropped, so the browser stops presenting it.
      if (!request.session && credential.kind === 'cookie') {
        reply.clearCookie(SESSION_COOKIE, cookieOptions);
      }
    });

    // An answer to a signed-in request may hold personal data: no shared or disk cache keeps it.
    app.addHook('onSend', (request, reply, payload, next) => {
      if (request.session && !reply.hasHeader('cache-control')) {
        reply.header('cache-control', 'private, no-store');
      }
      next(null, payload);
    });
    done();
  },
  {
    name: 'hearth-sessions',
    fastify: '5.x',
    dependencies: ['@fastify/cookie', 'hearth-errors', 'hearth-request-reply'],
  },
);
