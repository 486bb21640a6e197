/**
 * The one error handler and the not-found handler (STYLE.md point 10). Every failure leaves as
 * `{ "error": { code, message, fields? } }` or, for a browser asking for a page, as an HTML
 * error page. 4xx say what is wrong; 5xx say nothing but a reference, and are logged with the
 * request id. Stack traces, bodies and third-party error messages never reach the client.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { renderErrorPage } from '../views/error-page.js';
import { isAppError, type ErrorCode, type ErrorResponseBody } from './errors.js';
import { loggableError } from './loggable-error.js';
import { isApiPath, pathOf } from './paths.js';
import { cspNonceOf, securityHeaders } from './security-headers.js';

/** The weight `Accept` gives a media type (`q`, 1 when absent), taking the best matching range. */
function acceptWeight(accept: string, type: string): number {
  const [major] = type.split('/');
  let best = 0;
  for (const part of accept.split(',')) {
    const [range = '', ...parameters] = part.trim().toLowerCase().split(';');
    const matches = range === type || range === `${major}/*` || range === '*/*';
    if (!matches) continue;
    const q = parameters.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const weight = q === undefined ? 1 : Number(q.slice(2));
    // An exact type outranks a wildcard at the same weight, as RFC 9110 §12.5.1 says.
    const specificity = range === type ? 0.0001 : 0;
    if (Number.isFinite(weight) && weight > 0) best = Math.max(best, weight + specificity);
  }
  return best;
}

/** A browser navigation (or form post) that would rather read a page than JSON. */
export function prefersHtml(request: FastifyRequest): boolean {
  if (isApiPath(request.url)) return false;
  const accept = request.headers.accept;
  if (!accept) return false;
  const html = Math.max(
    acceptWeight(accept, 'text/html'),
    acceptWeight(accept, 'application/xhtml+xml'),
  );
  return html > 0 && html > acceptWeight(accept, 'application/json');
}

/** Turns ajv's errors into one message per field, named as the client sent them. */
export function validationFields(error: FastifyError): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const issue of error.validation ?? []) {
    const segments = issue.instancePath
      .split('/')
      .filter((segment) => segment !== '')
      .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
    let message = issue.message ?? 'is not valid';
    const params = issue.params;
    if (issue.keyword === 'required' && typeof params.missingProperty === 'string') {
      segments.push(params.missingProperty);
      message = 'is required';
    } else if (
      issue.keyword === 'additionalProperties' &&
      typeof params.additionalProperty === 'string'
    ) {
      segments.push(params.additionalProperty);
      message = 'is not an accepted field';
    }
    // A problem with the whole body or query (not an object, say) is named after that part.
    const name = segments.length > 0 ? segments.join('.') : (error.validationContext ?? 'body');
    fields[name] ??= message;
  }
  return fields;
}

/** Fixed wording for Fastify's own 4xx errors, whose messages may quote the request. */
const FRAMEWORK_ERRORS: Record<string, { code: ErrorCode; message: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: {
    code: 'bad_request',
    message: 'The request body is not valid JSON.',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    code: 'bad_request',
    message: 'The request body is empty but its content type says JSON.',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    code: 'bad_request',
    message: 'The request body does not match its Content-Length.',
  },
  FST_ERR_CTP_BODY_TOO_LARGE: {
    code: 'payload_too_large',
    message: 'The request body is too large.',
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    code: 'unsupported_media_type',
    message: 'This content type is not accepted here.',
  },
  FST_ERR_BAD_URL: { code: 'bad_request', message: 'The address is not a valid URL.' },
};

/** The code for a 4xx that is neither an AppError nor one of Fastify's known ones. */
function codeForStatus(status: number): ErrorCode {
  switch (status) {
    case 401:
      return 'unauthenticated';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 409:
      return 'conflict';
    case 413:
      return 'payload_too_large';
    case 415:
      return 'unsupported_media_type';
    case 429:
      return 'rate_limited';
    default:
      return 'bad_request';
  }
}

const NOT_FOUND_MESSAGE = 'There is nothing at this address.';

const GENERIC_MESSAGES: Partial<Record<ErrorCode, string>> = {
  bad_request: 'The request could not be understood.',
  unauthenticated: 'Please log in first.',
  forbidden: 'You are not allowed to do this.',
  not_found: NOT_FOUND_MESSAGE,
  conflict: 'This clashes with something that already exists.',
  payload_too_large: 'The request body is too large.',
  unsupported_media_type: 'This content type is not accepted here.',
  rate_limited: 'Too many requests. Please wait a moment and try again.',
};

export interface ErrorResponseParts {
  status: number;
  code: ErrorCode;
  message: string;
  fields?: Record<string, string>;
}

/** What a thrown value means for the client. Anything not known to be a 4xx is a 500. */
export function describeClientError(error: unknown): ErrorResponseParts {
  if (isAppError(error)) {
    return {
      status: error.statusCode,
      code: error.code,
      message: error.message,
      ...(error.fields ? { fields: error.fields } : {}),
    };
  }
  const fastifyError = error as Partial<FastifyError> | null;
  if (fastifyError?.validation) {
    return {
      status: 400,
      code: 'validation_failed',
      message: 'Some fields are not valid.',
      fields: validationFields(fastifyError as FastifyError),
    };
  }
  const known = fastifyError?.code ? FRAMEWORK_ERRORS[fastifyError.code] : undefined;
  const status = fastifyError?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const code = known?.code ?? codeForStatus(status);
    return {
      status,
      code,
      message: known?.message ?? GENERIC_MESSAGES[code] ?? 'The request could not be understood.',
    };
  }
  if (status === 503) {
    return {
      status: 503,
      code: 'service_unavailable',
      message: 'The service is unavailable for a moment. Please try again shortly.',
    };
  }
  return { status: 500, code: 'internal_error', message: 'Something went wrong on our side.' };
}

const PAGE_TITLES: Partial<Record<ErrorCode, string>> = {
  validation_failed: 'Please check the form',
  unauthenticated: 'Please log in',
  invalid_credentials: 'Please log in',
  forbidden: 'Not allowed',
  csrf_failed: 'This form has expired',
  reauthentication_required: 'Please enter your password again',
  account_disabled: 'This account is disabled',
  not_found: 'Page not found',
  conflict: 'Already there',
  rate_limited: 'Too many requests',
  internal_error: 'Something went wrong',
  service_unavailable: 'Back in a moment',
};

function renderHtmlError(request: FastifyRequest, parts: ErrorResponseParts): string {
  const fieldList = parts.fields
    ? ` ${Object.entries(parts.fields)
        .map(([name, message]) => `${name}: ${message}`)
        .join('; ')}.`
    : '';
  const options = {
    status: parts.status,
    title: PAGE_TITLES[parts.code] ?? 'Something is not right',
    message: parts.message + fieldList,
    nonce: cspNonceOf(request),
    path: pathOf(request.url),
  };
  try {
    return renderErrorPage(options);
  } catch (error) {
    // The page template itself failed: answer in plain, escaped-by-construction HTML instead.
    request.log.error({ error: loggableError(error) }, 'error page failed to render');
    return `<!doctype html><html lang="en-GB"><meta charset="utf-8"><title>${options.title}</title><h1>${options.title}</h1></html>`;
  }
}

/** Sends an error response in the shape and format the request asks for. */
export function sendError(request: FastifyRequest, reply: FastifyReply, parts: ErrorResponseParts) {
  const isServerError = parts.status >= 500;
  const message = isServerError ? `${parts.message} Reference: ${request.id}.` : parts.message;
  reply.code(parts.status);
  if (prefersHtml(request)) {
    return reply
      .type('text/html; charset=utf-8')
      .send(renderHtmlError(request, { ...parts, message }));
  }
  const body: ErrorResponseBody = {
    error: {
      code: parts.code,
      message,
      ...(parts.fields ? { fields: parts.fields } : {}),
      ...(isServerError ? { requestId: request.id } : {}),
    },
  };
  return reply.type('application/json; charset=utf-8').send(body);
}

export const errorHandlerPlugin = fp(
  (app, _options, done) => {
    app.setErrorHandler((error: unknown, request, reply) => {
      const parts = describeClientError(error);
      if (parts.status >= 500) {
        request.log.error({ error: loggableError(error) }, 'request failed');
      } else {
        request.log.info({ code: parts.code, statusCode: parts.status }, 'request refused');
      }
      return sendError(request, reply, parts);
    });

    // Unknown addresses count against the rate limit too, so probing for routes is throttled.
    app.setNotFoundHandler({ preHandler: app.rateLimit() }, (request, reply) =>
      sendError(request, reply, { status: 404, code: 'not_found', message: NOT_FOUND_MESSAGE }),
    );
    done();
  },
  {
    name: 'hearth-errors',
    fastify: '5.x',
    dependencies: ['hearth-security-headers', 'hearth-rate-limit'],
  },
);

/**
 * For Fastify's `frameworkErrors` option (buildApp passes it): a URL that cannot be decoded or a
 * parameter that is too long is refused before any route or hook runs, and Fastify would answer
 * in its own shape, without security headers, quoting the URL. This answers like every other
 * error instead.
 */
export function handleFrameworkError(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const parts = describeClientError(error);
  if (parts.status >= 500) request.log.error({ error: loggableError(error) }, 'request failed');
  // No onSend hook runs for these requests: the headers are set here.
  reply.headers(
    securityHeaders(cspNonceOf(request), { isHttps: request.server.config.secureCookies }),
  );
  void sendError(request, reply, parts);
}
