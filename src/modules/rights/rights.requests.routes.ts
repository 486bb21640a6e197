/**
 * Requests (DESIGN.md §6): `GET|POST /api/v1/me/requests`, `DELETE /api/v1/me` (erasure), and
 * the public request form with its emailed code (`/privacy/request`, `/privacy/request/verify`).
 * Thin routes: validate, authorise, call the service, answer an allowlisted shape.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { AppError, errorResponses, isAppError } from '../../platform/http/errors.js';
import { sensitiveRateLimit } from '../../platform/http/rate-limit.js';
import { queueMail } from '../../platform/mail/mail.outbox.js';
import { readFormValues } from '../../platform/views/form-input.js';
import { receiptIssuerFor } from '../../privacy/consent/index.js';
import { getCurrentMember, memberOnly, requireRecentAuthentication } from '../accounts/index.js';
import { setRightsRegistry } from './rights.jobs.js';
import {
  PublicRequestPage,
  RequestReceivedPage,
  VerifyRequestPage,
} from './rights.requests.pages.js';
import {
  createPublicRequest,
  listRequestsForSubject,
  requestOwnErasure,
  submitMemberRequest,
  VERIFICATION_CODE_TTL_MS,
  verifyPublicRequest,
} from './rights.requests.service.js';
import { REQUEST_KINDS, REQUEST_STATUSES } from './rights.requests.tables.js';

const Kind = Type.Enum(REQUEST_KINDS, { description: 'What the request asks for' });
const Status = Type.Enum(REQUEST_STATUSES);
const NullableText = Type.Union([Type.String(), Type.Null()]);

/** A request as its member sees it: due dates and outcomes, never a hold or staff notes. */
export const RightsRequestResponse = Type.Object(
  {
    id: Type.String(),
    kind: Kind,
    status: Status,
    purpose: NullableText,
    details: NullableText,
    receivedAt: Type.String({ description: 'ISO 8601 UTC' }),
    dueAt: Type.String({ description: 'YYYY-MM-DD: one calendar month, next working day' }),
    extendedDueAt: Type.Union([Type.String({ description: 'YYYY-MM-DD' }), Type.Null()]),
    extensionReason: NullableText,
    outcome: NullableText,
    refusalReason: NullableText,
    completedAt: NullableText,
  },
  { title: 'RightsRequest' },
);

const RequestList = Type.Object({
  items: Type.Array(RightsRequestResponse),
  nextCursor: Type.Null(),
});

const NewRequestBody = Type.Object(
  {
    kind: Kind,
    purpose: Type.Optional(
      Type.String({
        maxLength: 100,
        description: 'A purpose key; required for restriction, objection and withdrawal',
      }),
    ),
    details: Type.Optional(
      Type.String({ maxLength: 5000, description: 'Required for rectification' }),
    ),
  },
  { additionalProperties: false },
);

const NewRequestResponse = Type.Object({
  id: Type.String(),
  kind: Kind,
  status: Status,
  receivedAt: Type.String(),
  dueAt: Type.String(),
});

const ErasureBody = Type.Object(
  {
    password: Type.Optional(
      Type.String({
        maxLength: 1024,
        description:
          'Your password (members who log in only through a provider re-authenticate there)',
      }),
    ),
  },
  { additionalProperties: false },
);

async function memberIdOf(request: FastifyRequest): Promise<string> {
  const member = await getCurrentMember(request);
  // memberOnly already answered 401; this only narrows the type.
  if (!member) throw new AppError('unauthenticated', 'Please log in first.');
  return member.id;
}

function formText(values: Readonly<Record<string, string | readonly string[]>>, name: string) {
  const value = values[name];
  return typeof value === 'string' ? value : '';
}

/** Validation errors go back into the form; anything else is a fault for the error handler. */
function formErrorsOf(error: unknown): Record<string, string> | null {
  if (!isAppError(error) || error.code !== 'validation_failed') return null;
  return error.fields ?? { form: error.message };
}

export const requestsRoutes: FastifyPluginAsync = (instance) => {
  setRightsRegistry(instance.privacyRegistry);
  const app = instance.withTypeProvider<TypeBoxTypeProvider>();
  const db = instance.db;
  const timezone = instance.config.timezone;
  const deps = { issuer: receiptIssuerFor(instance), timezone };
  const limit = (budget: string) => ({ rateLimit: sensitiveRateLimit(instance.config, budget) });

  app.get(
    '/api/v1/me/requests',
    {
      preHandler: memberOnly,
      schema: {
        summary: 'Your rights requests, newest first, with their status and due dates',
        tags: ['rights'],
        response: { 200: RequestList, ...errorResponses(401) },
      },
    },
    async (request) => ({
      items: await listRequestsForSubject(db, await memberIdOf(request)),
      nextCursor: null,
    }),
  );

  app.post(
    '/api/v1/me/requests',
    {
      preHandler: memberOnly,
      schema: {
        summary: 'Make a rights request',
        description:
          "Due one calendar month after receipt (the next working day in England and Wales). A restriction, objection or withdrawal takes effect at once; the request then tracks the data protection officer's handling. Erasure goes through `DELETE /api/v1/me`.",
        tags: ['rights'],
        body: NewRequestBody,
        response: { 201: NewRequestResponse, ...errorResponses(400, 401, 403, 409, 415) },
      },
    },
    async (request, reply) => {
      const created = await submitMemberRequest(db, deps, await memberIdOf(request), request.body);
      return reply.code(201).send(created);
    },
  );

  app.delete(
    '/api/v1/me',
    {
      preHandler: memberOnly,
      config: limit('erasure'),
      schema: {
        summary: 'Erase your account',
        description:
          'Needs your password again. Log-in is disabled and every session ends at once; the erasure runs shortly after. Answers the request to follow.',
        tags: ['rights'],
        body: ErasureBody,
        response: {
          202: Type.Object({ requestId: Type.String() }),
          ...errorResponses(400, 401, 403, 415, 429),
        },
      },
    },
    async (request, reply) => {
      const memberId = await memberIdOf(request);
      await requireRecentAuthentication(request, {
        ...(request.body.password !== undefined ? { password: request.body.password } : {}),
        next: '/account/privacy',
      });
      const erasure = await requestOwnErasure(db, { memberId, timezone });
      return reply.code(202).send({ requestId: erasure.id });
    },
  );

  // --- The public form ------------------------------------------------------------------------

  app.get('/privacy/request', async (request, reply) =>
    reply.page(
      'Make a request about your data',
      PublicRequestPage({ csrfToken: request.csrfToken() }),
    ),
  );

  app.post('/privacy/request', { config: limit('rights-request') }, async (request, reply) => {
    const values = readFormValues(request.body);
    const showAgain = (errors: Record<string, string>) =>
      reply.page(
        'Make a request about your data',
        PublicRequestPage({ csrfToken: request.csrfToken(), values, errors }),
        { errors },
      );
    let requestId: string;
    try {
      requestId = await db.transaction().execute(async (trx) => {
        const { request: created, code } = await createPublicRequest(trx, {
          email: formText(values, 'email'),
          name: formText(values, 'name'),
          kind: formText(values, 'kind'),
          purpose: formText(values, 'purpose') || null,
          details: formText(values, 'details') || null,
          timezone,
        });
        // Sent whether or not the address has an account: the page must not tell them apart.
        await queueMail(trx, {
          to: formText(values, 'email').trim().toLowerCase(),
          toName: formText(values, 'name').trim(),
          subjectId: null,
          category: 'rights.request-code',
          subject: 'Your code to confirm your request about your data',
          text: [
            `Your code is ${code}.`,
            '',
            `Enter it on the page you came from within ${VERIFICATION_CODE_TTL_MS / 60_000} minutes to confirm your request.`,
            'If you did not ask us anything, ignore this email: nothing happens without the code.',
          ].join('\n'),
        });
        return created.id;
      });
    } catch (error) {
      const errors = formErrorsOf(error);
      if (!errors) throw error;
      return showAgain(errors);
    }
    return reply.redirect(`/privacy/request/verify?request=${encodeURIComponent(requestId)}`, 303);
  });

  app.get('/privacy/request/verify', async (request, reply) => {
    const requestId = (request.query as Record<string, unknown> | undefined)?.request;
    if (typeof requestId !== 'string' || requestId === '')
      return reply.redirect('/privacy/request', 303);
    return reply.page(
      'Enter your code',
      VerifyRequestPage({ csrfToken: request.csrfToken(), requestId }),
    );
  });

  app.post(
    '/privacy/request/verify',
    { config: limit('rights-request-verify') },
    async (request, reply) => {
      const values = readFormValues(request.body);
      const requestId = formText(values, 'request');
      try {
        const verified = await verifyPublicRequest(db, {
          requestId,
          code: formText(values, 'code'),
          timezone,
        });
        return reply.page('We have your request', RequestReceivedPage({ dueAt: verified.dueAt }));
      } catch (error) {
        const errors = formErrorsOf(error);
        if (!errors) throw error;
        return reply.page(
          'Enter your code',
          VerifyRequestPage({ csrfToken: request.csrfToken(), requestId, errors }),
          { errors },
        );
      }
    },
  );
  return Promise.resolve();
};
