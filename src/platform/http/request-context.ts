/**
 * What the HTTP platform adds to every request. Declared here, in one place, so that views and
 * modules can rely on it; the platform plugin fills it in.
 */
export interface SessionUser {
  id: string;
  displayName: string;
  roles: readonly string[];
}

declare module 'fastify' {
  interface FastifyRequest {
    /** A fresh nonce per request for the Content-Security-Policy `script-src`/`style-src`. */
    cspNonce: string;
    /** The CSRF token to embed in this request's HTML forms. */
    csrfToken(): string;
  }
}
