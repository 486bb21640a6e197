/**
 * The forum's part of `/admin` (moderators and admins, second factor passed):
 * - `/admin/forum/reports`: the one moderation queue, reports on posts and on anything else a
 *   module registered (private messages), grouped by reported item, with hide, restore,
 *   dismiss, warn and suspend;
 * - `/admin/forum/members/:id`: a member's warnings and suspensions, with lifting;
 * - `/admin/forum/categories`: creating, renaming, describing and reordering categories.
 * Every act is audited by the service it calls.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ComponentChildren } from 'preact';
import type { AdminNavEntry } from '../../platform/module.js';
import { AppError } from '../../platform/http/errors.js';
import {
  readFormValues,
  type FieldErrors,
  type FormValues,
} from '../../platform/views/form-input.js';
import { Button, ErrorSummary, Field, Form, valueOf } from '../../platform/views/forms.js';
import { getCurrentMember, rolesOnly, type CurrentMember } from '../accounts/index.js';
import {
  liftSuspension,
  listQueue,
  listSanctions,
  MODERATOR_ROLES,
  resolveReports,
  suspendMember,
  warnMember,
  type QueueAction,
  type QueueItem,
} from './forum.moderation.js';
import { createCategory, listCategories, moveCategory, updateCategory } from './forum.service.js';
import { categoryPath, Time, timeFormatter } from './forum.views.js';

export const REPORTS_ADMIN_PAGE = '/admin/forum/reports';
export const CATEGORIES_ADMIN_PAGE = '/admin/forum/categories';

export const FORUM_NAV: readonly AdminNavEntry[] = [
  { href: REPORTS_ADMIN_PAGE, label: 'Reports queue', roles: MODERATOR_ROLES },
  { href: CATEGORIES_ADMIN_PAGE, label: 'Forum categories', roles: MODERATOR_ROLES },
];

/** Loaded on first render: the admin module imports accounts, which may still be loading. */
const adminViews = () => import('../admin/index.js');

const QUEUE_ACTIONS: readonly QueueAction[] = ['hide', 'restore', 'dismiss'];

function text(values: FormValues, name: string): string {
  return valueOf(values, name) ?? '';
}

function kindLabel(kind: string): string {
  if (kind === 'post') return 'Forum post';
  if (kind === 'message') return 'Private message';
  return kind;
}

function QueueEntry(props: {
  item: QueueItem;
  csrfToken: string;
  format: (iso: string) => string;
}) {
  const { item } = props;
  const id = `report-${item.kind}-${item.targetId}`;
  const target = item.target;
  return (
    <li class="card" aria-labelledby={id}>
      <h2 id={id}>
        {kindLabel(item.kind)} by {target ? target.authorName : 'an item that no longer exists'}
      </h2>
      {target ? (
        <blockquote>
          <p>{target.excerpt}</p>
        </blockquote>
      ) : null}
      {target?.href ? (
        <p>
          <a href={target.href}>Open it in context</a>
        </p>
      ) : null}
      <h3>
        {item.reports.length === 1 ? '1 report' : `${item.reports.length} reports`}, first{' '}
        <Time iso={item.firstReportedAt} format={props.format} />
      </h3>
      <ul>
        {item.reports.map((report) => (
          <li key={report.id}>{report.reason}</li>
        ))}
      </ul>
      <Form
        action={`${REPORTS_ADMIN_PAGE}/resolve`}
        csrfToken={props.csrfToken}
        label={`Act on ${id}`}
      >
        <input type="hidden" name="kind" value={item.kind} />
        <input type="hidden" name="targetId" value={item.targetId} />
        <div class="actions">
          {item.canHide ? (
            <Button name="action" value="hide" variant="warning">
              Hide it
            </Button>
          ) : null}
          {item.canRestore ? (
            <Button name="action" value="restore" variant="secondary">
              Restore it
            </Button>
          ) : null}
          <Button name="action" value="dismiss" variant="secondary">
            Dismiss the reports
          </Button>
        </div>
      </Form>
      {target?.authorId ? (
        <p>
          <a href={`/admin/forum/members/${target.authorId}`}>
            Warn or suspend {target.authorName}
          </a>
        </p>
      ) : null}
    </li>
  );
}

export const forumAdminPages: FastifyPluginAsync = (app) => {
  const moderatorsOnly = rolesOnly([...MODERATOR_ROLES]);
  const format = timeFormatter(app.config.timezone);

  const staffOf = async (request: FastifyRequest): Promise<CurrentMember> => {
    const member = await getCurrentMember(request);
    if (!member) throw new AppError('unauthenticated', 'Please log in first.');
    return member;
  };

  const sendPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    title: string,
    body: ComponentChildren,
    errors?: FieldErrors,
  ) => {
    const { sendAdminPage } = await adminViews();
    return sendAdminPage(app, request, reply, await staffOf(request), title, body, {
      ...(errors ? { errors } : {}),
    });
  };

  // ------------------------------------------------------------------------------------------
  // The queue

  app.get(REPORTS_ADMIN_PAGE, { preHandler: moderatorsOnly }, async (request, reply) => {
    const staff = await staffOf(request);
    const items = await listQueue(app.db, staff.id);
    const done = (request.query as Record<string, unknown>).done === '1';
    return sendPage(
      request,
      reply,
      'Reports queue',
      <>
        <h1>Reports queue</h1>
        {done ? (
          <div class="panel" role="status">
            <p>Done. The reports on that item are closed.</p>
          </div>
        ) : null}
        <p>
          Reports from members on forum posts and private messages, oldest first. Opening this queue
          is recorded in the audit log, item by item.
        </p>
        {items.length === 0 ? <p>No open reports.</p> : null}
        <ul class="card-list">
          {items.map((item) => (
            <QueueEntry
              key={`${item.kind}:${item.targetId}`}
              item={item}
              csrfToken={request.csrfToken()}
              format={format}
            />
          ))}
        </ul>
      </>,
    );
  });

  app.post(
    `${REPORTS_ADMIN_PAGE}/resolve`,
    { preHandler: moderatorsOnly },
    async (request, reply) => {
      const staff = await staffOf(request);
      const values = readFormValues(request.body);
      const action = text(values, 'action') as QueueAction;
      if (!QUEUE_ACTIONS.includes(action)) {
        throw new AppError('validation_failed', 'Choose hide, restore or dismiss.', {
          fields: { action: 'Choose hide, restore or dismiss.' },
        });
      }
      await resolveReports(
        app.db,
        staff.id,
        text(values, 'kind'),
        text(values, 'targetId'),
        action,
      );
      return reply.redirect(`${REPORTS_ADMIN_PAGE}?done=1`, 303);
    },
  );

  // ------------------------------------------------------------------------------------------
  // Sanctions

  const memberPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    memberId: string,
    form: { values: FormValues; errors?: FieldErrors },
  ) => {
    const staff = await staffOf(request);
    const sanctions = await listSanctions(app.db, staff.id, memberId);
    const saved = (request.query as Record<string, unknown>).saved === '1';
    const now = new Date().toISOString();
    return sendPage(
      request,
      reply,
      'Warn or suspend a member',
      <>
        <p>
          <a href={REPORTS_ADMIN_PAGE}>Reports queue</a>
        </p>
        <h1>Warn or suspend a member</h1>
        {saved ? (
          <div class="panel" role="status">
            <p>Saved. The member has been told by email.</p>
          </div>
        ) : null}
        <ErrorSummary errors={form.errors} />
        <h2>Warnings and suspensions</h2>
        {sanctions.length === 0 ? <p>None so far.</p> : null}
        <ul>
          {sanctions.map((sanction) => (
            <li key={sanction.id}>
              {sanction.kind === 'warning' ? 'Warning' : 'Suspension'},{' '}
              <Time iso={sanction.createdAt} format={format} />: {sanction.reason}
              {sanction.kind === 'suspension' && sanction.endsAt ? (
                <>
                  {' '}
                  (until <Time iso={sanction.endsAt} format={format} />
                  {sanction.liftedAt ? ', lifted' : ''})
                </>
              ) : null}
              {sanction.kind === 'suspension' &&
              sanction.liftedAt === null &&
              sanction.endsAt !== null &&
              sanction.endsAt > now ? (
                <Form
                  action={`/admin/forum/sanctions/${sanction.id}/lift`}
                  csrfToken={request.csrfToken()}
                  label="Lift the suspension"
                >
                  <Button variant="secondary">Lift the suspension</Button>
                </Form>
              ) : null}
            </li>
          ))}
        </ul>
        <h2>Give a warning or a suspension</h2>
        <Form
          action={`/admin/forum/members/${memberId}`}
          csrfToken={request.csrfToken()}
          label="Sanction"
        >
          <Field
            name="reason"
            label="Reason, as the member will read it"
            type="textarea"
            rows={4}
            required
            value={valueOf(form.values, 'reason')}
            error={form.errors?.reason}
          />
          <Field
            name="days"
            label="Days of suspension"
            type="number"
            width="short"
            hint="Only for a suspension: the member cannot post or send messages until then."
            value={valueOf(form.values, 'days')}
            error={form.errors?.days}
          />
          <div class="actions">
            <Button name="kind" value="warning" variant="secondary">
              Warn
            </Button>
            <Button name="kind" value="suspension" variant="warning">
              Suspend
            </Button>
          </div>
        </Form>
      </>,
      form.errors,
    );
  };

  app.get<{ Params: { id: string } }>(
    '/admin/forum/members/:id',
    { preHandler: moderatorsOnly },
    (request, reply) => memberPage(request, reply, request.params.id, { values: {} }),
  );

  app.post<{ Params: { id: string } }>(
    '/admin/forum/members/:id',
    { preHandler: moderatorsOnly },
    async (request, reply) => {
      const staff = await staffOf(request);
      const values = readFormValues(request.body);
      const kind = text(values, 'kind');
      try {
        if (kind === 'suspension') {
          const daysText = text(values, 'days');
          await suspendMember(app.db, staff.id, request.params.id, {
            days: /^\d{1,4}$/.test(daysText) ? Number(daysText) : Number.NaN,
            reason: text(values, 'reason'),
          });
        } else {
          await warnMember(app.db, staff.id, request.params.id, text(values, 'reason'));
        }
      } catch (error) {
        if (error instanceof AppError && error.fields) {
          return memberPage(request, reply, request.params.id, { values, errors: error.fields });
        }
        throw error;
      }
      return reply.redirect(`/admin/forum/members/${request.params.id}?saved=1`, 303);
    },
  );

  app.post<{ Params: { id: string } }>(
    '/admin/forum/sanctions/:id/lift',
    { preHandler: moderatorsOnly },
    async (request, reply) => {
      const staff = await staffOf(request);
      const memberId = await liftSuspension(app.db, staff.id, request.params.id);
      return reply.redirect(`/admin/forum/members/${memberId}?saved=1`, 303);
    },
  );

  // ------------------------------------------------------------------------------------------
  // Categories

  const categoriesPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    form: { values: FormValues; errors?: FieldErrors; editing?: string },
  ) => {
    const categories = await listCategories(app.db);
    const saved = (request.query as Record<string, unknown>).saved === '1';
    const token = request.csrfToken();
    return sendPage(
      request,
      reply,
      'Forum categories',
      <>
        <h1>Forum categories</h1>
        {saved ? (
          <div class="panel" role="status">
            <p>Saved.</p>
          </div>
        ) : null}
        <ErrorSummary errors={form.errors} />
        <ol class="card-list">
          {categories.map((category, index) => (
            <li key={category.id} class="card">
              <h2>
                <a href={categoryPath(category.slug)}>{category.name}</a>
              </h2>
              <Form
                action={`${CATEGORIES_ADMIN_PAGE}/${category.id}`}
                csrfToken={token}
                label={`Change ${category.name}`}
              >
                <Field
                  name={`name-${category.id}`}
                  label="Name"
                  required
                  value={category.name}
                  error={form.errors?.[`name-${category.id}`]}
                />
                <Field
                  name={`description-${category.id}`}
                  label="Description"
                  type="textarea"
                  rows={2}
                  value={category.description}
                  error={form.errors?.[`description-${category.id}`]}
                />
                <Button variant="secondary">
                  Save<span class="visually-hidden"> {category.name}</span>
                </Button>
              </Form>
              <Form
                action={`${CATEGORIES_ADMIN_PAGE}/${category.id}/move`}
                csrfToken={token}
                label={`Move ${category.name}`}
              >
                <div class="actions">
                  {index > 0 ? (
                    <Button name="direction" value="up" variant="secondary">
                      Move up<span class="visually-hidden"> {category.name}</span>
                    </Button>
                  ) : null}
                  {index < categories.length - 1 ? (
                    <Button name="direction" value="down" variant="secondary">
                      Move down<span class="visually-hidden"> {category.name}</span>
                    </Button>
                  ) : null}
                </div>
              </Form>
            </li>
          ))}
        </ol>
        <h2>Add a category</h2>
        <Form action={CATEGORIES_ADMIN_PAGE} csrfToken={token} label="New category">
          <Field
            name="name"
            label="Name"
            required
            value={valueOf(form.values, 'name')}
            error={form.errors?.name}
          />
          <Field
            name="description"
            label="Description"
            type="textarea"
            rows={2}
            value={valueOf(form.values, 'description')}
            error={form.errors?.description}
          />
          <Button>Add the category</Button>
        </Form>
      </>,
      form.errors,
    );
  };

  app.get(CATEGORIES_ADMIN_PAGE, { preHandler: moderatorsOnly }, (request, reply) =>
    categoriesPage(request, reply, { values: {} }),
  );

  app.post(CATEGORIES_ADMIN_PAGE, { preHandler: moderatorsOnly }, async (request, reply) => {
    const staff = await staffOf(request);
    const values = readFormValues(request.body);
    try {
      await createCategory(app.db, staff.id, {
        name: text(values, 'name'),
        description: text(values, 'description'),
      });
    } catch (error) {
      if (error instanceof AppError && error.fields) {
        return categoriesPage(request, reply, { values, errors: error.fields });
      }
      throw error;
    }
    return reply.redirect(`${CATEGORIES_ADMIN_PAGE}?saved=1`, 303);
  });

  app.post<{ Params: { id: string } }>(
    `${CATEGORIES_ADMIN_PAGE}/:id`,
    { preHandler: moderatorsOnly },
    async (request, reply) => {
      const staff = await staffOf(request);
      const values = readFormValues(request.body);
      const id = request.params.id;
      try {
        await updateCategory(app.db, staff.id, id, {
          name: text(values, `name-${id}`),
          description: text(values, `description-${id}`),
        });
      } catch (error) {
        if (error instanceof AppError && error.fields) {
          const fields = Object.fromEntries(
            Object.entries(error.fields).map(([name, message]) => [`${name}-${id}`, message]),
          );
          return categoriesPage(request, reply, { values: {}, errors: fields });
        }
        throw error;
      }
      return reply.redirect(`${CATEGORIES_ADMIN_PAGE}?saved=1`, 303);
    },
  );

  app.post<{ Params: { id: string } }>(
    `${CATEGORIES_ADMIN_PAGE}/:id/move`,
    { preHandler: moderatorsOnly },
    async (request, reply) => {
      const staff = await staffOf(request);
      const direction = text(readFormValues(request.body), 'direction');
      if (direction !== 'up' && direction !== 'down') {
        throw new AppError('validation_failed', 'Choose up or down.', {
          fields: { direction: 'Choose up or down.' },
        });
      }
      await moveCategory(app.db, staff.id, request.params.id, direction);
      return reply.redirect(`${CATEGORIES_ADMIN_PAGE}?saved=1`, 303);
    },
  );

  return Promise.resolve();
};
