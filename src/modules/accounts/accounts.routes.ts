/**
 * The accounts JSON API (DESIGN.md §6): /api/v1/auth/* and /api/v1/me. Thin routes: validate,
 * authorise, call the service, answer an allowlisted shape.
 *
 * Log-in answers `{token}` (a Bearer session, for apps) AND sets the session cookie (for a
 * browser calling the API): two sessions, each listed and revocable on its own; log-out revokes
 * only the one presented.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import { AppError, errorResponses } from '../../platform/http/errors.js';
import { sensitiveRateLimit } from '../../platform/http/rate-limit.js';
import type { SessionData } from '../../platform/http/request-context.js';
import {
  createBearerSession,
  listSessionsForUser,
  revokeSession,
} from '../../platform/http/sessions.js';
import { receiptIssuerFor } from '../../privacy/consent/index.js';
import {
  forgetCurrentMember,
  getCurrentMember,
  memberOnly,
  SECOND_FACTOR_KEY,
  type CurrentMember,
} from './accounts.guards.js';
import {
  EmailBody,
  LoginBody,
  LoginResponse,
  ProfilePatch,
  ProfileResponse,
  RegisterBody,
  ResetConfirmBody,
  SessionList,
  SessionParams,
  StatusResponse,
  TokenBody,
  TokenResponse,
  TotpBody,
} from './accounts.schemas.js';
import {
  authenticateWithPassword,
  completeLoginChallenge,
  confirmPasswordReset,
  issueLoginChallenge,
  loadProfile,
  recordLogin,
  registerMember,
  requestPasswordReset,
  resendVerification,
  updateProfile,
  verifyEmailToken,
  type AccountsDeps,
} from './accounts.service.js';
import { requireRecentAuthentication } from './reauthentication.js';

export function accountsDepsOf(app: FastifyInstance): AccountsDeps {
  return {
    publicUrl: app.config.publicUrl,
    secretKey: app.secretKey,
    issuer: receiptIssuerFor(app),
    timezone: app.config.timezone,
  };
}

/**
 * Re-authentication for a new password, with the error naming the `currentPassword` field of
 * the profile (the re-authentication check calls it `password`, which here is the new one).
 */
export async function reauthenticateForNewPassword(
  request: FastifyRequest,
  currentPassword: string | undefined,
): Promise<void> {
  try {
    await requireRecentAuthentication(request, {
      ...(currentPassword !== undefined ? { password: currentPassword } : {}),
      next: '/account',
    });
  } catch (error) {
    if (error instanceof AppError && error.fields?.password !== undefined) {
      throw new AppError(error.code, error.message, {
        fields: { currentPassword: error.fields.password },
      });
    }
    throw error;
  }
}

/** Opens the API's two sessions after a complete log-in and returns the Bearer token. */
async function openApiSessions(
  request: FastifyRequest,
  userId: string,
  data: SessionData,
): Promise<{ token: string }> {
  const app = request.server;
  const { token } = await createBearerSession(app.db, userId, {
    ttlDays: app.config.sessionTtlDays,
    data,
  });
  await request.startSession(userId, data);
  forgetCurrentMember(request);
  return { token };
}

export const accountsRoutes: FastifyPluginAsync = (instance) => {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>();
  const deps = accountsDepsOf(instance);
  const db = instance.db;
  const limit = (budget: string) => ({ rateLimit: sensitiveRateLimit(instance.config, budget) });

  app.post(
    '/api/v1/auth/register',
    {
      config: limit('register'),
      schema: {
        summary: 'Register a member; a verification mail follows',
        description:
          'Answers the same whether or not the address is registered: a registered address receives a "you already have an account" mail instead.',
        tags: ['accounts'],
        body: RegisterBody,
        response: { 201: StatusResponse, ...errorResponses(400, 403, 415, 429) },
      },
    },
    async (request, reply) => {
      await registerMember(
        db,
        deps,
        { ...request.body, newsletters: request.body.newsletters ?? [] },
        'api',
      );
      return reply.code(201).send({ status: 'verification-sent' });
    },
  );

  app.post(
    '/api/v1/auth/verify-email',
    {
      config: limit('verify'),
      schema: {
        summary: 'Follow an email verification (or email change) link',
        tags: ['accounts'],
        body: TokenBody,
        response: { 200: StatusResponse, ...errorResponses(400, 403, 409, 415, 429) },
      },
    },
    async (request) => ({ status: await verifyEmailToken(db, deps, request.body.token) }),
  );

  app.post(
    '/api/v1/auth/verify-email/resend',
    {
      config: limit('verify'),
      schema: {
        summary: 'Send a new verification link (answers the same for any address)',
        tags: ['accounts'],
        body: EmailBody,
        response: { 202: StatusResponse, ...errorResponses(400, 403, 415, 429) },
      },
    },
    async (request, reply) => {
      await resendVerification(db, deps, request.body.email);
      return reply.code(202).send({ status: 'verification-sent' });
    },
  );

  app.post(
    '/api/v1/auth/login',
    {
      config: limit('login'),
      schema: {
        summary: 'Log in with email and password',
        description:
          'Answers `{token}` (a Bearer session) and sets the session cookie; staff with two-factor log-in get `{totpRequired, challenge}` for /api/v1/auth/login/totp.',
        tags: ['accounts'],
        body: LoginBody,
        response: { 200: LoginResponse, ...errorResponses(400, 401, 403, 415, 429) },
      },
    },
    async (request) => {
      const member = await authenticateWithPassword(
        db,
        deps,
        request.body.email,
        request.body.password,
      );
      if (member.isStaff && member.totpEnabled) {
        return {
          totpRequired: true as const,
          challenge: await issueLoginChallenge(db, member.userId),
        };
      }
      await recordLogin(db, member.userId);
      return openApiSessions(request, member.userId, {});
    },
  );

  app.post(
    '/api/v1/auth/login/totp',
    {
      config: limit('login'),
      schema: {
        summary: "The second log-in step for staff: the challenge and the authenticator's code",
        tags: ['accounts'],
        body: TotpBody,
        response: { 200: TokenResponse, ...errorResponses(400, 401, 403, 415, 429) },
      },
    },
    async (request) => {
      const userId = await completeLoginChallenge(
        db,
        deps,
        request.body.challenge,
        request.body.code,
      );
      await recordLogin(db, userId);
      return openApiSessions(request, userId, { [SECOND_FACTOR_KEY]: new Date().toISOString() });
    },
  );

  app.post(
    '/api/v1/auth/logout',
    {
      schema: {
        summary: 'Log out: revokes the credential presented (cookie or Bearer token)',
        tags: ['accounts'],
        response: { 204: { type: 'null', description: 'Logged out' }, ...errorResponses(403, 415) },
      },
    },
    async (request, reply) => {
      await request.endSession();
      forgetCurrentMember(request);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/api/v1/auth/password-reset',
    {
      config: limit('reset'),
      schema: {
        summary: 'Ask for a password reset link (answers the same for any address)',
        tags: ['accounts'],
        body: EmailBody,
        response: { 202: StatusResponse, ...errorResponses(400, 403, 415, 429) },
      },
    },
    async (request, reply) => {
      await requestPasswordReset(db, deps, request.body.email);
      return reply.code(202).send({ status: 'reset-sent' });
    },
  );

  app.post(
    '/api/v1/auth/password-reset/confirm',
    {
      config: limit('reset'),
      schema: {
        summary: 'Choose a new password with a reset link; every session is logged out',
        tags: ['accounts'],
        body: ResetConfirmBody,
        response: { 200: StatusResponse, ...errorResponses(400, 403, 415, 429) },
      },
    },
    async (request) => {
      await confirmPasswordReset(db, deps, request.body.token, request.body.password);
      return { status: 'password-changed' };
    },
  );

  app.get(
    '/api/v1/me',
    {
      preHandler: memberOnly,
      schema: {
        summary: 'Your profile',
        tags: ['accounts'],
        response: { 200: ProfileResponse, ...errorResponses(401) },
      },
    },
    async (request) => loadProfile(db, (await memberOf(request)).id),
  );

  app.patch(
    '/api/v1/me',
    {
      preHandler: memberOnly,
      schema: {
        summary: 'Change your profile',
        description:
          'Name, location and password take effect at once; a new email address once the link sent to it is followed. A new password needs `currentPassword` and logs out your other sessions. `anonymous` switches the name shown on new content.',
        tags: ['accounts'],
        body: ProfilePatch,
        response: { 200: ProfileResponse, ...errorResponses(400, 401, 403, 415, 429) },
      },
    },
    async (request) => {
      const member = await memberOf(request);
      const { currentPassword, ...changes } = request.body;
      if (changes.password !== undefined) {
        await reauthenticateForNewPassword(request, currentPassword);
      }
      const profile = await updateProfile(
        db,
        deps,
        { id: member.id, sessionId: member.sessionId },
        changes,
      );
      forgetCurrentMember(request);
      return profile;
    },
  );

  app.get(
    '/api/v1/me/sessions',
    {
      preHandler: memberOnly,
      schema: {
        summary: 'Where you are logged in: your sessions and app tokens',
        tags: ['accounts'],
        response: { 200: SessionList, ...errorResponses(401) },
      },
    },
    async (request) => {
      const member = await memberOf(request);
      const sessions = await listSessionsForUser(db, member.id);
      return {
        items: sessions.map((session) => ({
          ...session,
          current: session.id === member.sessionId,
        })),
        nextCursor: null,
      };
    },
  );

  app.delete(
    '/api/v1/me/sessions/:id',
    {
      preHandler: memberOnly,
      schema: {
        summary: 'Revoke one of your sessions (log it out)',
        tags: ['accounts'],
        params: SessionParams,
        response: {
          204: { type: 'null', description: 'Revoked' },
          ...errorResponses(401, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const member = await memberOf(request);
      if (!(await revokeSession(db, member.id, request.params.id))) {
        throw new AppError('not_found', 'You have no session with this id.');
      }
      return reply.code(204).send(null);
    },
  );
  return Promise.resolve();
};

/** The member behind a request that `memberOnly` let through. */
async function memberOf(request: FastifyRequest): Promise<CurrentMember> {
  const member = await getCurrentMember(request);
  if (!member) throw new AppError('unauthenticated', 'Please log in first.');
  return member;
}
