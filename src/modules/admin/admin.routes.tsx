/**
 * The staff area's routes. Every page is behind `rolesOnly(STAFF_ROLES)` (a staff role and the
 * second factor passed in this session); pages holding members' personal data are behind the
 * narrower role that needs them (P46), checked on the server whatever the navigation shows.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ComponentChildren } from 'preact';
import { Type } from 'typebox';
import { AppError } from '../../platform/http/errors.js';
import { getCaughtMail, listCaughtMail } from '../../platform/mail/mail.catcher.js';
import { MailInputError } from '../../platform/mail/mail.outbox.js';
import type { AdminNavEntry } from '../../platform/module.js';
import { validateForm, type FieldErrors } from '../../platform/views/form-input.js';
import { appendAudit } from '../../privacy/audit/audit.service.js';
import {
  getCurrentMember,
  rolesOnly,
  STAFF_ROLES,
  type CurrentMember,
  type Role,
} from '../accounts/index.js';
import {
  AdminShell,
  DashboardBody,
  MailBody,
  MailListBody,
  MemberDetailsBody,
  MembersBody,
} from './admin.pages.js';
import {
  GRANTABLE_ROLES,
  grantRole,
  isGrantableRole,
  MEMBER_SEARCH_LIMIT,
  revokeRole,
  searchMembers,
  viewMemberDetails,
} from './admin.service.js';

/** Roles that may open each page holding personal data (P46). */
export const MEMBERS_ROLES: readonly Role[] = ['admin'];
export const MAIL_ROLES: readonly Role[] = ['admin'];

/** The admin module's own entries in the staff navigation. */
export const ADMIN_NAV: readonly AdminNavEntry[] = [
  { href: '/admin', label: 'Dashboard', roles: STAFF_ROLES },
  { href: '/admin/members', label: 'Members and roles', roles: MEMBERS_ROLES },
  { href: '/admin/mail', label: 'Mail catcher', roles: MAIL_ROLES },
];

/**
 * Sends a staff page inside the admin shell, with the navigation the member's roles may see.
 * `reply.page` keeps it out of every cache (a signed-in member's page).
 */
export function sendAdminPage(
  app: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
  member: Pick<CurrentMember, 'displayName' | 'isStaff' | 'roles'>,
  title: string,
  body: ComponentChildren,
  options: { errors?: FieldErrors; status?: number } = {},
): FastifyReply {
  return reply.page(
    title,
    <AdminShell
      nav={navigationFor(app.modules, member.roles)}
      path={request.url.split('?')[0] ?? '/admin'}
    >
      {body}
    </AdminShell>,
    {
      user: { displayName: member.displayName, isStaff: member.isStaff },
      ...(options.errors ? { errors: options.errors } : {}),
      ...(options.status !== undefined ? { status: options.status } : {}),
    },
  );
}

/** Every module's navigation entries that one of `roles` may see, in module order. */
export function navigationFor(
  modules: readonly { adminNav?: readonly AdminNavEntry[] }[],
  roles: readonly string[],
): AdminNavEntry[] {
  return modules
    .flatMap((module) => module.adminNav ?? [])
    .filter((entry) => entry.roles.some((role) => roles.includes(role)));
}

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const MembersQuery = Type.Object({ q: Type.Optional(Type.String({ maxLength: 200 })) });
const MailQuery = Type.Object({ cursor: Type.Optional(Type.String({ maxLength: 64 })) });
const RoleChangeForm = Type.Object({
  role: Type.String({ minLength: 1, maxLength: 40 }),
  change: Type.Union([Type.Literal('grant'), Type.Literal('revoke')]),
});

/** The member the guard let through (guards ran first, so this only narrows the type). */
async function staffMember(request: FastifyRequest): Promise<CurrentMember> {
  const member = await getCurrentMember(request);
  if (!member) throw new AppError('unauthenticated', 'Please log in first.');
  return member;
}

export const adminRoutes: FastifyPluginAsync = (fastify) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const staffOnly = rolesOnly(STAFF_ROLES);
  const membersGuard = rolesOnly(MEMBERS_ROLES);
  const mailGuard = rolesOnly(MAIL_ROLES);
  const timezone = app.config.timezone;

  app.get('/admin', { preHandler: staffOnly }, async (request, reply) => {
    const member = await staffMember(request);
    return sendAdminPage(
      app,
      request,
      reply,
      member,
      'Staff area',
      <DashboardBody
        displayName={member.displayName}
        roles={member.roles}
        nav={navigationFor(app.modules, member.roles)}
      />,
    );
  });

  app.get(
    '/admin/members',
    { preHandler: membersGuard, schema: { querystring: MembersQuery, hide: true } },
    async (request, reply) => {
      const member = await staffMember(request);
      const query = (request.query.q ?? '').trim();
      const results = query === '' ? null : await searchMembers(app.db, member.id, query);
      return sendAdminPage(
        app,
        request,
        reply,
        member,
        'Members and roles',
        <MembersBody query={query} results={results} limit={MEMBER_SEARCH_LIMIT} />,
      );
    },
  );

  app.get(
    '/admin/members/:id',
    { preHandler: membersGuard, schema: { params: IdParams, hide: true } },
    async (request, reply) => {
      const member = await staffMember(request);
      const details = await viewMemberDetails(app.db, member.id, request.params.id);
      if (!details) throw new AppError('not_found', 'No such member.');
      return sendAdminPage(
        app,
        request,
        reply,
        member,
        `${details.firstName} ${details.surname}`,
        <MemberDetailsBody
          member={details}
          grantable={GRANTABLE_ROLES}
          csrfToken={request.csrfToken()}
          timezone={timezone}
          isSelf={details.id === member.id}
        />,
      );
    },
  );

  app.post(
    '/admin/members/:id/roles',
    { preHandler: membersGuard, schema: { params: IdParams, hide: true } },
    async (request, reply) => {
      const member = await staffMember(request);
      // The buttons post fixed values: anything else is a forged or broken request, not a
      // person's typing mistake, so it is refused outright rather than shown as a form error.
      const form = validateForm(RoleChangeForm, request.body, {
        role: 'Choose a role',
        change: 'Choose grant or revoke',
      });
      if (!form.ok || !isGrantableRole(form.value.role)) {
        throw new AppError('validation_failed', 'Choose a role to grant or revoke.', {
          fields: form.ok ? { role: 'Choose a role' } : { ...form.errors },
        });
      }
      const change = {
        actorId: member.id,
        memberId: request.params.id,
        role: form.value.role,
      };
      if (form.value.change === 'grant') await grantRole(app.db, change);
      else await revokeRole(app.db, change);
      return reply.redirect(`/admin/members/${encodeURIComponent(request.params.id)}`, 303);
    },
  );

  app.get(
    '/admin/mail',
    { preHandler: mailGuard, schema: { querystring: MailQuery, hide: true } },
    async (request, reply) => {
      const member = await staffMember(request);
      let page;
      try {
        page = await listCaughtMail(app.db, { cursor: request.query.cursor ?? null });
      } catch (error) {
        if (error instanceof MailInputError) {
          throw new AppError('validation_failed', 'That page of the mail catcher does not exist.', {
            fields: { [error.field]: error.message },
          });
        }
        throw error;
      }
      await appendAudit(app.db, {
        action: 'admin.mail.listed',
        actorId: member.id,
        detail: { count: page.items.length },
      });
      return sendAdminPage(
        app,
        request,
        reply,
        member,
        'Mail catcher',
        <MailListBody items={page.items} nextCursor={page.nextCursor} timezone={timezone} />,
      );
    },
  );

  app.get(
    '/admin/mail/:id',
    { preHandler: mailGuard, schema: { params: IdParams, hide: true } },
    async (request, reply) => {
      const member = await staffMember(request);
      const mail = await getCaughtMail(app.db, request.params.id);
      if (!mail) throw new AppError('not_found', 'No such message in the mail catcher.');
      await appendAudit(app.db, {
        action: 'admin.mail.viewed',
        actorId: member.id,
        subjectId: mail.recipientId,
        detail: { mailId: mail.id, category: mail.category },
      });
      return sendAdminPage(
        app,
        request,
        reply,
        member,
        mail.subject || 'Caught message',
        <MailBody mail={mail} timezone={timezone} />,
      );
    },
  );

  return Promise.resolve();
};
