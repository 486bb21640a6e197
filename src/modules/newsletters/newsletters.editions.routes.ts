/**
 * The editors' API for editions (`GET|POST /api/v1/newsletters/editions`,
 * `PUT /api/v1/newsletters/editions/{id}`, roles editor and admin) and the members' one-action
 * stops of life-stage mail (`POST /api/v1/me/newsletters/pregnancy/stop`,
 * `POST /api/v1/me/newsletters/babies/{babyId}/stop`), which ask no reason (issue 8 point 3),
 * with the form posts behind the buttons on `/account/newsletters`.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AppError, errorResponses } from '../../platform/http/errors.js';
import { receiptIssuerFor } from '../../privacy/consent/index.js';
import { currentNoticeVersion } from '../../privacy/notice/notice.service.js';
import { memberOnly, requireMember, rolesOnly } from '../accounts/index.js';
import {
  createEdition,
  listEditions,
  updateEdition,
  LAST_BABY_MONTH,
  LAST_PREGNANCY_WEEK,
  MAX_BODY_LENGTH,
  MAX_SUBJECT_LENGTH,
} from './newsletters.editions.js';
import { stopBabyMail, stopPregnancyMail, type StopOptions } from './newsletters.sending.js';
import type { DbExecutor } from '../../platform/db/database.js';

export const EDITOR_ROLES = ['editor', 'admin'] as const;

/** The button on `/account/newsletters` posts here (a form, so it works without JavaScript). */
export const STOP_PREGNANCY_FORM = '/account/newsletters/pregnancy/stop';

/** Each baby's button on `/account/newsletters` posts here. */
export function stopBabyFormPath(babyId: string): string {
  return `/account/newsletters/babies/${encodeURIComponent(babyId)}/stop`;
}

/** Where the stop buttons lead back to, with what was stopped (post, redirect, get). */
export const STOPPED_PREGNANCY_PAGE = '/account/newsletters?stopped=pregnancy';
export const STOPPED_BABY_PAGE = '/account/newsletters?stopped=baby';

const STAFF_SECURITY: { [scheme: string]: string[] }[] = [{ bearer: [] }, { cookie: [] }];

const EditionBodySchema = Type.Object(
  {
    list: Type.String({ maxLength: 100, description: 'A list key.' }),
    stage: Type.Optional(
      Type.Union([Type.Integer({ minimum: 0, maximum: LAST_BABY_MONTH }), Type.Null()], {
        description: `Pregnancy Weekly: the week (1–${LAST_PREGNANCY_WEEK}); Baby Monthly: the month of age (0–${LAST_BABY_MONTH}); general lists: absent.`,
      }),
    ),
    sendOn: Type.Optional(
      Type.Union([Type.String({ maxLength: 10 }), Type.Null()], {
        description: 'General lists only: the day it goes out, YYYY-MM-DD.',
      }),
    ),
    subject: Type.String({ maxLength: MAX_SUBJECT_LENGTH }),
    body: Type.String({ maxLength: MAX_BODY_LENGTH, description: 'Markdown.' }),
    status: Type.Union([Type.Literal('draft'), Type.Literal('ready')], {
      description: 'Only ready editions are sent.',
    }),
  },
  { additionalProperties: false },
);

const EditionSchema = Type.Object({
  id: Type.String(),
  list: Type.String(),
  kind: Type.String(),
  stage: Type.Union([Type.Integer(), Type.Null()]),
  sendOn: Type.Union([Type.String(), Type.Null()]),
  subject: Type.String(),
  body: Type.String(),
  status: Type.String(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

const StopResponseSchema = Type.Object({
  stopped: Type.Boolean({ description: 'False when there was nothing left to stop.' }),
  subscriptionRemoved: Type.Boolean(),
});

async function stopOptions(
  request: FastifyRequest,
  trx: DbExecutor,
  method: StopOptions['method'] = 'api',
): Promise<StopOptions> {
  const noticeVersion = await currentNoticeVersion(trx);
  if (noticeVersion === null) {
    throw new AppError('service_unavailable', 'Hearth is starting up. Please try again.');
  }
  return { method, noticeVersion, issuer: receiptIssuerFor(request.server) };
}

export const editionsRoutes: FastifyPluginAsync = (fastify) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const editorsOnly = rolesOnly([...EDITOR_ROLES]);

  app.get(
    '/api/v1/newsletters/editions',
    {
      preHandler: editorsOnly,
      schema: {
        summary: 'Every newsletter edition (editors)',
        tags: ['newsletters'],
        security: STAFF_SECURITY,
        querystring: Type.Object({ list: Type.Optional(Type.String({ maxLength: 100 })) }),
        response: {
          200: Type.Object({ items: Type.Array(EditionSchema) }),
          ...errorResponses(401, 403),
        },
      },
    },
    async (request, reply) => {
      void reply.header('cache-control', 'no-store');
      return { items: await listEditions(app.db, request.query.list) };
    },
  );

  app.post(
    '/api/v1/newsletters/editions',
    {
      preHandler: editorsOnly,
      schema: {
        summary: 'Write a newsletter edition (editors)',
        tags: ['newsletters'],
        security: STAFF_SECURITY,
        body: EditionBodySchema,
        response: { 201: EditionSchema, ...errorResponses(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const edition = await app.db.transaction().execute((trx) => createEdition(trx, request.body));
      return reply.code(201).send(edition);
    },
  );

  app.put(
    '/api/v1/newsletters/editions/:id',
    {
      preHandler: editorsOnly,
      schema: {
        summary: 'Change a newsletter edition (editors)',
        tags: ['newsletters'],
        security: STAFF_SECURITY,
        params: Type.Object({ id: Type.String({ maxLength: 100 }) }),
        body: EditionBodySchema,
        response: { 200: EditionSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const edition = await app.db
        .transaction()
        .execute((trx) => updateEdition(trx, request.params.id, request.body));
      return edition;
    },
  );

  app.post(
    '/api/v1/me/newsletters/pregnancy/stop',
    {
      preHandler: memberOnly,
      schema: {
        summary: 'Stop Pregnancy Weekly now',
        description:
          'Unsubscribes from Pregnancy Weekly and deletes the due date at once, without asking why. Letters resume only if you subscribe again.',
        tags: ['newsletters'],
        security: STAFF_SECURITY,
        response: { 200: StopResponseSchema, ...errorResponses(401, 403, 503) },
      },
    },
    async (request, reply) => {
      const member = await requireMember(request, reply);
      if (!member) return reply;
      const stopped = await app.db.transaction().execute(async (trx) => {
        return stopPregnancyMail(trx, member.id, await stopOptions(request, trx));
      });
      void reply.header('cache-control', 'no-store');
      return { stopped, subscriptionRemoved: stopped };
    },
  );

  app.post(
    '/api/v1/me/newsletters/babies/:babyId/stop',
    {
      preHandler: memberOnly,
      schema: {
        summary: 'Stop Baby Monthly letters about one baby now',
        description:
          'Deletes that baby’s date of birth at once, without asking why; with the last baby the subscription goes too.',
        tags: ['newsletters'],
        security: STAFF_SECURITY,
        params: Type.Object({ babyId: Type.String({ maxLength: 100 }) }),
        response: { 200: StopResponseSchema, ...errorResponses(401, 403, 404, 503) },
      },
    },
    async (request, reply) => {
      const member = await requireMember(request, reply);
      if (!member) return reply;
      const result = await app.db.transaction().execute(async (trx) => {
        return stopBabyMail(trx, member.id, request.params.babyId, await stopOptions(request, trx));
      });
      void reply.header('cache-control', 'no-store');
      return { stopped: true, ...result };
    },
  );
  app.post(STOP_PREGNANCY_FORM, { schema: { hide: true } }, async (request, reply) => {
    const member = await requireMember(request, reply);
    if (!member) return reply;
    await app.db.transaction().execute(async (trx) => {
      await stopPregnancyMail(trx, member.id, await stopOptions(request, trx, 'form'));
    });
    return reply.redirect(STOPPED_PREGNANCY_PAGE, 303);
  });
  app.post(
    '/account/newsletters/babies/:babyId/stop',
    { schema: { hide: true, params: Type.Object({ babyId: Type.String({ maxLength: 100 }) }) } },
    async (request, reply) => {
      const member = await requireMember(request, reply);
      if (!member) return reply;
      await app.db.transaction().execute(async (trx) => {
        await stopBabyMail(
          trx,
          member.id,
          request.params.babyId,
          await stopOptions(request, trx, 'form'),
        );
      });
      return reply.redirect(STOPPED_BABY_PAGE, 303);
    },
  );
  return Promise.resolve();
};
