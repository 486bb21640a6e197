/**
 * `/admin/newsletters`: editors (roles editor and admin, second factor passed) write and change
 * editions in forms that work without JavaScript. The same rules as the API apply
 * (`editionErrors`); a form with mistakes comes back with the messages by field (422).
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
import { Button, ErrorSummary, Field, Form, Select, valueOf } from '../../platform/views/forms.js';
import { getCurrentMember, rolesOnly, type CurrentMember } from '../accounts/index.js';
import {
  createEdition,
  findEdition,
  listEditions,
  updateEdition,
  LAST_BABY_MONTH,
  LAST_PREGNANCY_WEEK,
  type Edition,
  type EditionInput,
} from './newsletters.editions.js';
import { EDITOR_ROLES } from './newsletters.editions.routes.js';
import type { NewsletterList } from './newsletters.preferences.js';
import { listNewsletterCatalogue } from './newsletters.service.js';

export const EDITIONS_ADMIN_PAGE = '/admin/newsletters';

export const EDITIONS_NAV: readonly AdminNavEntry[] = [
  { href: EDITIONS_ADMIN_PAGE, label: 'Newsletters', roles: EDITOR_ROLES },
];

/**
 * The admin module's shell, loaded when a page is first rendered: accounts' registration imports
 * the newsletters module, and the admin index imports accounts back, so a static import would
 * read accounts before it has finished loading.
 */
const adminViews = () => import('../admin/index.js');

function stageLabel(edition: Edition): string {
  if (edition.kind === 'pregnancy-weekly') return `Week ${edition.stage ?? '?'}`;
  if (edition.kind === 'baby-monthly') return `Month ${edition.stage ?? '?'}`;
  return edition.sendOn ?? '';
}

function EditionsTable(props: { editions: readonly Edition[]; titles: Map<string, string> }) {
  if (props.editions.length === 0) return <p>No editions yet.</p>;
  return (
    <table>
      <caption>Editions</caption>
      <thead>
        <tr>
          <th scope="col">Newsletter</th>
          <th scope="col">Day, week or month</th>
          <th scope="col">Subject</th>
          <th scope="col">Status</th>
        </tr>
      </thead>
      <tbody>
        {props.editions.map((edition) => (
          <tr key={edition.id}>
            <td>{props.titles.get(edition.list) ?? edition.list}</td>
            <td>{stageLabel(edition)}</td>
            <td>
              <a href={`${EDITIONS_ADMIN_PAGE}/editions/${edition.id}`}>{edition.subject}</a>
            </td>
            <td>{edition.status === 'ready' ? 'Ready to send' : 'Draft'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function EditionForm(props: {
  action: string;
  csrfToken: string;
  catalogue: readonly NewsletterList[];
  values: FormValues;
  errors?: FieldErrors | undefined;
  listFixed: boolean;
  submit: string;
}) {
  const values = props.values;
  return (
    <Form action={props.action} csrfToken={props.csrfToken} label="Edition">
      <Select
        name="list"
        label="Newsletter"
        required
        options={props.catalogue
          .filter((list) => !props.listFixed || list.key === valueOf(values, 'list'))
          .map((list) => ({ value: list.key, label: list.title }))}
        value={valueOf(values, 'list')}
        error={props.errors?.list}
      />
      <Field
        name="stage"
        label="Week or month"
        type="number"
        width="short"
        hint={`Pregnancy Weekly: the week of pregnancy, 1 to ${LAST_PREGNANCY_WEEK}. Baby Monthly: the month of the baby’s age, 0 to ${LAST_BABY_MONTH}. Leave empty for other newsletters.`}
        value={valueOf(values, 'stage')}
        error={props.errors?.stage}
      />
      <Field
        name="sendOn"
        label="Day it goes out"
        type="date"
        hint="Other newsletters only: sent from 07:00 that day."
        value={valueOf(values, 'sendOn')}
        error={props.errors?.sendOn}
      />
      <Field
        name="subject"
        label="Subject"
        required
        value={valueOf(values, 'subject')}
        error={props.errors?.subject}
      />
      <Field
        name="body"
        label="Letter"
        type="textarea"
        rows={16}
        required
        hint="Markdown. Each letter starts “Dear <first name>,” and ends with the unsubscribe link."
        value={valueOf(values, 'body')}
        error={props.errors?.body}
      />
      <Select
        name="status"
        label="Status"
        required
        options={[
          { value: 'draft', label: 'Draft: not sent' },
          { value: 'ready', label: 'Ready to send' },
        ]}
        value={valueOf(values, 'status') ?? 'draft'}
        error={props.errors?.status}
      />
      <Button>{props.submit}</Button>
    </Form>
  );
}

function text(values: FormValues, name: string): string {
  const value = valueOf(values, name);
  return typeof value === 'string' ? value.trim() : '';
}

/** The form's fields as an edition; a field that is not even the right type is an error. */
function editionFromForm(
  values: FormValues,
): { ok: true; input: EditionInput } | { ok: false; errors: FieldErrors } {
  const stageText = text(values, 'stage');
  const status = text(values, 'status');
  const errors: Record<string, string> = {};
  if (stageText !== '' && !/^\d{1,3}$/.test(stageText)) errors.stage = 'Enter a whole number.';
  if (status !== 'draft' && status !== 'ready') errors.status = 'Choose draft or ready.';
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  const sendOn = text(values, 'sendOn');
  return {
    ok: true,
    input: {
      list: text(values, 'list'),
      stage: stageText === '' ? null : Number(stageText),
      sendOn: sendOn === '' ? null : sendOn,
      subject: text(values, 'subject'),
      body: valueOf(values, 'body') ?? '',
      status: status as EditionInput['status'],
    },
  };
}

function formValuesOf(edition: Edition): FormValues {
  return {
    list: edition.list,
    stage: edition.stage === null ? '' : String(edition.stage),
    sendOn: edition.sendOn ?? '',
    subject: edition.subject,
    body: edition.body,
    status: edition.status,
  };
}

async function editorOf(request: FastifyRequest): Promise<CurrentMember> {
  const member = await getCurrentMember(request);
  if (!member) throw new AppError('unauthenticated', 'Please log in first.');
  return member;
}

export const editionsAdminPages: FastifyPluginAsync = (app) => {
  const editorsOnly = rolesOnly([...EDITOR_ROLES]);

  const sendPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    title: string,
    body: ComponentChildren,
    errors?: FieldErrors,
  ) => {
    const { sendAdminPage } = await adminViews();
    return sendAdminPage(app, request, reply, await editorOf(request), title, body, {
      ...(errors ? { errors } : {}),
    });
  };

  const indexPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    form: { values: FormValues; errors?: FieldErrors },
  ) => {
    const [catalogue, editions] = await Promise.all([
      listNewsletterCatalogue(app.db),
      listEditions(app.db),
    ]);
    const titles = new Map(catalogue.map((list) => [list.key, list.title]));
    const saved = (request.query as Record<string, unknown>).saved === '1';
    return sendPage(
      request,
      reply,
      'Newsletters',
      <>
        <h1>Newsletters</h1>
        {saved ? (
          <div class="panel" role="status">
            <p>The edition is saved.</p>
          </div>
        ) : null}
        <EditionsTable editions={editions} titles={titles} />
        <h2>Write an edition</h2>
        <ErrorSummary errors={form.errors} />
        <EditionForm
          action={`${EDITIONS_ADMIN_PAGE}/editions`}
          csrfToken={request.csrfToken()}
          catalogue={catalogue.filter((list) => list.active)}
          values={form.values}
          errors={form.errors}
          listFixed={false}
          submit="Save edition"
        />
      </>,
      form.errors,
    );
  };

  const editPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    edition: Edition,
    form: { values: FormValues; errors?: FieldErrors },
  ) => {
    const catalogue = await listNewsletterCatalogue(app.db);
    return sendPage(
      request,
      reply,
      `Edit: ${edition.subject}`,
      <>
        <p>
          <a href={EDITIONS_ADMIN_PAGE}>All editions</a>
        </p>
        <h1>Edit an edition</h1>
        <ErrorSummary errors={form.errors} />
        <EditionForm
          action={`${EDITIONS_ADMIN_PAGE}/editions/${edition.id}`}
          csrfToken={request.csrfToken()}
          catalogue={catalogue}
          values={form.values}
          errors={form.errors}
          listFixed
          submit="Save changes"
        />
      </>,
      form.errors,
    );
  };

  /** Runs a write; its field errors come back as the form again instead of an error page. */
  const saving = async (
    write: () => Promise<unknown>,
    showAgain: (errors: FieldErrors) => Promise<FastifyReply>,
  ): Promise<FastifyReply | undefined> => {
    try {
      await write();
      return undefined;
    } catch (error) {
      if (error instanceof AppError && error.fields) return showAgain(error.fields);
      throw error;
    }
  };

  app.get(EDITIONS_ADMIN_PAGE, { preHandler: editorsOnly }, (request, reply) =>
    indexPage(request, reply, { values: { status: 'draft' } }),
  );

  app.post(
    `${EDITIONS_ADMIN_PAGE}/editions`,
    { preHandler: editorsOnly },
    async (request, reply) => {
      const values = readFormValues(request.body);
      const parsed = editionFromForm(values);
      if (!parsed.ok) return indexPage(request, reply, { values, errors: parsed.errors });
      const shown = await saving(
        () => app.db.transaction().execute((trx) => createEdition(trx, parsed.input)),
        (errors) => indexPage(request, reply, { values, errors }),
      );
      return shown ?? reply.redirect(`${EDITIONS_ADMIN_PAGE}?saved=1`, 303);
    },
  );

  app.get<{ Params: { id: string } }>(
    `${EDITIONS_ADMIN_PAGE}/editions/:id`,
    { preHandler: editorsOnly },
    async (request, reply) => {
      const edition = await findEdition(app.db, request.params.id);
      if (!edition) throw new AppError('not_found', 'There is no such edition.');
      return editPage(request, reply, edition, { values: formValuesOf(edition) });
    },
  );

  app.post<{ Params: { id: string } }>(
    `${EDITIONS_ADMIN_PAGE}/editions/:id`,
    { preHandler: editorsOnly },
    async (request, reply) => {
      const edition = await findEdition(app.db, request.params.id);
      if (!edition) throw new AppError('not_found', 'There is no such edition.');
      const values = { ...readFormValues(request.body), list: edition.list };
      const parsed = editionFromForm(values);
      if (!parsed.ok) return editPage(request, reply, edition, { values, errors: parsed.errors });
      const shown = await saving(
        () => app.db.transaction().execute((trx) => updateEdition(trx, edition.id, parsed.input)),
        (errors) => editPage(request, reply, edition, { values, errors }),
      );
      return shown ?? reply.redirect(`${EDITIONS_ADMIN_PAGE}?saved=1`, 303);
    },
  );
  return Promise.resolve();
};
