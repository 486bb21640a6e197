/**
 * What the HTTP platform adds to every request. Declared here, in one place, so that views and
 * modules can rely on it; the platform plugin fills it in.
 */
export interface SessionUser {
  id: string;
  displayName: string;
  roles: readonly string[];
}

/** How a session's credential travels: the `hearth_session` cookie, or `Authorization: Bearer`. */
export type SessionKind = 'cookie' | 'bearer';

/**
 * Small per-session state that must follow the login (a pending second factor, the time of the
 * last re-authentication). JSON-serialisable; never exported, because it is authentication state.
 */
export type SessionData = Record<string, unknown>;

/** The session a request presented, once it has been checked against the database. */
export interface RequestSession {
  /** The SHA-256 of the token (hex). The token itself is never stored. */
  id: string;
  userId: string;
  kind: SessionKind;
  data: SessionData;
  /** ISO 8601 UTC; the session is refused from this time on. */
  expiresAt: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** A fresh nonce per request for the Content-Security-Policy `script-src`/`style-src`. */
    cspNonce: string;
    /** The CSRF token to embed in this request's HTML forms. */
    csrfToken(): string;
    /**
     * The session presented by cookie or Bearer token, or null when none (or an expired or
     * revoked one) was presented. Loaded before validation: handlers, `preValidation` and
     * `preHandler` hooks see it; `onRequest` hooks run too early to.
     */
    session: RequestSession | null;
    /**
     * Log-in: replaces any session this request presented with a new cookie session for
     * `userId` (a new id, so a planted cookie never becomes a logged-in one) and sets the cookie.
     */
    startSession(userId: string, data?: SessionData): Promise<RequestSession>;
    /**
     * Privilege change (a second factor passed, a role granted): the same session under a new
     * id and cookie. Bearer sessions are returned unchanged: their token was handed out in a
     * response body at log-in, so nobody else can have planted it.
     */
    rotateSession(): Promise<RequestSession>;
    /** Replaces the current session's data; throws `unauthenticated` without a session. */
    setSessionData(data: SessionData): Promise<void>;
    /** Log-out: revokes the credential this request presented and clears the cookie. */
    endSession(): Promise<void>;
  }
}
