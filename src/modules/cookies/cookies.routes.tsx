/**
 * The cookie platform's routes:
 *
 * - `GET /cookies`: the settings page; `POST /cookies`: the banner's and the page's form
 *   (CSRF-checked by the platform), then back where the person was (POST-redirect-GET);
 * - `GET|PUT /api/v1/cookies/choices`: the same as JSON; `POST /api/v1/cookies/gpc`: the
 *   client bundle reports `navigator.globalPrivacyControl`;
 * - `GET /.well-known/gpc.json`: that this site honours Global Privacy Control.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type, type Static } from 'typebox';
import { AppError, errorResponses } from '../../platform/http/errors.js';
import { isList, readFormValues } from '../../platform/views/form-input.js';
import { GPC_PURPOSE_KEYS } from './cookies.catalogue.js';
import { CHOICE_LIFETIME_SECONDS } from './cookies.choice-cookie.js';
import { COOKIES_PAGE, CookieSettingsPage } from './cookies.pages.js';
import { everything } from './cookies.service.js';
import type { CookieSettings, CookieState } from './cookies.state.js';

/** The day this site's Global Privacy Control support last changed (the gpc.json field). */
export const GPC_SUPPORT_UPDATED = '2026-11-29';

/** A path on this site to return to; anything else (another host, a scheme) goes home. */
export function safeReturnPath(value: unknown): string {
  if (typeof value !== 'string' || value.length > 500) return '/';
  return /^\/(?![/\\])[^\s\\]*$/.test(value) ? value : '/';
}

const CookieChoiceSchema = Type.Object(
  {
    purposes: Type.Array(Type.String(), {
      description: 'The purposes allowed (keys of the purpose catalogue).',
    }),
    partners: Type.Array(Type.String(), { description: 'The partners allowed (registry ids).' }),
    at: Type.String({ format: 'date-time' }),
    expiresAt: Type.String({ format: 'date-time', description: '13 months after `at` (P40).' }),
  },
  { additionalProperties: false },
);

const CookieChoicesResponseSchema = Type.Object(
  {
    choice: Type.Union([CookieChoiceSchema, Type.Null()], {
      description:
        'The choice in force; null before any choice, after 13 months or when the list changed.',
    }),
    effective: Type.Object({
      purposes: Type.Array(Type.String()),
      partners: Type.Array(Type.String()),
    }),
    gpc: Type.Object({
      signal: Type.Boolean({ description: 'This request carried Sec-GPC: 1.' }),
      honoured: Type.Boolean({ description: 'GPC switched the advertising purposes off.' }),
    }),
    catalogue: Type.Object({
      version: Type.String(),
      purposes: Type.Array(
        Type.Object({ key: Type.String(), title: Type.String(), description: Type.String() }),
      ),
      partners: Type.Array(
        Type.Object({
          id: Type.String(),
          name: Type.String(),
          description: Type.String(),
          purposes: Type.Array(Type.String()),
        }),
      ),
    }),
  },
  { additionalProperties: false },
);

const CookieChoicesBodySchema = Type.Object(
  {
    purposes: Type.Array(Type.String({ maxLength: 64 }), { maxItems: 50 }),
    partners: Type.Array(Type.String({ maxLength: 64 }), { maxItems: 200 }),
  },
  { additionalProperties: false },
);

function presentState(
  settings: CookieSettings,
  state: CookieState,
): Static<typeof CookieChoicesResponseSchema> {
  const choice = state.choice;
  return {
    choice: choice
      ? {
          purposes: [...choice.purposes],
          partners: [...choice.partners],
          at: choice.at.toISOString(),
          expiresAt: new Date(choice.at.getTime() + CHOICE_LIFETIME_SECONDS * 1000).toISOString(),
        }
      : null,
    effective: { purposes: [...state.purposes], partners: [...state.partners] },
    gpc: { signal: state.hasGpcSignal, honoured: state.isGpcHonoured },
    catalogue: {
      version: settings.catalogue.version,
      purposes: settings.catalogue.purposes.map(({ key, title, description }) => ({
        key,
        title,
        description,
      })),
      partners: settings.catalogue.partners.map(({ id, name, description, purposes }) => ({
        id,
        name,
        description,
        purposes: [...purposes],
      })),
    },
  };
}

function listOf(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  return isList(value) ? [...value] : [value];
}

const FORM_ACTIONS = ['accept-all', 'reject-all', 'save', 'manage'] as const;
type FormAction = (typeof FORM_ACTIONS)[number];

export function cookiesRoutes(
  fastify: FastifyInstance,
  settings: CookieSettings,
  tcf: () => { cmpId: number } | null,
): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.get<{ Querystring: { saved?: string } }>(COOKIES_PAGE, async (request, reply) => {
    const state = await settings.applyGpc(request, reply);
    const expiresAt = state.choice
      ? new Date(state.choice.at.getTime() + CHOICE_LIFETIME_SECONDS * 1000)
      : null;
    // The page shows this visitor's own choices: never from a shared cache.
    void reply.header('cache-control', 'no-store');
    return reply.page(
      'Cookie settings',
      <CookieSettingsPage
        csrfToken={request.csrfToken()}
        catalogue={settings.catalogue}
        state={state}
        isSaved={request.query.saved === '1'}
        tcf={tcf()}
        expiresAt={expiresAt}
      />,
      { description: 'Choose which optional cookies and partners Hearth may use.' },
    );
  });

  app.post(COOKIES_PAGE, async (request, reply) => {
    const values = readFormValues(request.body);
    const action = values.action;
    if (typeof action !== 'string' || !FORM_ACTIONS.includes(action as FormAction)) {
      throw new AppError('validation_failed', 'Choose Accept all, Reject all, Manage or Save.', {
        fields: { action: 'Choose Accept all, Reject all, Manage or Save.' },
      });
    }
    const returnTo = safeReturnPath(values.return);
    if (action === 'manage') return reply.redirect(COOKIES_PAGE, 303);
    const chosen =
      action === 'accept-all'
        ? everything(settings.catalogue)
        : action === 'reject-all'
          ? { purposes: [], partners: [] }
          : { purposes: listOf(values.purposes), partners: listOf(values.partners) };
    await settings.record(request, reply, {
      ...chosen,
      method: 'cmp',
      // Ticking an advertising purpose on the settings page is a specific act; "Accept all"
      // is not, so under GPC it leaves advertising off.
      isExplicitOptIn: action === 'save',
      hasClientSignal: values.gpc === '1',
    });
    const target = returnTo === COOKIES_PAGE ? `${COOKIES_PAGE}?saved=1` : returnTo;
    return reply.redirect(target, 303);
  });

  app.get(
    '/api/v1/cookies/choices',
    {
      schema: {
        summary: 'Your cookie choices',
        description:
          'The choice in force for this browser (from its choice cookie), what it allows after Global Privacy Control, and the purposes and partners on offer.',
        tags: ['cookies'],
        response: { 200: CookieChoicesResponseSchema },
      },
    },
    async (request, reply) => {
      void reply.header('cache-control', 'no-store');
      return presentState(settings, await settings.applyGpc(request, reply));
    },
  );

  app.put(
    '/api/v1/cookies/choices',
    {
      schema: {
        summary: 'Make or change your cookie choices',
        description:
          'Replaces the choice: the purposes and partners listed are allowed, every other is refused. Recorded in the consent ledger (method `cmp`) under the pseudonymous id in the choice cookie, and under the member when logged in; sets the choice cookie for 13 months. Under Global Privacy Control, listing an advertising purpose here is an explicit opt-in.',
        tags: ['cookies'],
        body: CookieChoicesBodySchema,
        response: { 200: CookieChoicesResponseSchema, ...errorResponses(400, 403, 409, 415) },
      },
    },
    async (request, reply) => {
      void reply.header('cache-control', 'no-store');
      const state = await settings.record(request, reply, {
        purposes: request.body.purposes,
        partners: request.body.partners,
        method: 'cmp',
        isExplicitOptIn: true,
        hasClientSignal: false,
      });
      return presentState(settings, state);
    },
  );

  app.post(
    '/api/v1/cookies/gpc',
    {
      schema: {
        summary: 'Report a Global Privacy Control signal',
        description:
          'Sent by the page script when `navigator.globalPrivacyControl` is true: switches the advertising purposes off (recorded with method `gpc`) unless the person opted in to them after the signal.',
        tags: ['cookies'],
        body: Type.Optional(Type.Object({}, { additionalProperties: false })),
        response: { 200: CookieChoicesResponseSchema, ...errorResponses(400, 403, 415) },
      },
    },
    async (request, reply) => {
      void reply.header('cache-control', 'no-store');
      const state = settings.stateOf(request);
      const choice = state.choice;
      const allowsGpcPurposes = choice?.purposes.some((key) =>
        GPC_PURPOSE_KEYS.includes(key as never),
      );
      if (!choice || choice.gpc === 'opt-in' || !allowsGpcPurposes) {
        return presentState(settings, state);
      }
      const updated = await settings.record(request, reply, {
        purposes: choice.purposes,
        partners: choice.partners,
        method: 'gpc',
        isExplicitOptIn: false,
        hasClientSignal: true,
      });
      return presentState(settings, updated);
    },
  );

  app.get(
    '/.well-known/gpc.json',
    {
      schema: {
        summary: 'Global Privacy Control support',
        tags: ['cookies'],
        response: {
          200: Type.Object({ gpc: Type.Boolean(), lastUpdate: Type.String({ format: 'date' }) }),
        },
      },
    },
    async (_request, reply: FastifyReply) => {
      void reply.header('cache-control', 'public, max-age=86400');
      return { gpc: true, lastUpdate: GPC_SUPPORT_UPDATED };
    },
  );
}
