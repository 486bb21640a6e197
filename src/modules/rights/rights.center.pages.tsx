/**
 * The privacy center at /account/privacy and the DPO's desk in /admin. The center only reads:
 * every form on it posts to the self-service and request routes, which re-check everything.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { DbExecutor } from '../../platform/db/database.js';
import { AppError, isAppError } from '../../platform/http/errors.js';
import { readFormValues } from '../../platform/views/form-input.js';
import {
  currentConsents,
  listConsentHistory,
  listProcessingLimits,
  receiptIssuerFor,
} from '../../privacy/consent/index.js';
import { listDisclosures } from '../../privacy/disclosures/index.js';
import { PURPOSE_KEYS, PURPOSES, type Purpose } from '../../privacy/purposes.js';
import {
  forgetCurrentMember,
  getCurrentMember,
  memberOnly,
  requireRecentAuthentication,
  type CurrentMember,
} from '../accounts/index.js';
import {
  ErasureReceivedPage,
  PrivacyCenterPage,
  type CenterSection,
  type ConsentRow,
  type MemberRequestView,
} from './rights.center.views.js';
import { dpoPages } from './rights.dpo.pages.js';
import {
  listRequestsForSubject,
  requestOwnErasure,
  submitMemberRequest,
} from './rights.requests.service.js';

const ALL_PURPOSES: readonly Purpose[] = PURPOSE_KEYS.map((key) => PURPOSES[key]);
const CONSENT_PURPOSES = ALL_PURPOSES.filter((purpose) => purpose.isConsentBased);
const OBJECTABLE_PURPOSES = ALL_PURPOSES.filter((purpose) => purpose.canObject);
// Consent is withdrawn, not restricted; purposes with an Art. 18(2) exemption carry on anyway,
// so offering to restrict them would promise what we cannot do.
const RESTRICTABLE_PURPOSES = ALL_PURPOSES.filter(
  (purpose) => !purpose.isConsentBased && purpose.restrictionExemption === undefined,
);

/**
 * Messages the routes behind the forms ask for by key after they redirect back: the page never
 * echoes text from the query string, so a crafted link cannot put words in Hearth's mouth.
 */
const NOTICES: Readonly<Record<string, string>> = {
  consent: 'Your choice is saved. It applies from now on.',
  objection: 'Your objection is recorded. We have stopped this use of your data.',
  restriction: 'Your restriction is recorded. We have paused this use of your data.',
  lifted: 'Your restriction is lifted.',
  withdrawn: 'Your objection is withdrawn.',
  anonymised: 'Your name is removed from your posts.',
  'anonymise-pending': 'We are handling your request to remove your name from your posts.',
  request: 'Your request is received. You can follow it below.',
};

/** What a refused form post (`?<section>Error=<code>`, see the self-service routes) means. */
function errorMessage(code: string): string {
  switch (code) {
    case 'password':
    case 'reauthentication_required':
      return 'That password is not right. Try again.';
    case 'rate_limited':
      return 'Too many tries. Please wait a few minutes and try again.';
    case 'conflict':
      return 'That is already in place, or cannot be done for this use of your data.';
    case 'not_found':
      return 'There is nothing of that kind to change.';
    default:
      return 'That did not work. Check what you chose and try again.';
  }
}

/** The anonymise form appears only once a form route stands behind it (the self-service routes own it). */
const ANONYMISE_FORM_ROUTE = { method: 'POST', url: '/account/privacy/anonymise-posts' } as const;

const CenterQuery = Type.Object({
  done: Type.Optional(Type.String({ maxLength: 40 })),
  exportError: Type.Optional(Type.String({ maxLength: 40 })),
  consentError: Type.Optional(Type.String({ maxLength: 40 })),
  deleteError: Type.Optional(Type.String({ maxLength: 40 })),
  anonymiseError: Type.Optional(Type.String({ maxLength: 40 })),
  limitError: Type.Optional(Type.String({ maxLength: 40 })),
  requestError: Type.Optional(Type.String({ maxLength: 40 })),
});

async function consentRows(db: DbExecutor, memberId: string): Promise<ConsentRow[]> {
  const [current, history] = await Promise.all([
    currentConsents(db, memberId),
    listConsentHistory(db, memberId),
  ]);
  return CONSENT_PURPOSES.map((purpose) => {
    // The center switches the whole purpose; a scoped choice (one newsletter) is made where
    // that thing lives, so only the unscoped choice is shown here.
    const choice = current.find((each) => each.purpose === purpose.key && each.scope === '');
    const event = choice
      ? history.find(
          (each) => each.purpose === purpose.key && each.scope === '' && each.at === choice.at,
        )
      : undefined;
    return {
      purpose,
      granted: choice ? choice.granted : null,
      at: choice?.at ?? null,
      receiptId: event?.receiptId ?? null,
    };
  });
}

/** The member the guard let through (the guard ran first, so this only narrows the type). */
async function member(request: FastifyRequest): Promise<CurrentMember> {
  const current = await getCurrentMember(request);
  if (!current) throw new AppError('unauthenticated', 'Please log in first.');
  return current;
}

export const centerPages: FastifyPluginAsync = async (fastify) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/account/privacy',
    { preHandler: memberOnly, schema: { querystring: CenterQuery, hide: true } },
    async (request, reply) => {
      const viewer = await member(request);
      const [consents, disclosures, limits, requests] = await Promise.all([
        consentRows(app.db, viewer.id),
        listDisclosures(app.db, viewer.id),
        listProcessingLimits(app.db, viewer.id),
        listRequestsForSubject(app.db, viewer.id),
      ]);
      const query = request.query;
      const errors: Partial<Record<CenterSection, string>> = {};
      if (query.exportError) errors.export = errorMessage(query.exportError);
      if (query.consentError) errors.consents = errorMessage(query.consentError);
      if (query.deleteError) errors.delete = errorMessage(query.deleteError);
      if (query.anonymiseError) errors.anonymise = errorMessage(query.anonymiseError);
      if (query.limitError) errors.limits = errorMessage(query.limitError);
      if (query.requestError) errors.requests = errorMessage(query.requestError);
      const requestViews: MemberRequestView[] = requests.map((each) => ({
        id: each.id,
        kind: each.kind,
        status: each.status,
        purpose: each.purpose,
        receivedAt: each.receivedAt,
        dueAt: each.dueAt,
        extendedDueAt: each.extendedDueAt,
        extensionReason: each.extensionReason,
        refusalReason: each.refusalReason,
        completedAt: each.completedAt,
      }));
      return reply.page(
        'Your privacy',
        <PrivacyCenterPage
          csrfToken={request.csrfToken()}
          timezone={app.config.timezone}
          consents={consents}
          disclosures={disclosures}
          requests={requestViews}
          limits={limits}
          objectable={OBJECTABLE_PURPOSES}
          restrictable={RESTRICTABLE_PURPOSES}
          notice={query.done ? NOTICES[query.done] : undefined}
          errors={errors}
          canAnonymisePosts={app.hasRoute(ANONYMISE_FORM_ROUTE)}
        />,
      );
    },
  );

  // The same filing as POST /api/v1/me/requests, from the page: rectification and the like.
  app.post('/account/privacy/requests', { preHandler: memberOnly }, async (request, reply) => {
    const viewer = await member(request);
    const values = readFormValues(request.body);
    const text = (name: string) => (typeof values[name] === 'string' ? values[name] : '');
    try {
      await submitMemberRequest(
        app.db,
        { issuer: receiptIssuerFor(app), timezone: app.config.timezone },
        viewer.id,
        { kind: text('kind'), details: text('details').trim() || null },
      );
    } catch (error) {
      if (!isAppError(error) || error.statusCode >= 500) throw error;
      return reply.redirect(`/account/privacy?requestError=${error.code}#requests`, 303);
    }
    return reply.redirect('/account/privacy?done=request#requests', 303);
  });

  app.post('/account/privacy/delete', { preHandler: memberOnly }, async (request, reply) => {
    const viewer = await member(request);
    const values = readFormValues(request.body);
    const password = typeof values.password === 'string' ? values.password : '';
    try {
      await requireRecentAuthentication(request, { password, next: '/account/privacy' });
    } catch (error) {
      if (!isAppError(error) || error.statusCode >= 500) throw error;
      return reply.redirect(`/account/privacy?deleteError=${error.code}#delete`, 303);
    }
    // Log-in is disabled and every session revoked in the same transaction that files the
    // request and queues the erasure job (the same steps as DELETE /api/v1/me).
    const filed = await requestOwnErasure(app.db, {
      memberId: viewer.id,
      timezone: app.config.timezone,
    });
    forgetCurrentMember(request);
    return reply.page('Your account is being deleted', <ErasureReceivedPage request={filed} />, {
      user: null,
    });
  });

  await app.register(dpoPages);
};
