/**
 * The published notice: `/privacy`, `/privacy/changes`, `/privacy/versions/:version` and
 * `GET /api/v1/privacy/notice` (DESIGN.md §5.8). On the first start, version 1 is published
 * from the shipped or operator prose when none exists yet.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { AppError, errorResponses } from '../../platform/http/errors.js';
import { noticeChangesBody, noticePageBody } from './notice.pages.js';
import { loadNoticeProse } from './notice.prose.js';
import {
  NoticeQuerySchema,
  NoticeVersionResponseSchema,
  VersionParamsSchema,
} from './notice.schemas.js';
import { partnersInUse } from '../partners.js';
import {
  currentNotice,
  currentNoticeVersion,
  ensureNoticePublished,
  findNoticeVersion,
  listNoticeVersions,
} from './notice.service.js';

const NOTICE_DESCRIPTION =
  'What personal data we collect, why, on what legal basis, how long we keep it, who receives it, and your rights.';

export const noticeRoutes: FastifyPluginAsync = (fastify) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.addHook('onReady', async () => {
    const result = await ensureNoticePublished(
      app.db,
      app.privacyRegistry,
      loadNoticeProse(app.config.dataDir),
      partnersInUse(app.config),
    );
    if (result.published) app.log.info({ version: 1 }, 'published the first privacy notice');
  });

  app.get('/privacy', async (_request, reply) => {
    const notice = await currentNotice(app.db);
    if (!notice) throw new AppError('not_found', 'No privacy notice is published yet.');
    return reply.page('Privacy notice', noticePageBody({ notice, timezone: app.config.timezone }), {
      description: NOTICE_DESCRIPTION,
    });
  });

  app.get('/privacy/changes', async (_request, reply) => {
    const versions = await listNoticeVersions(app.db);
    return reply.page(
      'Changes to our privacy notice',
      noticeChangesBody({ versions, timezone: app.config.timezone }),
      { description: 'Every version of our privacy notice, with its date and what changed.' },
    );
  });

  app.get(
    '/privacy/versions/:version',
    { schema: { params: VersionParamsSchema, hide: true } },
    async (request, reply) => {
      const notice = await findNoticeVersion(app.db, request.params.version);
      if (!notice) {
        throw new AppError('not_found', 'There is no version of the notice with that number.');
      }
      const latest = await currentNoticeVersion(app.db);
      return reply.page(
        `Privacy notice, version ${notice.version}`,
        noticePageBody({
          notice,
          timezone: app.config.timezone,
          ...(latest !== null && latest !== notice.version ? { newerVersion: latest } : {}),
        }),
        { description: NOTICE_DESCRIPTION },
      );
    },
  );

  app.get(
    '/api/v1/privacy/notice',
    {
      schema: {
        summary: 'The published privacy notice',
        description:
          'The current version of the privacy notice (or the version asked for), with the facts it states: what is collected per feature, why, on what legal basis, for how long, who receives it, transfers outside the UK and EEA with their safeguards, and whom to contact.',
        tags: ['privacy'],
        querystring: NoticeQuerySchema,
        response: { 200: NoticeVersionResponseSchema, ...errorResponses(400, 404) },
      },
    },
    async (request) => {
      const asked = request.query.version;
      const notice =
        asked === undefined ? await currentNotice(app.db) : await findNoticeVersion(app.db, asked);
      if (!notice) {
        throw new AppError(
          'not_found',
          asked === undefined
            ? 'No privacy notice is published yet.'
            : `Version ${asked} of the privacy notice does not exist.`,
        );
      }
      return notice;
    },
  );
  return Promise.resolve();
};
