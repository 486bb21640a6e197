/**
 * `/account/newsletters`: a member's newsletter choices as a form that works without JavaScript
 * (post, then redirect back with a confirmation), with the help contact for subscription
 * problems (P08) and the way out of every letter (P07).
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
import { requireMember, type CurrentMember } from '../accounts/index.js';
import { NewsletterFields } from './newsletters.fields.js';
import { STOP_PREGNANCY_FORM } from './newsletters.editions.routes.js';
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
  /** Subscribed to Pregnancy Weekly: offer the one-button stop (issue 8 point 3). */
  pregnancySubscribed?: boolean;
}

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
      {props.pregnancySubscribed ? (
        <Form action={STOP_PREGNANCY_FORM} csrfToken={props.csrfToken} label="Stop pregnancy mail">
          <h2>Stop pregnancy letters</h2>
          <p>One click stops Pregnancy Weekly and deletes your due date. We will not ask why.</p>
          <Button variant="secondary">Stop pregnancy letters</Button>
        </Form>
      ) : null}
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

async function renderPage(
  request: FastifyRequest,
  reply: FastifyReply,
  member: CurrentMember,
  form: { values: FormValues; errors?: FieldErrors; saved: boolean },
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
      pregnancySubscribed={(await currentNewsletterPreferences(request.server.db, member.id)).some(
        (preference) => preference.list === 'pregnancy-weekly',
      )}
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
    const saved = (request.query as Record<string, unknown>).saved === '1';
    void reply.header('cache-control', 'no-store');
    return renderPage(request, reply, member, {
      values: newsletterFormValues(preferences),
      saved,
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
