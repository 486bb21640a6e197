/**
 * The DPO's desk under /admin/privacy: the request queue and each request with its audit trail
 * and actions, holds, and objections awaiting a decision. Every page is behind
 * `rolesOnly(DESK_ROLES)` (a DPO or admin role and the second factor passed), checked on the
 * server whatever the navigation shows. Looking at a member's request or holds is audited.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ComponentChildren } from 'preact';
import { sql } from 'kysely';
import { Type } from 'typebox';
import { tablesOf, type DbExecutor } from '../../platform/db/database.js';
import { AppError } from '../../platform/http/errors.js';
import type { AdminNavEntry } from '../../platform/module.js';
import { readFormValues } from '../../platform/views/form-input.js';
import { appendAudit } from '../../privacy/audit/audit.service.js';
import type { AuditTables } from '../../privacy/audit/audit.tables.js';
import { recordObjectionOverride } from '../../privacy/consent/index.js';
import type { ConsentTables } from '../../privacy/consent/consent.tables.js';
import {
  liftHold,
  listHolds,
  placeHold,
  type HoldKind,
} from '../../privacy/holds/holds.service.js';
import { isPurposeKey, PURPOSES } from '../../privacy/purposes.js';
import {
  getCurrentMember,
  rolesOnly,
  type AccountsTables,
  type CurrentMember,
  type Role,
} from '../accounts/index.js';
import { sendAdminPage } from '../admin/index.js';
import { REQUEST_KIND_LABELS } from './rights.center.views.js';
import {
  HoldsBody,
  ObjectionsBody,
  QueueBody,
  RequestBody,
  type AuditTrailEntry,
  type DeskRequestView,
  type HoldMemberView,
} from './rights.dpo.views.js';
import {
  completeRequest,
  extendRequest,
  getRequest,
  listRequestQueue,
  refuseRequest,
  requestCountsByKindAndMonth,
} from './rights.requests.service.js';
import { REQUEST_KINDS, REQUEST_STATUSES, type RequestStatus } from './rights.requests.tables.js';

/** Roles that may open the desk: it holds members' requests, holds and objections (P46). */
export const DESK_ROLES: readonly Role[] = ['dpo', 'admin'];

/** The desk's entries in the staff navigation. */
export const DESK_NAV: readonly AdminNavEntry[] = [
  { href: '/admin/privacy/requests', label: 'Privacy requests', roles: DESK_ROLES },
  { href: '/admin/privacy/holds', label: 'Holds', roles: DESK_ROLES },
  { href: '/admin/privacy/objections', label: 'Objections', roles: DESK_ROLES },
];

const CHART_MONTHS = 12;
const QUEUE_LIMIT = 50;
const MAX_TEXT = 2000;

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const QueueQuery = Type.Object({
  status: Type.Optional(Type.String({ maxLength: 40 })),
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
});
const HoldsQuery = Type.Object({ member: Type.Optional(Type.String({ maxLength: 320 })) });

/** The member the guard let through (the guard ran first, so this only narrows the type). */
async function deskMember(request: FastifyRequest): Promise<CurrentMember> {
  const member = await getCurrentMember(request);
  if (!member) throw new AppError('unauthenticated', 'Please log in first.');
  return member;
}

/** One text field of a form post, trimmed; a 400 naming the field when missing or too long. */
function requiredText(values: Record<string, unknown>, field: string, label: string): string {
  const raw = values[field];
  const value = typeof raw === 'string' ? raw.trim() : '';
  if (value === '' || value.length > MAX_TEXT) {
    throw new AppError(
      'validation_failed',
      value === '' ? `${label} is required.` : `${label} is too long.`,
      { fields: { [field]: value === '' ? 'is required' : `is longer than ${MAX_TEXT}` } },
    );
  }
  return value;
}

function isStatus(value: string): value is RequestStatus {
  return (REQUEST_STATUSES as readonly string[]).includes(value);
}

/** Today as a calendar date in the operator's time zone, to compare with due dates. */
function todayIn(timezone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: timezone }).format(new Date());
}

/** The last `count` months, oldest first, as `YYYY-MM`. */
function lastMonths(count: number, now: Date = new Date()): string[] {
  return Array.from({ length: count }, (_, index) => {
    const date = new Date(
      Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - (count - 1 - index), 1),
    );
    return date.toISOString().slice(0, 7);
  });
}

/**
 * Audit entries whose detail names the request. Ids are `newId()` text (letters, digits, `-`
 * and `_`): `_` is a LIKE wildcard, so it is escaped, and the pattern is a bound parameter.
 */
async function auditTrailOf(db: DbExecutor, requestId: string): Promise<AuditTrailEntry[]> {
  const pattern = `%${requestId.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
  const rows = await tablesOf<AuditTables>(db)
    .selectFrom('audit_details')
    .innerJoin('audit_chain', 'audit_chain.seq', 'audit_details.seq')
    .select(['audit_chain.seq', 'audit_chain.at', 'audit_chain.action', 'audit_details.actor_id'])
    .where(sql<boolean>`${sql.ref('audit_details.detail')} like ${pattern} escape '\\'`)
    .orderBy('audit_chain.seq')
    .execute();
  return rows.map((row) => ({
    seq: String(row.seq),
    at: row.at,
    action: row.action,
    actorId: row.actor_id,
  }));
}

/** A member by email address or id, for the holds page. */
async function findMember(db: DbExecutor, query: string): Promise<HoldMemberView | null> {
  const found = await tablesOf<AccountsTables>(db)
    .selectFrom('accounts_users')
    .select(['id', 'email', 'username'])
    .where((eb) => eb.or([eb('id', '=', query), eb('email', '=', query.toLowerCase())]))
    .executeTakeFirst();
  return found ?? null;
}

/** Objections no DPO has answered yet, oldest first (they have waited longest). */
async function openObjections(db: DbExecutor) {
  return tablesOf<ConsentTables>(db)
    .selectFrom('privacy_processing_limits')
    .select(['id', 'subject_id', 'purpose', 'reason', 'recorded_at'])
    .where('kind', '=', 'objection')
    .where('status', '=', 'active')
    .orderBy('recorded_at')
    .orderBy('id')
    .limit(200)
    .execute();
}

export const dpoPages: FastifyPluginAsync = (fastify) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const deskOnly = rolesOnly(DESK_ROLES);
  const timezone = app.config.timezone;

  const sendDeskPage = (
    request: FastifyRequest,
    reply: FastifyReply,
    member: CurrentMember,
    title: string,
    body: ComponentChildren,
  ) => sendAdminPage(app, request, reply, member, title, body);

  app.get(
    '/admin/privacy/requests',
    { preHandler: deskOnly, schema: { querystring: QueueQuery, hide: true } },
    async (request, reply) => {
      const member = await deskMember(request);
      const status = request.query.status ?? '';
      if (status !== '' && !isStatus(status)) {
        throw new AppError('validation_failed', 'Choose a status from the list.', {
          fields: { status: 'is not a request status' },
        });
      }
      const [page, counts] = await Promise.all([
        listRequestQueue(app.db, {
          ...(status === '' ? {} : { status }),
          limit: QUEUE_LIMIT,
          ...(request.query.cursor ? { cursor: request.query.cursor } : {}),
        }),
        requestCountsByKindAndMonth(app.db, { months: CHART_MONTHS }),
      ]);
      return sendDeskPage(
        request,
        reply,
        member,
        'Privacy requests',
        <QueueBody
          requests={page.items}
          status={status}
          today={todayIn(timezone)}
          timezone={timezone}
          nextCursor={page.nextCursor ?? null}
          chart={{
            counts,
            months: lastMonths(CHART_MONTHS),
            kinds: REQUEST_KINDS.map((key) => ({ key, label: REQUEST_KIND_LABELS[key] ?? key })),
          }}
        />,
      );
    },
  );

  app.get(
    '/admin/privacy/requests/:id',
    { preHandler: deskOnly, schema: { params: IdParams, hide: true } },
    async (request, reply) => {
      const member = await deskMember(request);
      const found = await getRequest(app.db, request.params.id);
      if (!found) throw new AppError('not_found', 'There is no request with this id.');
      // Looking at a member's request is itself recorded, before the page is sent.
      await appendAudit(app.db, {
        action: 'rights.request.viewed',
        actorId: member.id,
        subjectId: found.subjectId ?? null,
        detail: { requestId: found.id },
      });
      const trail = await auditTrailOf(app.db, found.id);
      const view: DeskRequestView = found;
      return sendDeskPage(
        request,
        reply,
        member,
        REQUEST_KIND_LABELS[found.kind] ?? 'Request',
        <RequestBody
          request={view}
          trail={trail}
          csrfToken={request.csrfToken()}
          today={todayIn(timezone)}
          timezone={timezone}
        />,
      );
    },
  );

  const backToRequest = (reply: FastifyReply, id: string) =>
    reply.redirect(`/admin/privacy/requests/${encodeURIComponent(id)}`, 303);

  app.post(
    '/admin/privacy/requests/:id/extend',
    { preHandler: deskOnly, schema: { params: IdParams, hide: true } },
    async (request, reply) => {
      const member = await deskMember(request);
      const values = readFormValues(request.body);
      const months = values.months === '1' ? 1 : values.months === '2' ? 2 : null;
      if (months === null) {
        throw new AppError('validation_failed', 'An extension is one or two months.', {
          fields: { months: 'must be 1 or 2' },
        });
      }
      const reason = requiredText(values, 'extensionReason', 'The reason for the extension');
      await extendRequest(app.db, {
        id: request.params.id,
        dpoId: member.id,
        months,
        reason,
        timezone,
      });
      return backToRequest(reply, request.params.id);
    },
  );

  app.post(
    '/admin/privacy/requests/:id/complete',
    { preHandler: deskOnly, schema: { params: IdParams, hide: true } },
    async (request, reply) => {
      const member = await deskMember(request);
      const outcome = requiredText(readFormValues(request.body), 'outcome', 'What was done');
      await completeRequest(app.db, { id: request.params.id, actorId: member.id, outcome });
      return backToRequest(reply, request.params.id);
    },
  );

  app.post(
    '/admin/privacy/requests/:id/refuse',
    { preHandler: deskOnly, schema: { params: IdParams, hide: true } },
    async (request, reply) => {
      const member = await deskMember(request);
      const reason = requiredText(
        readFormValues(request.body),
        'refusalReason',
        'The reason for refusing',
      );
      await refuseRequest(app.db, { id: request.params.id, actorId: member.id, reason });
      return backToRequest(reply, request.params.id);
    },
  );

  app.get(
    '/admin/privacy/holds',
    { preHandler: deskOnly, schema: { querystring: HoldsQuery, hide: true } },
    async (request, reply) => {
      const member = await deskMember(request);
      const query = (request.query.member ?? '').trim();
      const found = query === '' ? null : await findMember(app.db, query);
      const holds = found ? await listHolds(app.db, found.id) : [];
      if (found) {
        await appendAudit(app.db, {
          action: 'rights.holds.viewed',
          actorId: member.id,
          subjectId: found.id,
        });
      }
      return sendDeskPage(
        request,
        reply,
        member,
        'Holds',
        <HoldsBody
          csrfToken={request.csrfToken()}
          query={query}
          member={found}
          holds={holds}
          timezone={timezone}
        />,
      );
    },
  );

  const backToHolds = (reply: FastifyReply, memberId: string) =>
    reply.redirect(`/admin/privacy/holds?member=${encodeURIComponent(memberId)}`, 303);

  app.post(
    '/admin/privacy/holds',
    { preHandler: deskOnly, schema: { hide: true } },
    async (request, reply) => {
      const staff = await deskMember(request);
      const values = readFormValues(request.body);
      const memberQuery = typeof values.member === 'string' ? values.member.trim() : '';
      const target = memberQuery === '' ? null : await findMember(app.db, memberQuery);
      if (!target) {
        throw new AppError('validation_failed', 'No member has that email address or id.', {
          fields: { member: 'names no member' },
        });
      }
      const kind = values.kind;
      if (kind !== 'legal' && kind !== 'safeguarding') {
        throw new AppError('validation_failed', 'A hold is legal or safeguarding.', {
          fields: { kind: 'must be legal or safeguarding' },
        });
      }
      const reason = requiredText(values, 'reason', 'The reason for the hold');
      const untilText = typeof values.until === 'string' ? values.until.trim() : '';
      let until: Date | null = null;
      if (untilText !== '') {
        until = /^\d{4}-\d{2}-\d{2}$/.test(untilText) ? new Date(`${untilText}T23:59:59Z`) : null;
        if (until === null || Number.isNaN(until.getTime())) {
          throw new AppError('validation_failed', 'The end of a hold must be a date.', {
            fields: { until: 'is not a date' },
          });
        }
      }
      await placeHold(app.db, {
        subjectId: target.id,
        kind: kind satisfies HoldKind,
        reason,
        placedBy: staff.id,
        until,
      });
      return backToHolds(reply, target.id);
    },
  );

  app.post(
    '/admin/privacy/holds/:id/lift',
    { preHandler: deskOnly, schema: { params: IdParams, hide: true } },
    async (request, reply) => {
      const staff = await deskMember(request);
      const values = readFormValues(request.body);
      const reason = requiredText(
        values,
        `liftReason-${request.params.id}`,
        'The reason for lifting',
      );
      const lifted = await liftHold(app.db, {
        holdId: request.params.id,
        liftedBy: staff.id,
        reason,
      });
      return backToHolds(reply, lifted.subjectId);
    },
  );

  app.get(
    '/admin/privacy/objections',
    { preHandler: deskOnly, schema: { hide: true } },
    async (request, reply) => {
      const member = await deskMember(request);
      const rows = await openObjections(app.db);
      return sendDeskPage(
        request,
        reply,
        member,
        'Objections',
        <ObjectionsBody
          csrfToken={request.csrfToken()}
          timezone={timezone}
          objections={rows.map((row) => ({
            id: row.id,
            subjectId: row.subject_id,
            purposeTitle: isPurposeKey(row.purpose) ? PURPOSES[row.purpose].title : row.purpose,
            reason: row.reason,
            recordedAt: row.recorded_at,
          }))}
        />,
      );
    },
  );

  app.post(
    '/admin/privacy/objections/:id/override',
    { preHandler: deskOnly, schema: { params: IdParams, hide: true } },
    async (request, reply) => {
      const staff = await deskMember(request);
      const reason = requiredText(
        readFormValues(request.body),
        `reason-${request.params.id}`,
        'The legitimate grounds',
      );
      await recordObjectionOverride(app.db, {
        objectionId: request.params.id,
        dpoId: staff.id,
        reason,
      });
      return reply.redirect('/admin/privacy/objections', 303);
    },
  );

  return Promise.resolve();
};
