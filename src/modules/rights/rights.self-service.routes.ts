/**
 * Self-service rights over the API (DESIGN.md §6) and the privacy center's form posts: export,
 * anonymise posts, consents and receipts, disclosures, restriction and objection. Thin routes:
 * validate, authorise (members only; export and anonymising also re-authenticate), call
 * rights.self-service.service.ts, answer an allowlisted shape.
 *
 * Form posts answer with a redirect back to `/account/privacy` (the page R3 renders). A refused
 * form post says why in the query, which the page shows next to the form:
 * `?exportError=password|rate_limited`, `?anonymiseError=`, `?consentError=` or `?limitError=`
 * followed by the error code; a form post that worked answers `?done=<notice>`.
 */
import { PassThrough } from 'node:stream';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { AppError, errorResponses, isAppError } from '../../platform/http/errors.js';
import { sensitiveRateLimit } from '../../platform/http/rate-limit.js';
import { readFormValues } from '../../platform/views/form-input.js';
import { receiptIssuerFor } from '../../privacy/consent/index.js';
import { getCurrentMember, memberOnly, requireRecentAuthentication } from '../accounts/index.js';
import {
  anonymiseOwnContributions,
  changeOwnConsent,
  exportFileName,
  exportOwnData,
  findOwnReceipt,
  liftOwnRestriction,
  listOwnConsents,
  listOwnDisclosures,
  listOwnProcessingLimits,
  objectToPurpose,
  restrictPurpose,
  withdrawOwnObjection,
} from './rights.self-service.service.js';

const TAGS = ['rights'];
const PRIVACY_CENTER = '/account/privacy';
const LIMITS_FORM = { anchor: 'limits', errorParam: 'limitError' };

const PasswordBody = Type.Object(
  { password: Type.String({ maxLength: 1024 }) },
  { additionalProperties: false },
);

const ZipDownload = Type.String({
  format: 'binary',
  description: 'The export ZIP: data.json, csv/<owner>/<table>.csv, facts.json, index.html',
});

const AnonymiseResponse = Type.Object({
  status: Type.Union([Type.Literal('completed'), Type.Literal('in-progress')]),
  total: Type.Integer(),
  tables: Type.Array(Type.Object({ table: Type.String(), count: Type.Integer() })),
});

const ConsentItem = Type.Object({
  purpose: Type.String(),
  scope: Type.String(),
  granted: Type.Boolean(),
  method: Type.String(),
  at: Type.String(),
  noticeVersion: Type.Integer(),
});

const PurposeParams = Type.Object({ purpose: Type.String({ minLength: 1, maxLength: 100 }) });

const ConsentBody = Type.Object(
  {
    granted: Type.Boolean(),
    scope: Type.Optional(Type.String({ maxLength: 202 })),
  },
  { additionalProperties: false },
);

const ConsentChangeResponse = Type.Object({
  consent: ConsentItem,
  receipt: Type.Object({
    id: Type.String(),
    kid: Type.String(),
    jws: Type.String({ description: 'Compact JWS; verify with /.well-known/jwks.json' }),
  }),
});

const ReceiptParams = Type.Object({ receiptId: Type.String({ minLength: 1, maxLength: 100 }) });

const DisclosureList = Type.Object({
  items: Type.Array(
    Type.Object({
      recipient: Type.String(),
      purpose: Type.String(),
      categories: Type.Array(Type.String()),
      basis: Type.String(),
      at: Type.String(),
    }),
  ),
});

const ProcessingLimitItem = Type.Object({
  id: Type.String(),
  kind: Type.Union([Type.Literal('restriction'), Type.Literal('objection')]),
  purpose: Type.String(),
  status: Type.String(),
  reason: Type.String(),
  recordedAt: Type.String(),
  override: Type.Union([
    Type.Object({
      reason: Type.String({ description: "The DPO's compelling legitimate reason (P53)" }),
      at: Type.String(),
    }),
    Type.Null(),
  ]),
  closedAt: Type.Union([Type.String(), Type.Null()]),
});

const LimitBody = Type.Object(
  {
    purpose: Type.String({ minLength: 1, maxLength: 100 }),
    reason: Type.Optional(Type.String({ maxLength: 4000 })),
  },
  { additionalProperties: false },
);

/** The member of a route behind `memberOnly`. */
async function memberOf(request: FastifyRequest) {
  const member = await getCurrentMember(request);
  if (!member) throw new AppError('unauthenticated', 'Please log in first.');
  return member;
}

function formText(values: Readonly<Record<string, string | readonly string[]>>, name: string) {
  const value = values[name];
  return typeof value === 'string' ? value : '';
}

/**
 * Runs a form post's action and goes back to the privacy center: `?done=<notice>` on success
 * (the page words each notice itself and never echoes the query), `?<errorParam>=<code>` for a
 * 4xx. Anything else is a fault and goes to the error handler.
 */
async function formAction(
  reply: FastifyReply,
  target: { anchor: string; errorParam: string },
  action: () => Promise<string>,
) {
  let notice: string;
  try {
    notice = await action();
  } catch (error) {
    if (!isAppError(error) || error.statusCode >= 500) throw error;
    return reply.redirect(
      `${PRIVACY_CENTER}?${target.errorParam}=${error.code}#${target.anchor}`,
      303,
    );
  }
  return reply.redirect(`${PRIVACY_CENTER}?done=${notice}#${target.anchor}`, 303);
}

/** A posted yes/no: the center's buttons send `true`/`false`; checkboxes send `on`. */
function formBoolean(value: string): boolean | null {
  if (value === 'true' || value === 'on' || value === '1') return true;
  if (value === 'false' || value === 'off' || value === '0') return false;
  return null;
}

/** Self-service: export, anonymise posts, consents, disclosures, restriction and objection. */
export const selfServiceRoutes: FastifyPluginAsync = (instance) => {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>();
  const db = app.db;
  const issuer = receiptIssuerFor(app);
  // Export and anonymising take the password: one strict budget, so neither can be used to
  // guess it faster than the other.
  const reauthenticationLimit = {
    rateLimit: sensitiveRateLimit(app.config, 'rights-reauthentication'),
  };

  /** Streams the ZIP; the member has re-authenticated. */
  const sendExport = async (reply: FastifyReply, memberId: string) => {
    const output = new PassThrough();
    void reply
      .header('content-disposition', `attachment; filename="${exportFileName()}"`)
      .header('cache-control', 'no-store')
      .type('application/zip')
      .send(output);
    await exportOwnData(db, app.privacyRegistry, memberId, output, {
      timezone: app.config.timezone,
    });
    return reply;
  };

  app.post(
    '/api/v1/me/export',
    {
      preHandler: memberOnly,
      config: reauthenticationLimit,
      schema: {
        summary: 'Download everything Hearth holds about me, as a ZIP (access and portability)',
        description:
          'Needs the password again. The ZIP is streamed: data.json, one CSV per table, facts.json and a readable index.html.',
        tags: TAGS,
        body: PasswordBody,
        response: { 200: ZipDownload, ...errorResponses(400, 401, 403, 415, 429) },
      },
    },
    async (request, reply) => {
      const member = await memberOf(request);
      await requireRecentAuthentication(request, {
        password: request.body.password,
        next: PRIVACY_CENTER,
      });
      return sendExport(reply, member.id);
    },
  );

  app.post(
    '/account/privacy/export',
    { preHandler: memberOnly, config: reauthenticationLimit },
    async (request, reply) => {
      const member = await memberOf(request);
      const values = readFormValues(request.body);
      try {
        await requireRecentAuthentication(request, {
          password: formText(values, 'password'),
          next: PRIVACY_CENTER,
        });
      } catch (error) {
        if (!isAppError(error)) throw error;
        const reason = error.code === 'rate_limited' ? 'rate_limited' : 'password';
        return reply.redirect(`${PRIVACY_CENTER}?exportError=${reason}#export`, 303);
      }
      return sendExport(reply, member.id);
    },
  );

  app.post(
    '/api/v1/me/anonymise-posts',
    {
      preHandler: memberOnly,
      config: reauthenticationLimit,
      schema: {
        summary: 'Anonymise my public contributions; my account stays',
        description:
          "Applies each owner's declared anonymisation to the rows I wrote. Needs the password again; running it twice changes nothing more.",
        tags: TAGS,
        body: PasswordBody,
        response: { 200: AnonymiseResponse, ...errorResponses(400, 401, 403, 415, 429) },
      },
    },
    async (request) => {
      const member = await memberOf(request);
      await requireRecentAuthentication(request, {
        password: request.body.password,
        next: PRIVACY_CENTER,
      });
      const outcome = await anonymiseOwnContributions(db, app.privacyRegistry, member.id);
      // A hold is for staff to know of (DESIGN.md §5.5): the member is told it is in hand.
      return {
        status: outcome.status === 'held' ? ('in-progress' as const) : ('completed' as const),
        total: outcome.total,
        tables: outcome.tables.map((table) => ({ table: table.table, count: table.count })),
      };
    },
  );

  app.post(
    '/account/privacy/anonymise-posts',
    { preHandler: memberOnly, config: reauthenticationLimit },
    async (request, reply) => {
      const member = await memberOf(request);
      const values = readFormValues(request.body);
      return formAction(reply, { anchor: 'names', errorParam: 'anonymiseError' }, async () => {
        await requireRecentAuthentication(request, {
          password: formText(values, 'password'),
          next: PRIVACY_CENTER,
        });
        const outcome = await anonymiseOwnContributions(db, app.privacyRegistry, member.id);
        return outcome.status === 'held' ? 'anonymise-pending' : 'anonymised';
      });
    },
  );

  app.get(
    '/api/v1/me/consents',
    {
      preHandler: memberOnly,
      schema: {
        summary: 'My current consent choices',
        tags: TAGS,
        response: { 200: Type.Object({ items: Type.Array(ConsentItem) }), ...errorResponses(401) },
      },
    },
    async (request) => ({ items: await listOwnConsents(db, (await memberOf(request)).id) }),
  );

  app.put(
    '/api/v1/me/consents/:purpose',
    {
      preHandler: memberOnly,
      schema: {
        summary: 'Give or withdraw consent for a purpose; answers the signed receipt',
        description:
          'A purpose that does not rest on consent answers 409: object to it or restrict it instead.',
        tags: TAGS,
        params: PurposeParams,
        body: ConsentBody,
        response: { 200: ConsentChangeResponse, ...errorResponses(400, 401, 403, 404, 409, 415) },
      },
    },
    async (request) => {
      const member = await memberOf(request);
      const { event, receipt } = await changeOwnConsent(db, issuer, member.id, {
        purpose: request.params.purpose,
        granted: request.body.granted,
        scope: request.body.scope,
        method: 'api',
      });
      return {
        consent: {
          purpose: event.purpose,
          scope: event.scope,
          granted: event.granted,
          method: event.method,
          at: event.at,
          noticeVersion: event.noticeVersion,
        },
        receipt,
      };
    },
  );

  app.get(
    '/api/v1/me/consents/receipts/:receiptId',
    {
      preHandler: memberOnly,
      schema: {
        summary: 'Download one of my consent receipts (compact JWS)',
        tags: TAGS,
        params: ReceiptParams,
        response: {
          200: Type.String({ description: 'The compact JWS, as application/jose' }),
          ...errorResponses(401, 404),
        },
      },
    },
    async (request, reply) => {
      const member = await memberOf(request);
      const jws = await findOwnReceipt(db, member.id, request.params.receiptId);
      return reply
        .type('application/jose')
        .header(
          'content-disposition',
          `attachment; filename="consent-receipt-${request.params.receiptId.replace(/[^A-Za-z0-9-]/g, '')}.jws"`,
        )
        .send(jws);
    },
  );

  app.post('/account/privacy/consents', { preHandler: memberOnly }, async (request, reply) => {
    const member = await memberOf(request);
    const values = readFormValues(request.body);
    const granted = formBoolean(formText(values, 'granted'));
    return formAction(reply, { anchor: 'consents', errorParam: 'consentError' }, async () => {
      if (granted === null) {
        throw new AppError('validation_failed', 'Choose whether to give or withdraw consent.');
      }
      await changeOwnConsent(db, issuer, member.id, {
        purpose: formText(values, 'purpose'),
        scope: formText(values, 'scope'),
        granted,
        method: 'form',
      });
      return 'consent';
    });
  });

  app.get(
    '/api/v1/me/disclosures',
    {
      preHandler: memberOnly,
      schema: {
        summary: 'Who received my data (P01)',
        tags: TAGS,
        response: { 200: DisclosureList, ...errorResponses(401) },
      },
    },
    async (request) => ({ items: await listOwnDisclosures(db, (await memberOf(request)).id) }),
  );

  app.get(
    '/api/v1/me/processing-limits',
    {
      preHandler: memberOnly,
      schema: {
        summary: 'My restrictions and objections, with any DPO decision',
        tags: TAGS,
        response: {
          200: Type.Object({ items: Type.Array(ProcessingLimitItem) }),
          ...errorResponses(401),
        },
      },
    },
    async (request) => ({
      items: await listOwnProcessingLimits(db, (await memberOf(request)).id),
    }),
  );

  for (const kind of ['objection', 'restriction'] as const) {
    const record = kind === 'objection' ? objectToPurpose : restrictPurpose;
    const close = kind === 'objection' ? withdrawOwnObjection : liftOwnRestriction;
    const plural = `${kind}s`;

    app.post(
      `/api/v1/me/${plural}`,
      {
        preHandler: memberOnly,
        schema: {
          summary:
            kind === 'objection'
              ? 'Object to a purpose (Art. 21): it stops at once unless a DPO records a legitimate reason'
              : 'Restrict a purpose (Art. 18): it stops at once until I lift the restriction',
          tags: TAGS,
          body: LimitBody,
          response: { 201: ProcessingLimitItem, ...errorResponses(400, 401, 403, 409, 415) },
        },
      },
      async (request, reply) => {
        const member = await memberOf(request);
        const limit = await record(db, member.id, request.body);
        return reply.code(201).send(limit);
      },
    );

    app.delete(
      `/api/v1/me/${plural}/:purpose`,
      {
        preHandler: memberOnly,
        schema: {
          summary:
            kind === 'objection' ? 'Withdraw my objection' : 'Lift my restriction of a purpose',
          tags: TAGS,
          params: PurposeParams,
          response: { 200: ProcessingLimitItem, ...errorResponses(401, 403, 404, 409) },
        },
      },
      async (request) => close(db, (await memberOf(request)).id, request.params.purpose),
    );

    app.post(`/account/privacy/${plural}`, { preHandler: memberOnly }, async (request, reply) => {
      const member = await memberOf(request);
      const values = readFormValues(request.body);
      return formAction(reply, LIMITS_FORM, async () => {
        await record(db, member.id, {
          purpose: formText(values, 'purpose'),
          reason: formText(values, 'reason'),
        });
        return kind;
      });
    });

    app.post(
      `/account/privacy/${plural}/${kind === 'objection' ? 'withdraw' : 'lift'}`,
      { preHandler: memberOnly },
      async (request, reply) => {
        const member = await memberOf(request);
        const values = readFormValues(request.body);
        return formAction(reply, LIMITS_FORM, async () => {
          await close(db, member.id, formText(values, 'purpose'));
          return kind === 'objection' ? 'withdrawn' : 'lifted';
        });
      },
    );
  }
  return Promise.resolve();
};
