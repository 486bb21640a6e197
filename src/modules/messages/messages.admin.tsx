/**
 * The staff pages of the messages module, in /admin:
 * - the Parent Supporters' queue and case page (role `parent_supporter`): claim, reply, close,
 *   escalate to safeguarding; opening a case is logged as staff access;
 * - the published Parent Supporter statistics (supporters, the DPO, admins);
 * - the DPO's list of staff access to private messages: who, when, which conversation, why.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ComponentChildren } from 'preact';
import type { AdminNavEntry } from '../../platform/module.js';
import { isAppError } from '../../platform/http/errors.js';
import {
  readFormValues,
  type FieldErrors,
  type FormValues,
} from '../../platform/views/form-input.js';
import { Button, ErrorSummary, Field, Form, valueOf } from '../../platform/views/forms.js';
import type { PublishedTable } from '../../privacy/aggregates.js';
import { getCurrentMember, rolesOnly, type CurrentMember, type Role } from '../accounts/index.js';
import { sendAdminPage } from '../admin/index.js';
import {
  formPageOptions,
  formProps,
  formStateAfter,
  MessageCard,
  When,
  type FormState,
} from './messages.pages.js';
import { STATISTICS_UNIT } from './messages.routes.js';
import { listStaffAccess } from './messages.staff-access.js';
import {
  endedQuarters,
  parsePeriod,
  publishedSupportStatistics,
  type SupportStatistics,
} from './messages.statistics.js';
import {
  claimCase,
  closeCase,
  escalateCase,
  isSupportTopic,
  listSupportQueue,
  readCaseAsSupporter,
  replyAsSupporter,
  TOPIC_LABELS,
  type SupportCaseSummary,
  type SupportCaseView,
  type SupportQueue,
} from './messages.support.js';

export const SUPPORT_ROLES: readonly Role[] = ['parent_supporter'];
export const STATISTICS_ROLES: readonly Role[] = ['parent_supporter', 'dpo', 'admin'];
export const ACCESS_LOG_ROLES: readonly Role[] = ['dpo'];

export const MESSAGES_ADMIN_NAV: readonly AdminNavEntry[] = [
  { href: '/admin/support', label: 'Parent Supporter queue', roles: SUPPORT_ROLES },
  {
    href: '/admin/support/statistics',
    label: 'Parent Supporter statistics',
    roles: STATISTICS_ROLES,
  },
  { href: '/admin/messages/access', label: 'Staff access to messages', roles: ACCESS_LOG_ROLES },
];

const NOTICES: Readonly<Record<string, string>> = {
  claimed: 'The conversation is yours now.',
  replied: 'Your reply is sent.',
  closed: 'The conversation is closed.',
  escalated:
    'Escalated to safeguarding: a hold now keeps this member’s data from erasure and retention until it is lifted.',
};

function CaseList(props: {
  cases: readonly SupportCaseSummary[];
  caption: string;
  empty: string;
  timezone: string;
}) {
  if (props.cases.length === 0) return <p>{props.empty}</p>;
  return (
    <table class="table" tabIndex={0}>
      <caption class="visually-hidden">{props.caption}</caption>
      <thead>
        <tr>
          <th scope="col">Topic</th>
          <th scope="col">Started</th>
          <th scope="col">Last message</th>
          <th scope="col">Supporter</th>
        </tr>
      </thead>
      <tbody>
        {props.cases.map((entry) => (
          <tr key={entry.id}>
            <td>
              <a href={`/admin/support/${encodeURIComponent(entry.id)}`}>
                {TOPIC_LABELS[entry.topic]}
              </a>
              {entry.escalated ? <strong class="status-tag">Safeguarding</strong> : null}
            </td>
            <td>
              <When at={entry.createdAt} timezone={props.timezone} />
            </td>
            <td>
              <When at={entry.lastMessageAt} timezone={props.timezone} />
            </td>
            <td>{entry.supporterName ?? 'nobody yet'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function QueuePage(props: { queue: SupportQueue; timezone: string }) {
  return (
    <>
      <h1>Parent Supporter queue</h1>
      <p>
        Opening a conversation is recorded for the data-protection officer: open the ones you are
        answering or covering.
      </p>
      <h2>Waiting for a supporter ({props.queue.waiting.length})</h2>
      <CaseList
        cases={props.queue.waiting}
        caption="Waiting, oldest first"
        empty="Nobody is waiting."
        timezone={props.timezone}
      />
      <h2>Yours ({props.queue.mine.length})</h2>
      <CaseList
        cases={props.queue.mine}
        caption="Your open conversations"
        empty="You have no open conversations."
        timezone={props.timezone}
      />
      <h2>With other supporters ({props.queue.others.length})</h2>
      <CaseList
        cases={props.queue.others}
        caption="Open conversations of other supporters"
        empty="None."
        timezone={props.timezone}
      />
    </>
  );
}

function SupportThread(props: { view: SupportCaseView; timezone: string }) {
  return (
    <ol class="card-list" aria-label="Messages, oldest first">
      {props.view.messages.map((message) => {
        const who = message.fromSupporter
          ? message.isMine
            ? 'You'
            : 'A Parent Supporter'
          : props.view.memberName;
        return (
          <MessageCard
            key={message.id}
            who={who}
            sentAt={message.sentAt}
            body={message.body}
            timezone={props.timezone}
          />
        );
      })}
    </ol>
  );
}

export function CasePage(props: {
  view: SupportCaseView;
  viewerId: string;
  csrfToken: string;
  timezone: string;
  notice: string | null;
  values?: FormValues;
  errors?: FieldErrors | undefined;
  formError?: string | undefined;
}) {
  const { view } = props;
  const path = `/admin/support/${encodeURIComponent(view.id)}`;
  const isMine = view.supporterId === props.viewerId;
  return (
    <>
      <p>
        <a href="/admin/support">Parent Supporter queue</a>
      </p>
      <h1>
        {TOPIC_LABELS[view.topic]}: {view.memberName}
      </h1>
      {props.notice ? (
        <div class="panel" role="status">
          <p>{props.notice}</p>
        </div>
      ) : null}
      <ErrorSummary errors={props.errors} formError={props.formError} />
      <dl class="summary-list">
        <dt>Status</dt>
        <dd>
          {view.status === 'waiting' ? 'Waiting' : view.status === 'open' ? 'Open' : 'Closed'}
        </dd>
        <dt>Supporter</dt>
        <dd>{view.supporterName ?? 'nobody yet'}</dd>
        <dt>Safeguarding</dt>
        <dd>{view.escalated ? 'Escalated: a hold is in place' : 'Not escalated'}</dd>
      </dl>
      <SupportThread view={view} timezone={props.timezone} />
      {view.status === 'waiting' ? (
        <Form action={`${path}/claim`} csrfToken={props.csrfToken} label="Take this conversation">
          <Button>Take this conversation</Button>
        </Form>
      ) : null}
      {view.status === 'open' && isMine ? (
        <>
          <Form action={`${path}/reply`} csrfToken={props.csrfToken} label="Reply">
            <Field
              name="body"
              label="Your reply"
              type="textarea"
              rows={5}
              value={valueOf(props.values, 'body')}
              error={props.errors?.body}
              hint="The member sees it as from “Parent Supporter”."
              required
            />
            <Button>Send reply</Button>
          </Form>
          <Form action={`${path}/close`} csrfToken={props.csrfToken} label="Close">
            <Button variant="secondary">Close the conversation</Button>
          </Form>
        </>
      ) : null}
      {view.escalated ? null : (
        <>
          <h2>Escalate to safeguarding</h2>
          <p>
            When someone may be at risk. A safeguarding hold is placed on the member: their data is
            kept from erasure and retention until the hold is lifted. This is recorded.
          </p>
          <Form action={`${path}/escalate`} csrfToken={props.csrfToken} label="Escalate">
            <Field
              name="reason"
              label="Why does this need safeguarding?"
              type="textarea"
              rows={3}
              value={valueOf(props.values, 'reason')}
              error={props.errors?.reason}
              required
            />
            <Button variant="warning">Escalate to safeguarding</Button>
          </Form>
        </>
      )}
    </>
  );
}

function monthLabel(month: string): string {
  const date = new Date(`${month}-01T12:00:00.000Z`);
  return date.toLocaleString('en-GB', { month: 'long', year: 'numeric', timeZone: 'UTC' });
}

function rowLabel(row: string): string {
  return isSupportTopic(row) ? TOPIC_LABELS[row] : row;
}

/** A figure of a published table: a number, or "suppressed" (explained under the table). */
function Figure(props: { value: number | null }) {
  return props.value === null ? <em>suppressed</em> : <>{props.value}</>;
}

export function StatisticsTable(props: { table: PublishedTable; period: string }) {
  const { table } = props;
  return (
    <table class="table" tabIndex={0}>
      <caption>
        {props.period}: members who started a Parent Supporter conversation, by topic and month
      </caption>
      <thead>
        <tr>
          <th scope="col">Topic</th>
          {table.columns.map((column) => (
            <th key={column} scope="col">
              {monthLabel(column)}
            </th>
          ))}
          <th scope="col">Total</th>
        </tr>
      </thead>
      <tbody>
        {table.rows.map((row, r) => (
          <tr key={row}>
            <th scope="row">{rowLabel(row)}</th>
            {table.columns.map((column, c) => (
              <td key={column}>
                <Figure value={table.cells[r]?.[c] ?? null} />
              </td>
            ))}
            <td>
              <Figure value={table.rowTotals[r] ?? null} />
            </td>
          </tr>
        ))}
        <tr>
          <th scope="row">All topics</th>
          {table.columns.map((column, c) => (
            <td key={column}>
              <Figure value={table.columnTotals[c] ?? null} />
            </td>
          ))}
          <td>
            <Figure value={table.total} />
          </td>
        </tr>
      </tbody>
    </table>
  );
}

export function StatisticsPage(props: {
  periods: readonly string[];
  statistics: SupportStatistics | null;
  timezone: string;
}) {
  return (
    <>
      <h1>Parent Supporter statistics</h1>
      <p>
        {STATISTICS_UNIT} A quarter is published once it has ended and never changes afterwards.
        Partners read the same figures as JSON at{' '}
        <a href="/api/v1/messages/support/statistics">/api/v1/messages/support/statistics</a>.
      </p>
      <nav aria-label="Quarters">
        <ul>
          {props.periods.map((period) => (
            <li key={period}>
              <a
                href={`/admin/support/statistics?period=${period}`}
                aria-current={props.statistics?.period === period ? 'page' : undefined}
              >
                {period}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      {props.statistics ? (
        <>
          <StatisticsTable table={props.statistics.table} period={props.statistics.period} />
          <p>
            <em>suppressed</em>: the figure describes fewer than {props.statistics.table.k} people,
            or would let such a figure be worked out from the others and the totals, so it is not
            shown. Published <When at={props.statistics.publishedAt} timezone={props.timezone} />.
          </p>
        </>
      ) : (
        <p>Choose a quarter.</p>
      )}
    </>
  );
}

const REASON_LABELS: Readonly<Record<string, string>> = {
  report: 'A member reported the message',
  'support-case': 'Parent Supporter conversation',
};

export function AccessLogPage(props: {
  entries: Awaited<ReturnType<typeof listStaffAccess>>['entries'];
  next: string | null;
  timezone: string;
}) {
  return (
    <>
      <h1>Staff access to private messages</h1>
      <p>
        Staff read private messages only when a member reports one, and Parent Supporters read the
        conversations members start with them. Every reading is listed here and in the audit log.
      </p>
      {props.entries.length === 0 ? (
        <p>No staff member has read a private message.</p>
      ) : (
        <table class="table" tabIndex={0}>
          <caption class="visually-hidden">Staff readings, latest first</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">Why</th>
              <th scope="col">What</th>
            </tr>
          </thead>
          <tbody>
            {props.entries.map((entry) => (
              <tr key={entry.id}>
                <td>
                  <When at={entry.accessedAt} timezone={props.timezone} />
                </td>
                <td>{entry.staffName}</td>
                <td>{REASON_LABELS[entry.reason] ?? entry.reason}</td>
                <td>
                  {entry.caseId
                    ? `Parent Supporter case ${entry.caseId}`
                    : `Conversation ${entry.conversationId ?? '(removed)'}, message ${entry.messageId ?? '(removed)'}`}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {props.next ? (
        <p>
          <a href={`/admin/messages/access?before=${encodeURIComponent(props.next)}`}>
            Earlier readings
          </a>
        </p>
      ) : null}
    </>
  );
}

function encodeBefore(before: { accessedAt: string; id: string } | null): string | null {
  return before ? Buffer.from(JSON.stringify(before)).toString('base64url') : null;
}

function decodeBefore(value: unknown): { accessedAt: string; id: string } | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as unknown;
    if (
      typeof parsed === 'object' &&
      parsed !== null &&
      typeof (parsed as { accessedAt?: unknown }).accessedAt === 'string' &&
      typeof (parsed as { id?: unknown }).id === 'string'
    ) {
      return parsed as { accessedAt: string; id: string };
    }
  } catch {
    // An unreadable cursor shows the first page.
  }
  return undefined;
}

async function staffMember(request: FastifyRequest): Promise<CurrentMember> {
  const member = await getCurrentMember(request);
  // The guard ran first; this only narrows the type.
  if (!member) throw new Error('staff page reached without a member');
  return member;
}

export const messagesAdminPages: FastifyPluginAsync = (app) => {
  const timezone = app.config.timezone;
  const supportGuard = { preHandler: rolesOnly(SUPPORT_ROLES) };
  const statisticsGuard = { preHandler: rolesOnly(STATISTICS_ROLES) };
  const accessGuard = { preHandler: rolesOnly(ACCESS_LOG_ROLES) };

  const send = (
    request: FastifyRequest,
    reply: FastifyReply,
    member: CurrentMember,
    title: string,
    body: ComponentChildren,
    options: { errors?: FieldErrors; status?: number } = {},
  ) => sendAdminPage(app, request, reply, member, title, body, options);

  const caseId = (request: FastifyRequest) => (request.params as { id?: string }).id ?? '';

  app.get('/admin/support', supportGuard, async (request, reply) => {
    const member = await staffMember(request);
    return send(
      request,
      reply,
      member,
      'Parent Supporter queue',
      <QueuePage queue={await listSupportQueue(app.db, member.id)} timezone={timezone} />,
    );
  });

  app.get('/admin/support/statistics', statisticsGuard, async (request, reply) => {
    const member = await staffMember(request);
    const periods = endedQuarters(new Date(), timezone).map((quarter) => quarter.period);
    const asked = (request.query as Record<string, unknown>).period;
    let statistics: SupportStatistics | null = null;
    if (typeof asked === 'string' && periods.includes(parsePeriod(asked).period)) {
      statistics = await publishedSupportStatistics(app.db, asked, { timeZone: timezone });
    }
    return send(
      request,
      reply,
      member,
      'Parent Supporter statistics',
      <StatisticsPage periods={periods} statistics={statistics} timezone={timezone} />,
    );
  });

  const showCase = async (
    request: FastifyRequest,
    reply: FastifyReply,
    member: CurrentMember,
    form: FormState = {},
  ) => {
    const view = await readCaseAsSupporter(app.db, member.id, caseId(request));
    const done = (request.query as Record<string, unknown>).done;
    return send(
      request,
      reply,
      member,
      `Parent Supporter: ${TOPIC_LABELS[view.topic]}`,
      <CasePage
        view={view}
        viewerId={member.id}
        csrfToken={request.csrfToken()}
        timezone={timezone}
        notice={
          form.errors || form.formError || typeof done !== 'string' ? null : (NOTICES[done] ?? null)
        }
        {...formProps(form)}
      />,
      formPageOptions(form),
    );
  };

  app.get('/admin/support/:id', supportGuard, async (request, reply) => {
    return showCase(request, reply, await staffMember(request));
  });

  /** Runs a supporter's action and redirects back, or shows the case again with the problem. */
  const act = (
    action: (member: CurrentMember, values: FormValues, id: string) => Promise<unknown>,
    done: string,
  ) =>
    async function handler(request: FastifyRequest, reply: FastifyReply) {
      const member = await staffMember(request);
      const values = readFormValues(request.body);
      const id = caseId(request);
      try {
        await action(member, values, id);
      } catch (error) {
        if (isAppError(error) && error.code === 'not_found') throw error;
        return showCase(request, reply, member, formStateAfter(values, error));
      }
      return reply.redirect(`/admin/support/${encodeURIComponent(id)}?done=${done}`, 303);
    };

  const text = (values: FormValues, name: string) => {
    const value = values[name];
    return typeof value === 'string' ? value : '';
  };

  app.post(
    '/admin/support/:id/claim',
    supportGuard,
    act(
      (member, _values, id) => claimCase(app.db, { supporterId: member.id, caseId: id }),
      'claimed',
    ),
  );
  app.post(
    '/admin/support/:id/reply',
    supportGuard,
    act(
      (member, values, id) =>
        replyAsSupporter(app.db, {
          supporterId: member.id,
          caseId: id,
          body: text(values, 'body'),
        }),
      'replied',
    ),
  );
  app.post(
    '/admin/support/:id/close',
    supportGuard,
    act(
      (member, _values, id) => closeCase(app.db, { supporterId: member.id, caseId: id }),
      'closed',
    ),
  );
  app.post(
    '/admin/support/:id/escalate',
    supportGuard,
    act(
      (member, values, id) =>
        escalateCase(app.db, {
          supporterId: member.id,
          caseId: id,
          reason: text(values, 'reason'),
        }),
      'escalated',
    ),
  );

  app.get('/admin/messages/access', accessGuard, async (request, reply) => {
    const member = await staffMember(request);
    const before = decodeBefore((request.query as Record<string, unknown>).before);
    const page = await listStaffAccess(app.db, before ? { before } : {});
    return send(
      request,
      reply,
      member,
      'Staff access to private messages',
      <AccessLogPage entries={page.entries} next={encodeBefore(page.next)} timezone={timezone} />,
    );
  });

  return Promise.resolve();
};
