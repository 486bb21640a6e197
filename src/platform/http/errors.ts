/**
 * The one application error (STYLE.md point 10): a stable string code that clients branch on,
 * the HTTP status that code always has, a message for people, and per-field messages for forms.
 * The error handler (error-handler.ts) turns it into `{ "error": { code, message, fields? } }`
 * or an HTML page.
 */
import { Type } from 'typebox';

/** Every code the API answers with, and the status each one always has. */
export const ERROR_STATUS = {
  /** The input does not match the route's schema or a rule; `fields` says which field and why. */
  validation_failed: 400,
  /** The request cannot be read at all: malformed JSON, a broken URL or content length. */
  bad_request: 400,
  /** No session, or an expired or revoked one, on a route that needs a member. */
  unauthenticated: 401,
  /** A log-in with an unknown email or a wrong password (never says which, to hide who is a member). */
  invalid_credentials: 401,
  /** The member is known but their role or relation to the resource does not allow this. */
  forbidden: 403,
  /** An unsafe request without a valid CSRF token, or a cookie-authenticated one from another origin. */
  csrf_failed: 403,
  /** Export, erasure and similar acts need the password again, even inside a valid session. */
  reauthentication_required: 403,
  /** Log-in is disabled for this account (erasure under way, or suspended by staff). */
  account_disabled: 403,
  /** No such route or resource, or one the caller may not know exists. */
  not_found: 404,
  /** The request clashes with the current state: a taken email, a changed version, a duplicate. */
  conflict: 409,
  /** The body exceeds the size the route accepts. */
  payload_too_large: 413,
  /** The body's content type is not one the route accepts (the API takes application/json). */
  unsupported_media_type: 415,
  /** Too many requests from one client in the current window; `Retry-After` says when to retry. */
  rate_limited: 429,
  /** A fault on our side; the message carries only a reference to the logged request id. */
  internal_error: 500,
  /** A dependency (the database) is not answering; retry later. */
  service_unavailable: 503,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ERROR_STATUS;

export const ERROR_CODES = Object.keys(ERROR_STATUS) as ErrorCode[];

export interface AppErrorOptions {
  /** Per-field messages, keyed by the field's name in the request (`email`, `babies.0.birthDate`). */
  fields?: Record<string, string>;
  cause?: unknown;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  readonly fields: Record<string, string> | undefined;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.statusCode = ERROR_STATUS[code];
    this.fields = options.fields;
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

/** The body of every error response, for route schemas and the OpenAPI document. */
export const ErrorResponse = Type.Object(
  {
    error: Type.Object({
      code: Type.Union(ERROR_CODES.map((code) => Type.Literal(code))),
      message: Type.String(),
      fields: Type.Optional(Type.Record(Type.String(), Type.String())),
      /** Only on 5xx: the id under which the failure was logged. */
      requestId: Type.Optional(Type.String()),
    }),
  },
  { title: 'Error' },
);

/** The type of `ErrorResponse`, spelled out: TypeBox cannot infer a union built from a list. */
export interface ErrorResponseBody {
  error: {
    code: ErrorCode;
    message: string;
    fields?: Record<string, string>;
    requestId?: string;
  };
}

/**
 * Response schemas for the given error statuses, to spread into a route's `response`:
 * `response: { 200: Thing, ...errorResponses(400, 401, 404) }`.
 */
export function errorResponses(...statuses: number[]): Record<number, typeof ErrorResponse> {
  return Object.fromEntries(statuses.map((status) => [status, ErrorResponse]));
}
