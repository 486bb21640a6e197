/**
 * `/account/newsletters`: a member's newsletter choices as a form that works without JavaScript
 * (post, then redirect back with a confirmation), with the help contact for subscription
 * problems (P08), the way out of every letter (P07), and one button per pregnancy or baby that
 * stops those letters without asking why (issue 8 point 3).
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../platform/http/errors.js';
import {
  readFormValues,
  type FieldErrors,
  type FormValues,
} from '../../platform/views/form-input.js';
import { Button, ErrorSummary, Form } from '../../platform/views/forms.js';
import { receiptIssuerFor } from '../../privacy/consent/index.js';
import { currentNotice, currentNoticeVersion } from '../../privacy/notice/notice.service.js';
import type { DbExecutor } from '../../platform/db/database.js';
import { requireMember, type CurrentMember } from '../accounts/index.js';
import { NewsletterFields } from './newsletters.fields.js';
import { STOP_PREGNANCY_FORM, stopBabyFormPath } from './newsletters.editions.routes.js';
import { findActiveSubscriptions, findBabies } from './newsletters.queries.js';
import {
  newsletterFormErrors,
  newsletterFormValues,
  parseNewsletterForm,
  type NewsletterList,
} from './newsletters.preferences.js';
import {
  applyNewsletterPreferences,
  currentNewsletterPreferences,
  listNewsletterCatalogue,
} from './newsletters.service.js';

export const NEWSLETTERS_PAGE = '/account/newsletters';

interface NewslettersPageProps {
  csrfToken: string;
  catalogue: readonly NewsletterList[];
  values: FormValues;
  errors?: FieldErrors;
  saved: boolean;
  helpEmail: string;
  /** What the member can stop with one button (issue 8 point 3). */
  stops?: LifeStageStops;
  /** Set after a stop button: says what stopped. */
  stopped?: 'pregnancy' | 'baby' | undefined;
}

/** The life-stage letters a member receives, each of which one button stops. */
export interface LifeStageStops {
  /** Subscribed to Pregnancy Weekly: its due date. */
  pregnancy: { dueDate: string | null } | null;
  /** Every baby of Baby Monthly, oldest first. */
  babies: { id: string; birthDate: string }[];
}

/** `2026-05-01` → `1 May 2026`, the calendar date as written, whatever the server's zone. */
export function formatCalendarDay(day: string): string {
  return new Date(`${day}T00:00:00Z`).toLocaleDateString('en-GB', {
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    timeZone: 'UTC',
  });
}

/**
 * The accessible name of each baby's stop button: the date of birth tells the babies apart,
 * with an ordinal for twins (who share one).
 */
export function babyStopLabels(babies: readonly { birthDate: string }[]): string[] {
  const ORDINALS = ['first', 'second', 'third', 'fourth', 'fifth', 'sixth'];
  return babies.map((baby, index) => {
    const sameDay = babies.filter((other) => other.birthDate === baby.birthDate);
    const date = formatCalendarDay(baby.birthDate);
    if (sameDay.length === 1) return `Stop letters about the baby born ${date}`;
    const position = babies.slice(0, index).filter((other) => other.birthDate === baby.birthDate);
    const ordinal = ORDINALS[position.length] ?? `number ${position.length + 1}`;
    return `Stop letters about the ${ordinal} baby born ${date}`;
  });
}

function StopButtons(props: { csrfToken: string; stops: LifeStageStops }) {
  const { pregnancy, babies } = props.stops;
  if (!pregnancy && babies.length === 0) return null;
  const labels = babyStopLabels(babies);
  const pregnancyLabel =
    pregnancy?.dueDate != null
      ? `Stop pregnancy letters (due ${formatCalendarDay(pregnancy.dueDate)})`
      : 'Stop pregnancy letters';
  return (
    <section aria-labelledby="stop-heading">
      <h2 id="stop-heading">Stop letters about a pregnancy or a baby</h2>
      <p>
        One click stops them at once and deletes the date. We will not ask why, and they start again
        only if you choose them here.
      </p>
      {pregnancy ? (
        <Form action={STOP_PREGNANCY_FORM} csrfToken={props.csrfToken} label={pregnancyLabel}>
          <Button variant="secondary">{pregnancyLabel}</Button>
        </Form>
      ) : null}
      {babies.map((baby, index) => (
        <Form action={stopBabyFormPath(baby.id)} csrfToken={props.csrfToken} label={labels[index]}>
          <Button variant="secondary">{labels[index]}</Button>
        </Form>
      ))}
    </section>
  );
}

const STOPPED_MESSAGES = {
  pregnancy: 'Pregnancy letters have stopped and your due date is deleted.',
  baby: 'Letters about that baby have stopped and their date of birth is deleted.',
} as const;

export function NewslettersPage(props: NewslettersPageProps) {
  return (
    <>
      <p>
        <a href="/account">Your account</a>
      </p>
      <h1>Your newsletters</h1>
      {props.saved ? (
        <div class="panel" role="status">
          <p>Your newsletter choices are saved. They take effect at once.</p>
        </div>
      ) : null}
      {props.stopped ? (
        <div class="panel" role="status">
          <p>{STOPPED_MESSAGES[props.stopped]}</p>
        </div>
      ) : null}
      <ErrorSummary errors={props.errors} />
      <p class="lead">
        We send a newsletter only if you ask for it. Untick one to stop it: no more letters are
        sent, and a due date or date of birth you gave for it is deleted at once. Every letter also
        has an unsubscribe link.
      </p>
      <Form action={NEWSLETTERS_PAGE} csrfToken={props.csrfToken} label="Newsletter choices">
        <NewsletterFields catalogue={props.catalogue} values={props.values} errors={props.errors} />
        <Button>Save newsletter choices</Button>
      </Form>
      {props.stops ? <StopButtons csrfToken={props.csrfToken} stops={props.stops} /> : null}
      <h2>Problems with a subscription?</h2>
      <p>
        If a letter keeps coming after you unsubscribed, or you cannot change your choices, write to{' '}
        <a href={`mailto:${props.helpEmail}`}>{props.helpEmail}</a> and we will sort it out.
      </p>
    </>
  );
}

/**
 * The help address the published notice gives; before a notice exists (a fresh install), the
 * `help@` mailbox of the site's own domain.
 */
async function helpEmailFor(request: FastifyRequest): Promise<string> {
  const notice = await currentNotice(request.server.db);
  return notice?.content.helpEmail ?? `help@${new URL(request.server.config.publicUrl).hostname}`;
}

/** What the member's stop buttons offer: their Pregnancy Weekly and each Baby Monthly baby. */
async function lifeStageStops(
  db: DbExecutor,
  userId: string,
  catalogue: readonly NewsletterList[],
): Promise<LifeStageStops> {
  const kinds = new Map(catalogue.map((list) => [list.key, list.kind]));
  const subscriptions = await findActiveSubscriptions(db, userId);
  const pregnancy = subscriptions.find(
    (subscription) => kinds.get(subscription.list_key) === 'pregnancy-weekly',
  );
  const babies = await findBabies(
    db,
    subscriptions
      .filter((subscription) => kinds.get(subscription.list_key) === 'baby-monthly')
      .map((subscription) => subscription.id),
  );
  return {
    pregnancy: pregnancy ? { dueDate: pregnancy.due_date } : null,
    babies: babies
      .map((baby) => ({ id: baby.id, birthDate: baby.birth_date }))
      .sort((a, b) => a.birthDate.localeCompare(b.birthDate) || a.id.localeCompare(b.id)),
  };
}

async function renderPage(
  request: FastifyRequest,
  reply: FastifyReply,
  member: CurrentMember,
  form: {
    values: FormValues;
    errors?: FieldErrors;
    saved: boolean;
    stopped?: 'pregnancy' | 'baby' | undefined;
  },
) {
  const catalogue = await listNewsletterCatalogue(request.server.db);
  return reply.page(
    'Your newsletters',
    <NewslettersPage
      csrfToken={request.csrfToken()}
      catalogue={catalogue}
      values={form.values}
      saved={form.saved}
      helpEmail={await helpEmailFor(request)}
      stops={await lifeStageStops(request.server.db, member.id, catalogue)}
      stopped={form.stopped}
      {...(form.errors ? { errors: form.errors } : {})}
    />,
    {
      user: { displayName: member.displayName, isStaff: member.isStaff },
      ...(form.errors ? { errors: form.errors } : {}),
    },
  );
}

export const newslettersPages: FastifyPluginAsync = (app) => {
  app.get(NEWSLETTERS_PAGE, async (request, reply) => {
    const member = await requireMember(request, reply);
    if (!member) return reply;
    const preferences = await currentNewsletterPreferences(app.db, member.id);
    const query = request.query as Record<string, unknown>;
    const saved = query.saved === '1';
    const stopped =
      query.stopped === 'pregnancy' || query.stopped === 'baby' ? query.stopped : undefined;
    void reply.header('cache-control', 'no-store');
    return renderPage(request, reply, member, {
      values: newsletterFormValues(preferences),
      saved,
      stopped,
    });
  });

  app.post(NEWSLETTERS_PAGE, async (request, reply) => {
    const member = await requireMember(request, reply);
    if (!member) return reply;
    const values = readFormValues(request.body);
    const catalogue = await listNewsletterCatalogue(app.db);
    const parsed = parseNewsletterForm(values, { catalogue, timeZone: app.config.timezone });
    if (!parsed.ok) {
      return renderPage(request, reply, member, { values, errors: parsed.errors, saved: false });
    }
    const issuer = receiptIssuerFor(app);
    try {
      await app.db.transaction().execute(async (trx) => {
        const noticeVersion = await currentNoticeVersion(trx);
        if (noticeVersion === null) {
          throw new AppError('service_unavailable', 'Hearth is starting up. Please try again.');
        }
        await applyNewsletterPreferences(trx, member.id, parsed.value, {
          method: 'form',
          noticeVersion,
          issuer,
          timeZone: app.config.timezone,
        });
      });
    } catch (error) {
      // A list retired since the form was shown: show the form again with the message.
      if (error instanceof AppError && error.code === 'validation_failed' && error.fields) {
        const errors = newsletterFormErrors(error.fields, values);
        return renderPage(request, reply, member, { values, errors, saved: false });
      }
      throw error;
    }
    return reply.redirect(`${NEWSLETTERS_PAGE}?saved=1`, 303);
  });
  return Promise.resolve();
};
