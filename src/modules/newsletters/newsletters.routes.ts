/**
 * The newsletters API: the catalogue (`GET /api/v1/newsletters/lists`) and the member's own
 * choices (`GET|PUT /api/v1/me/newsletters`, the `newsletters` shape of DESIGN.md §6). PUT
 * replaces the choices; each subscribe and unsubscribe is a consent event with a receipt.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { AppError, errorResponses } from '../../platform/http/errors.js';
import { receiptIssuerFor } from '../../privacy/consent/index.js';
import { currentNoticeVersion } from '../../privacy/notice/notice.service.js';
import { memberOnly, requireMember } from '../accounts/index.js';
import { parseNewsletterPreferences } from './newsletters.preferences.js';
import {
  NewsletterListsResponseSchema,
  NewslettersBodySchema,
  NewslettersResponseSchema,
  NewslettersUpdateResponseSchema,
} from './newsletters.schemas.js';
import {
  applyNewsletterPreferences,
  currentNewsletterPreferences,
  listNewsletterCatalogue,
} from './newsletters.service.js';

/** Needs a signed-in member: a session cookie or a Bearer token (the OpenAPI security schemes). */
const MEMBER_SECURITY: { [scheme: string]: string[] }[] = [{ bearer: [] }, { cookie: [] }];

/** The catalogue changes only when editors change it: a few minutes of caching is harmless. */
const LISTS_CACHE_CONTROL = 'public, max-age=300';

export const newslettersRoutes: FastifyPluginAsync = (fastify) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/api/v1/newsletters/lists',
    {
      schema: {
        summary: 'The newsletters on offer',
        tags: ['newsletters'],
        response: { 200: NewsletterListsResponseSchema },
      },
    },
    async (_request, reply) => {
      const catalogue = await listNewsletterCatalogue(app.db);
      void reply.header('cache-control', LISTS_CACHE_CONTROL);
      return {
        items: catalogue
          .filter((list) => list.active)
          .map(({ key, title, description, kind }) => ({ key, title, description, kind })),
      };
    },
  );

  app.get(
    '/api/v1/me/newsletters',
    {
      preHandler: memberOnly,
      schema: {
        summary: 'Your newsletter subscriptions',
        tags: ['newsletters'],
        security: MEMBER_SECURITY,
        response: { 200: NewslettersResponseSchema, ...errorResponses(401) },
      },
    },
    async (request, reply) => {
      const member = await requireMember(request, reply);
      if (!member) return reply;
      void reply.header('cache-control', 'no-store');
      return { newsletters: await currentNewsletterPreferences(app.db, member.id) };
    },
  );

  app.put(
    '/api/v1/me/newsletters',
    {
      preHandler: memberOnly,
      schema: {
        summary: 'Replace your newsletter subscriptions',
        description:
          'Subscribes to every list given and unsubscribes from every other. Each change is a consent event scoped `newsletter:<list>` with a signed receipt; unsubscribing from Pregnancy Weekly or Baby Monthly deletes the due date or birth dates.',
        tags: ['newsletters'],
        security: MEMBER_SECURITY,
        body: NewslettersBodySchema,
        response: {
          200: NewslettersUpdateResponseSchema,
          ...errorResponses(400, 401, 403, 409, 503),
        },
      },
    },
    async (request, reply) => {
      const member = await requireMember(request, reply);
      if (!member) return reply;
      const catalogue = await listNewsletterCatalogue(app.db);
      const parsed = parseNewsletterPreferences(request.body.newsletters, {
        catalogue,
        timeZone: app.config.timezone,
      });
      if (!parsed.ok) {
        throw new AppError('validation_failed', 'Some newsletter choices need fixing.', {
          fields: parsed.fields,
        });
      }
      const issuer = receiptIssuerFor(app);
      const result = await app.db.transaction().execute(async (trx) => {
        const noticeVersion = await currentNoticeVersion(trx);
        if (noticeVersion === null) {
          throw new AppError('service_unavailable', 'Hearth is starting up. Please try again.');
        }
        const changes = await applyNewsletterPreferences(trx, member.id, parsed.value, {
          method: 'api',
          noticeVersion,
          issuer,
          timeZone: app.config.timezone,
        });
        return { changes, newsletters: await currentNewsletterPreferences(trx, member.id) };
      });
      void reply.header('cache-control', 'no-store');
      return {
        newsletters: result.newsletters,
        changes: {
          subscribed: result.changes.subscribed,
          unsubscribed: result.changes.unsubscribed,
          updated: result.changes.updated,
        },
        receipts: result.changes.receipts.map(({ list, granted, receipt }) => ({
          list,
          granted,
          id: receipt.id,
          kid: receipt.kid,
          jws: receipt.jws,
        })),
      };
    },
  );
  return Promise.resolve();
};
