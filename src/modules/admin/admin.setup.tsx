/**
 * The first admin. A fresh Hearth has no one who can open /admin, so when a process starts
 * serving HTTP and no admin exists, it logs (at warn, where an operator looks) a one-time link
 * to `/admin/setup?token=…`: valid 24 hours, single use, one valid link across all processes.
 * `hearth admin create` is the other way in (src/cli/admin.ts).
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { isAppError } from '../../platform/http/errors.js';
import { sensitiveRateLimit } from '../../platform/http/rate-limit.js';
import { Button, ErrorSummary, Field, Form } from '../../platform/views/forms.js';
import {
  validateForm,
  type FieldErrors,
  type FormValues,
} from '../../platform/views/form-input.js';
import { valueOf } from '../../platform/views/forms.js';
import { searchLocations, TWO_FACTOR_PAGE } from '../accounts/index.js';
import {
  checkAdminSetupToken,
  issueAdminSetupToken,
  MIN_PASSWORD_LENGTH,
  redeemAdminSetupToken,
  setupProblemMessage,
} from './admin.service.js';

export const ADMIN_SETUP_PATH = '/admin/setup';

/**
 * Logs the set-up link when no admin exists. Runs when the server starts listening, so tests
 * that never listen and CLI commands print nothing; a failure is logged, never fatal.
 */
export async function announceAdminSetup(app: FastifyInstance, now: Date = new Date()) {
  try {
    const result = await issueAdminSetupToken(app.db, now);
    if (result.issued) {
      const link = `${app.config.publicUrl}${ADMIN_SETUP_PATH}?token=${result.token}`;
      app.log.warn(
        { expiresAt: result.expiresAt },
        `Hearth has no admin yet. Create the first one, once, within 24 hours: ${link}`,
      );
    } else if (result.reason === 'issued-elsewhere') {
      app.log.warn(
        { issuedAt: result.issuedAt, expiresAt: result.expiresAt },
        'Hearth has no admin yet; another process just logged the one-time set-up link. Or run "hearth admin create".',
      );
    }
  } catch (error) {
    app.log.error({ err: error }, 'could not issue the admin set-up link');
  }
}

/** The place named exactly (folded as the place search folds), or undefined. */
function placeNamed(name: string): string | undefined {
  const [best] = searchLocations(name, 1);
  const fold = (text: string) => text.toLowerCase().replace(/[^a-z0-9]/g, '');
  return best && fold(best.name) === fold(name) ? best.id : undefined;
}

const SetupForm = Type.Object({
  token: Type.String({ minLength: 1, maxLength: 64 }),
  firstName: Type.String({ minLength: 1, maxLength: 100 }),
  surname: Type.String({ minLength: 1, maxLength: 100 }),
  email: Type.String({ minLength: 3, maxLength: 254, pattern: '^[^\\s@]+@[^\\s@]+\\.[^\\s@]+$' }),
  password: Type.String({ minLength: MIN_PASSWORD_LENGTH, maxLength: 256 }),
  location: Type.String({ minLength: 1, maxLength: 100 }),
});

const SetupQuery = Type.Object({ token: Type.Optional(Type.String({ maxLength: 64 })) });

function SetupPage(props: {
  token: string;
  csrfToken: string;
  values?: FormValues;
  errors?: FieldErrors;
}) {
  const value = (name: string) => valueOf(props.values, name);
  return (
    <section aria-labelledby="setup-title">
      <h1 id="setup-title">Create the first admin</h1>
      <ErrorSummary errors={props.errors} />
      <p>
        This link works once. The account you create here can grant staff roles to others; you will
        set up two-factor log-in next.
      </p>
      <Form action={ADMIN_SETUP_PATH} csrfToken={props.csrfToken} label="Create the first admin">
        <input type="hidden" name="token" value={props.token} />
        <Field
          name="firstName"
          label="First name"
          autocomplete="given-name"
          spellcheck={false}
          value={value('firstName')}
          error={props.errors?.firstName}
          required
        />
        <Field
          name="surname"
          label="Surname"
          autocomplete="family-name"
          spellcheck={false}
          value={value('surname')}
          error={props.errors?.surname}
          required
        />
        <Field
          name="email"
          type="email"
          label="Email address"
          autocomplete="email"
          spellcheck={false}
          value={value('email')}
          error={props.errors?.email}
          required
        />
        <Field
          name="password"
          type="password"
          label="Password"
          hint={`At least ${MIN_PASSWORD_LENGTH} characters. A few unrelated words make a strong one.`}
          autocomplete="new-password"
          error={props.errors?.password}
          required
        />
        <Field
          name="location"
          label="Town or area"
          hint="A UK town, city or area, for example Manchester."
          autocomplete="address-level2"
          value={value('location')}
          error={props.errors?.location}
          required
        />
        <Button>Create admin account</Button>
      </Form>
    </section>
  );
}

export const adminSetupRoutes: FastifyPluginAsync = (fastify) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.addHook('onListen', async () => {
    await announceAdminSetup(app);
  });

  const showProblem = (reply: FastifyReply, message: string) =>
    reply.page(
      'Admin set-up link',
      <section aria-labelledby="setup-title">
        <h1 id="setup-title">This set-up link cannot be used</h1>
        <p>{message}</p>
      </section>,
      { status: 404 },
    );

  app.get(
    ADMIN_SETUP_PATH,
    { schema: { querystring: SetupQuery, hide: true } },
    async (request, reply) => {
      const token = request.query.token ?? '';
      const check = await checkAdminSetupToken(app.db, token);
      if (check.problem !== null) return showProblem(reply, setupProblemMessage(check.problem));
      return reply.page(
        'Create the first admin',
        <SetupPage token={token} csrfToken={request.csrfToken()} />,
      );
    },
  );

  app.post(
    ADMIN_SETUP_PATH,
    { config: { rateLimit: sensitiveRateLimit(app.config, 'admin-setup') } },
    async (request, reply) => {
      const form = validateForm(SetupForm, request.body, {
        token: 'The set-up link is missing its token: open the link from the log again',
        firstName: 'Enter a first name of at most 100 characters',
        surname: 'Enter a surname of at most 100 characters',
        email: {
          missing: 'Enter an email address',
          invalid: 'Enter an email address like name@example.com',
        },
        password: {
          missing: 'Enter a password',
          invalid: `Enter a password of ${MIN_PASSWORD_LENGTH} to 256 characters`,
        },
        location: 'Enter a UK town, city or area',
      });
      const token = valueOf(form.values, 'token') ?? '';
      const reshow = (errors: FieldErrors) =>
        reply.page(
          'Create the first admin',
          <SetupPage
            token={token}
            csrfToken={request.csrfToken()}
            values={form.values}
            errors={errors}
          />,
          { errors },
        );
      if (!form.ok) {
        if (form.errors.token) return showProblem(reply, setupProblemMessage('invalid'));
        return reshow(form.errors);
      }
      const location = placeNamed(form.value.location);
      if (location === undefined) {
        return reshow({
          location: 'Enter a UK town, city or area from our list, for example Leeds',
        });
      }
      let created;
      try {
        created = await redeemAdminSetupToken(app.db, form.value.token, {
          email: form.value.email,
          password: form.value.password,
          firstName: form.value.firstName,
          surname: form.value.surname,
          location,
        });
      } catch (error) {
        if (isAppError(error) && error.code === 'not_found') {
          return showProblem(reply, error.message);
        }
        if (isAppError(error) && error.fields) return reshow(error.fields);
        throw error;
      }
      // The new admin is logged in and goes straight to setting up the second factor.
      await request.startSession(created.id);
      return reply.redirect(TWO_FACTOR_PAGE, 303);
    },
  );

  return Promise.resolve();
};
