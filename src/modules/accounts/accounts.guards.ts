/**
 * Who is asking, and may they? Server-side guards every route uses (STYLE.md point 5: a route
 * authorises before it calls a service). The member is loaded once per request from the
 * session, and refused when the account is not active (an erasure request disables log-in at
 * once, including sessions already open).
 */
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { fixedPlanValue, precompiledQuery, tablesOf } from '../../platform/db/database.js';
import { AppError } from '../../platform/http/errors.js';
import { STAFF_ROLES, type AccountsTables, type Role } from './accounts.tables.js';

export interface CurrentMember {
  id: string;
  email: string;
  firstName: string;
  surname: string;
  username: string;
  anonymousName: string | null;
  usesAnonymousName: boolean;
  /** The name shown on new content: the anonymous name when switched on. */
  displayName: string;
  roles: readonly Role[];
  isStaff: boolean;
  hasPassword: boolean;
  totpEnabled: boolean;
  /** True when this session passed the second factor (staff). */
  secondFactorPassed: boolean;
  sessionId: string;
}

/** Session data key set when the second factor was passed in this session. */
export const SECOND_FACTOR_KEY = 'secondFactorAt';

const loaded = new WeakMap<FastifyRequest, Promise<CurrentMember | null>>();

// Every authenticated request reads these two: compiled once (see precompiledQuery).
const userQuery = precompiledQuery(['id'], (db, values) =>
  tablesOf<AccountsTables>(db)
    .selectFrom('accounts_users')
    .selectAll()
    .where('id', '=', fixedPlanValue<string>(values.id, 'text')),
);
const rolesQuery = precompiledQuery(['userId'], (db, values) =>
  tablesOf<AccountsTables>(db)
    .selectFrom('accounts_roles')
    .select('role')
    .where('user_id', '=', fixedPlanValue<string>(values.userId, 'text')),
);

async function loadMember(request: FastifyRequest): Promise<CurrentMember | null> {
  const session = request.session;
  if (!session) return null;
  const db = request.server.db;
  const [user] = (await userQuery(db, { id: session.userId })).rows;
  if (!user || user.status !== 'active') return null;
  const { rows: roles } = await rolesQuery(db, { userId: user.id });
  const roleList: Role[] = [
    'member',
    ...roles.map((row) => row.role).filter((r) => r !== 'member'),
  ];
  const usesAnonymousName = user.use_anonymous_name === 1 && user.anonymous_name !== null;
  return {
    id: user.id,
    email: user.email,
    firstName: user.first_name,
    surname: user.surname,
    username: user.username,
    anonymousName: user.anonymous_name,
    usesAnonymousName,
    displayName: usesAnonymousName && user.anonymous_name ? user.anonymous_name : user.username,
    roles: roleList,
    isStaff: roleList.some((role) => STAFF_ROLES.includes(role)),
    hasPassword: user.password_hash !== null,
    totpEnabled: user.totp_enabled_at !== null,
    secondFactorPassed: typeof session.data[SECOND_FACTOR_KEY] === 'string',
    sessionId: session.id,
  };
}

/** The logged-in member of this request, or null. Loaded once per request. */
export function getCurrentMember(request: FastifyRequest): Promise<CurrentMember | null> {
  let member = loaded.get(request);
  if (!member) {
    member = loadMember(request);
    loaded.set(request, member);
  }
  return member;
}

/** Forgets the loaded member (after log-in, log-out or a profile change within the request). */
export function forgetCurrentMember(request: FastifyRequest): void {
  loaded.delete(request);
}

/** Sends HTML visitors to the log-in page (and back afterwards); API callers get 401. */
function refuseUnauthenticated(request: FastifyRequest, reply: FastifyReply): FastifyReply | never {
  const wantsHtml = request.method === 'GET' && !request.url.startsWith('/api/');
  if (wantsHtml) {
    return reply.redirect(`/login?next=${encodeURIComponent(request.url)}`, 303);
  }
  throw new AppError('unauthenticated', 'Please log in first.');
}

/** The member, or a 401 / redirect to /login. */
export async function requireMember(
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<CurrentMember | null> {
  const member = await getCurrentMember(request);
  if (!member) {
    refuseUnauthenticated(request, reply);
    return null;
  }
  return member;
}

/** A preHandler that lets only logged-in members through. */
export const memberOnly: preHandlerAsyncHookHandler = async (request, reply) => {
  await requireMember(request, reply);
};

/**
 * A preHandler that lets through members holding any of `roles`. Staff roles also need the
 * second factor passed in this session (staff must set up TOTP before /admin opens).
 */
export function rolesOnly(roles: readonly Role[]): preHandlerAsyncHookHandler {
  return async (request, reply) => {
    const member = await requireMember(request, reply);
    if (!member) return;
    if (!member.roles.some((role) => roles.includes(role))) {
      throw new AppError('forbidden', 'Your account cannot open this page.');
    }
    const needsSecondFactor = roles.some((role) => STAFF_ROLES.includes(role));
    if (needsSecondFactor && !member.secondFactorPassed) {
      if (request.method === 'GET' && !request.url.startsWith('/api/')) {
        await reply.redirect(member.totpEnabled ? '/login/totp' : '/account/two-factor', 303);
        return;
      }
      throw new AppError('forbidden', 'Staff must log in with their two-factor code first.');
    }
  };
}
