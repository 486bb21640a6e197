/**
 * Social log-in routes (accounts.oidc.ts explains the flow):
 *
 * - `GET /auth/oidc/:provider[?next=…][&reauth=1]` starts a log-in (or, with `reauth=1`, a
 *   re-authentication of the member already logged in) and sends the browser to the provider.
 * - `GET /auth/oidc/:provider/callback` takes the provider's answer, then logs in a linked
 *   identity, or hands a verified identity to one of the two pages below.
 * - `GET|POST /auth/oidc/link`: the password of the existing account with the same email,
 *   before the identity is linked to it.
 * - `GET|POST /auth/oidc/complete`: what registration needs that the provider did not give.
 *
 * The verified identity waits for those pages in a sealed cookie of its own (PENDING_COOKIE):
 * there is no session yet, and nothing is written until the person has answered.
 */
import type { CookieSerializeOptions } from '@fastify/cookie';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { isUniqueViolation, nowTime } from '../../platform/db/portable.js';
import { AppError } from '../../platform/http/errors.js';
import { sensitiveRateLimit } from '../../platform/http/rate-limit.js';
import {
  validateForm,
  type FieldErrors,
  type FormValues,
} from '../../platform/views/form-input.js';
import { receiptIssuerFor } from '../../privacy/consent/index.js';
import { listNewsletterCatalogue, parseNewsletterForm } from '../newsletters/index.js';
import { forgetCurrentMember, getCurrentMember } from './accounts.guards.js';
import {
  AUTHORIZATION_TTL_MS,
  EmailTakenError,
  OidcClients,
  OidcFlowError,
  PENDING_IDENTITY_TTL_MS,
  configuredProviders,
  createMemberFromIdentity,
  deriveOidcCookieKey,
  findAccountByEmail,
  findLinkedUser,
  finishAuthorization,
  isAuthorizationState,
  isProviderIdentity,
  linkIdentity,
  listLinkedProviders,
  recordSocialLogin,
  safeNextPath,
  sealValue,
  startAuthorization,
  unsealValue,
  type OidcFailureKind,
  type ProviderIdentity,
} from './accounts.oidc.js';
import {
  CompletionPage,
  FailurePage,
  LinkConfirmationPage,
  NoticePage,
  PasswordlessAccountPage,
  failureTitle,
  socialLoginHref,
} from './accounts.oidc.pages.js';
import {
  emailKey,
  clearLoginFailures,
  lockedUntil,
  recordLoginFailure,
} from './accounts.throttle.js';
import { findLocation } from './locations.js';
import { verifyPassword } from './passwords.js';
import { REAUTHENTICATED_AT_KEY } from './reauthentication.js';

/** The sealed state of a log-in in progress (state, nonce, PKCE verifier, where to go next). */
export const FLOW_COOKIE = 'hearth_oidc_flow';
/** The sealed verified identity waiting for the link or completion page. */
export const PENDING_COOKIE = 'hearth_oidc_pending';

const FAILURE_STATUS: Record<OidcFailureKind, number> = {
  denied: 403,
  invalid_state: 400,
  rejected: 400,
  unavailable: 503,
};

interface PendingIdentity {
  identity: ProviderIdentity & { email: string };
  next: string;
}

function isPendingIdentity(value: unknown): value is PendingIdentity {
  if (typeof value !== 'object' || value === null) return false;
  const pending = value as Record<string, unknown>;
  return (
    isProviderIdentity(pending.identity) &&
    typeof pending.identity.email === 'string' &&
    typeof pending.next === 'string'
  );
}

const LinkForm = Type.Object({ password: Type.String({ minLength: 1, maxLength: 1024 }) });

const CompletionForm = Type.Object({
  firstName: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  surname: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  location: Type.String({ minLength: 1, maxLength: 100 }),
});

export const oidcRoutes: FastifyPluginAsync = (app) => {
  const config = app.config;
  const clients = new OidcClients(config.oidcProviders, config.publicUrl);
  const cookieKey = deriveOidcCookieKey(app.secretKey);
  // Lax, so the cookie comes back on the provider's top-level redirect to the callback; scoped
  // to the social log-in routes, so no other request carries it.
  const cookieOptions: CookieSerializeOptions = {
    path: '/auth/oidc',
    httpOnly: true,
    sameSite: 'lax',
    secure: config.secureCookies,
  };
  const socialLimit = { rateLimit: sensitiveRateLimit(config, 'social-login') };
  // Confirming a link checks a password: it shares the log-in budget.
  const passwordLimit = { rateLimit: sensitiveRateLimit(config, 'login') };

  const labelOf = (name: string) => clients.provider(name)?.label ?? name;

  const showFailure = (reply: FastifyReply, kind: OidcFailureKind, provider: string | null) =>
    reply.page(
      failureTitle(kind),
      FailurePage({ kind, retryHref: provider ? socialLoginHref(provider) : null }),
      { status: FAILURE_STATUS[kind] },
    );

  const showNotice = (
    reply: FastifyReply,
    status: number,
    notice: { title: string; body: string; link: { href: string; label: string } },
  ) => reply.page(notice.title, NoticePage(notice), { status });

  const accountDisabled = (reply: FastifyReply) =>
    showNotice(reply, 403, {
      title: 'This account cannot log in',
      body: 'Log-in is switched off for this account, for example because its deletion was requested.',
      link: { href: '/', label: 'Go to the home page' },
    });

  const readPending = (request: FastifyRequest): PendingIdentity | null => {
    const value = unsealValue(cookieKey, PENDING_COOKIE, request.cookies[PENDING_COOKIE]);
    return isPendingIdentity(value) ? value : null;
  };

  /**
   * Logs the member in and sends them on. Staff have passed only one factor: the guards send
   * them to the TOTP step (or its set-up) before any staff page opens, as after a password.
   */
  const logIn = async (
    request: FastifyRequest,
    reply: FastifyReply,
    userId: string,
    next: string,
  ): Promise<FastifyReply> => {
    await request.startSession(userId);
    forgetCurrentMember(request);
    const member = await getCurrentMember(request);
    if (!member) return accountDisabled(reply);
    if (member.isStaff) {
      return reply.redirect(
        member.totpEnabled ? `/login/totp?next=${encodeURIComponent(next)}` : '/account/two-factor',
        303,
      );
    }
    return reply.redirect(next, 303);
  };

  app.get<{ Params: { provider: string }; Querystring: Record<string, unknown> }>(
    '/auth/oidc/:provider',
    { config: socialLimit },
    async (request, reply) => {
      const providerName = request.params.provider;
      if (!clients.provider(providerName)) return reply.callNotFound();
      const reauth = request.query.reauth === '1';
      const next = safeNextPath(request.query.next, reauth ? '/account' : '/');
      if (reauth && !(await getCurrentMember(request))) {
        return reply.redirect(`/login?next=${encodeURIComponent(request.url)}`, 303);
      }
      try {
        const { url, state } = await startAuthorization(clients, providerName, { next, reauth });
        reply.setCookie(
          FLOW_COOKIE,
          sealValue(cookieKey, FLOW_COOKIE, state, AUTHORIZATION_TTL_MS),
          {
            ...cookieOptions,
            maxAge: AUTHORIZATION_TTL_MS / 1000,
          },
        );
        return reply.redirect(url.href, 303);
      } catch (error) {
        if (!(error instanceof OidcFlowError)) throw error;
        request.log.warn({ provider: providerName, cause: String(error.cause) }, error.message);
        return showFailure(reply, error.kind, providerName);
      }
    },
  );

  app.get<{ Params: { provider: string } }>(
    '/auth/oidc/:provider/callback',
    { config: socialLimit },
    async (request, reply) => {
      const providerName = request.params.provider;
      if (!clients.provider(providerName)) return reply.callNotFound();
      // The flow state is single-use: dropped now, whatever the outcome.
      const state = unsealValue(cookieKey, FLOW_COOKIE, request.cookies[FLOW_COOKIE]);
      reply.clearCookie(FLOW_COOKIE, cookieOptions);
      if (!isAuthorizationState(state) || state.provider !== providerName) {
        return showFailure(reply, 'invalid_state', providerName);
      }

      let identity: ProviderIdentity;
      try {
        identity = await finishAuthorization(
          clients,
          state,
          new URL(request.url, config.publicUrl),
        );
      } catch (error) {
        if (!(error instanceof OidcFlowError)) throw error;
        request.log.warn({ provider: providerName, cause: String(error.cause) }, error.message);
        return showFailure(reply, error.kind, providerName);
      }

      const db = app.db;
      const linked = await findLinkedUser(db, identity.provider, identity.subject);

      if (state.reauth) {
        const session = request.session;
        if (!session) return showFailure(reply, 'invalid_state', providerName);
        if (!linked || linked.userId !== session.userId) {
          return showNotice(reply, 403, {
            title: 'That is not your linked account',
            body: `The ${labelOf(providerName)} account you logged in with is not the one linked to your Hearth account, so it cannot confirm it is you.`,
            link: { href: state.next, label: 'Go back' },
          });
        }
        await request.setSessionData({ ...session.data, [REAUTHENTICATED_AT_KEY]: nowTime() });
        return reply.redirect(state.next, 303);
      }

      if (linked) {
        if (linked.status !== 'active') return accountDisabled(reply);
        await db.transaction().execute((trx) => recordSocialLogin(trx, linked.userId, identity));
        return logIn(request, reply, linked.userId, state.next);
      }

      // Only an address the provider vouches for is used, to find an account or to make one:
      // an unverified one could be anybody's, and answering differently for a registered one
      // would reveal who is a member.
      if (identity.email === null || !identity.emailVerified) {
        return showNotice(reply, 403, {
          title: 'We need a verified email address',
          body: `${labelOf(providerName)} did not give us an email address it has verified, so we cannot use it to set up or find your Hearth account. Verify your address with ${labelOf(providerName)}, or join with the registration form.`,
          link: { href: '/register', label: 'Join with the registration form' },
        });
      }
      const pending: PendingIdentity = {
        identity: { ...identity, email: identity.email },
        next: state.next,
      };
      reply.setCookie(
        PENDING_COOKIE,
        sealValue(cookieKey, PENDING_COOKIE, pending, PENDING_IDENTITY_TTL_MS),
        { ...cookieOptions, maxAge: PENDING_IDENTITY_TTL_MS / 1000 },
      );
      const existing = await findAccountByEmail(db, identity.email);
      return reply.redirect(existing ? '/auth/oidc/link' : '/auth/oidc/complete', 303);
    },
  );

  // --- Linking to an existing account ----------------------------------------------------------

  const renderLink = async (
    request: FastifyRequest,
    reply: FastifyReply,
    pending: PendingIdentity,
    form: { errors?: FieldErrors; formError?: string } = {},
  ) => {
    const account = await findAccountByEmail(app.db, pending.identity.email);
    if (!account) return reply.redirect('/auth/oidc/complete', 303);
    if (account.status !== 'active') return accountDisabled(reply);
    const providerLabel = labelOf(pending.identity.provider);
    if (account.passwordHash === null) {
      const linked = new Set(await listLinkedProviders(app.db, account.id));
      return reply.page(
        'You already have a Hearth account',
        PasswordlessAccountPage({
          email: pending.identity.email,
          providerLabel,
          linkedProviders: configuredProviders(config).filter((p) => linked.has(p.name)),
        }),
        { status: 409 },
      );
    }
    return reply.page(
      `Link your ${providerLabel} account`,
      LinkConfirmationPage({
        csrfToken: request.csrfToken(),
        providerLabel,
        email: pending.identity.email,
        ...form,
      }),
      form.errors ? { errors: form.errors } : {},
    );
  };

  app.get('/auth/oidc/link', async (request, reply) => {
    const pending = readPending(request);
    if (!pending) return showFailure(reply, 'invalid_state', null);
    return renderLink(request, reply, pending);
  });

  app.post('/auth/oidc/link', { config: passwordLimit }, async (request, reply) => {
    const pending = readPending(request);
    if (!pending) return showFailure(reply, 'invalid_state', null);
    const form = validateForm(LinkForm, request.body, { password: 'Enter your Hearth password' });
    if (!form.ok) return renderLink(request, reply, pending, { errors: form.errors });

    const db = app.db;
    const account = await findAccountByEmail(db, pending.identity.email);
    if (!account || account.status !== 'active' || account.passwordHash === null) {
      return renderLink(request, reply, pending);
    }
    const key = emailKey(app.secretKey, pending.identity.email);
    if ((await lockedUntil(db, key)) !== null) {
      throw new AppError(
        'rate_limited',
        'Too many wrong passwords for this account. Please try again in a quarter of an hour.',
      );
    }
    if (!(await verifyPassword(account.passwordHash, form.value.password))) {
      await recordLoginFailure(db, key, account.id);
      return renderLink(request, reply, pending, {
        errors: { password: 'The password is not right' },
      });
    }

    try {
      await db.transaction().execute(async (trx) => {
        await linkIdentity(trx, account.id, pending.identity);
        await recordSocialLogin(trx, account.id, pending.identity);
      });
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      // Linked a moment ago in another tab: log in only if it was linked to this very account.
      const linked = await findLinkedUser(db, pending.identity.provider, pending.identity.subject);
      if (linked?.userId !== account.id) return showFailure(reply, 'invalid_state', null);
    }
    await clearLoginFailures(db, key);
    reply.clearCookie(PENDING_COOKIE, cookieOptions);
    return logIn(request, reply, account.id, pending.next);
  });

  // --- Completing a new account ----------------------------------------------------------------

  const renderCompletion = async (
    request: FastifyRequest,
    reply: FastifyReply,
    pending: PendingIdentity,
    form: { values?: FormValues; errors?: FieldErrors } = {},
  ) =>
    reply.page(
      'Finish joining Hearth',
      CompletionPage({
        csrfToken: request.csrfToken(),
        providerLabel: labelOf(pending.identity.provider),
        email: pending.identity.email,
        askFirstName: pending.identity.firstName === null,
        askSurname: pending.identity.surname === null,
        catalogue: await listNewsletterCatalogue(app.db),
        ...form,
      }),
      form.errors ? { errors: form.errors } : {},
    );

  app.get('/auth/oidc/complete', async (request, reply) => {
    const pending = readPending(request);
    if (!pending) return showFailure(reply, 'invalid_state', null);
    if (await findAccountByEmail(app.db, pending.identity.email)) {
      return reply.redirect('/auth/oidc/link', 303);
    }
    return renderCompletion(request, reply, pending);
  });

  app.post('/auth/oidc/complete', { config: socialLimit }, async (request, reply) => {
    const pending = readPending(request);
    if (!pending) return showFailure(reply, 'invalid_state', null);
    const { identity } = pending;
    const form = validateForm(CompletionForm, request.body, {
      firstName: 'Enter your first name (at most 100 characters)',
      surname: 'Enter your surname (at most 100 characters)',
      location: 'Choose where you live from the list',
    });
    const errors: Record<string, string> = form.ok ? {} : { ...form.errors };
    const firstName = identity.firstName ?? (form.ok ? form.value.firstName : undefined);
    const surname = identity.surname ?? (form.ok ? form.value.surname : undefined);
    const catalogue = await listNewsletterCatalogue(app.db);
    const newsletters = parseNewsletterForm(form.values, { catalogue, timeZone: config.timezone });
    if (!newsletters.ok) Object.assign(errors, newsletters.errors);
    if (form.ok) {
      if (firstName === undefined) errors.firstName = 'Enter your first name';
      if (surname === undefined) errors.surname = 'Enter your surname';
      if (!findLocation(form.value.location))
        errors.location = 'Choose where you live from the list';
    }
    // Answers the provider already gave are not the form's to report on.
    if (identity.firstName !== null) delete errors.firstName;
    if (identity.surname !== null) delete errors.surname;
    if (!form.ok || !newsletters.ok || Object.keys(errors).length > 0 || !firstName || !surname) {
      return renderCompletion(request, reply, pending, { values: form.values, errors });
    }

    let userId: string;
    try {
      userId = await createMemberFromIdentity(app.db, {
        identity,
        firstName,
        surname,
        locationId: form.value.location,
        newsletters: newsletters.value,
        issuer: receiptIssuerFor(app),
        timeZone: config.timezone,
      });
    } catch (error) {
      if (!(error instanceof EmailTakenError)) throw error;
      return reply.redirect('/auth/oidc/link', 303);
    }
    reply.clearCookie(PENDING_COOKIE, cookieOptions);
    return logIn(request, reply, userId, pending.next);
  });
  return Promise.resolve();
};
