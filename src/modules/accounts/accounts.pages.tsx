/**
 * The accounts pages: /register, /verify-email, /login (+ /login/totp), /logout,
 * /forgot-password, /reset-password and /account. Post/redirect/get throughout; a form with
 * errors is shown again with status 422 (the person's answers kept, never a password).
 * Pages validate with `validateForm`, not a Fastify body schema: a person gets the form back,
 * not a JSON error.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { AppError, isAppError } from '../../platform/http/errors.js';
import {
  listNewsletterCatalogue,
  newsletterFormErrors,
  parseNewsletterForm,
  readNewsletterForm,
} from '../newsletters/index.js';
import { sensitiveRateLimit } from '../../platform/http/rate-limit.js';
import { listSessionsForUser, revokeSession } from '../../platform/http/sessions.js';
import { readFormValues, validateForm, type FormValues } from '../../platform/views/form-input.js';
import {
  forgetCurrentMember,
  getCurrentMember,
  memberOnly,
  SECOND_FACTOR_KEY,
  type CurrentMember,
} from './accounts.guards.js';
import { configuredProviders, safeNextPath } from './accounts.oidc.js';
import { accountsDepsOf, reauthenticateForNewPassword } from './accounts.routes.js';
import {
  authenticateWithPassword,
  confirmPasswordReset,
  isResetTokenUsable,
  loadProfile,
  passSecondFactor,
  recordLogin,
  registerMember,
  requestPasswordReset,
  resendVerification,
  updateProfile,
  verifyEmailToken,
  type ProfileChanges,
} from './accounts.service.js';
import {
  AccountPage,
  CheckEmailPage,
  EmailConfirmedPage,
  EmailRequestPage,
  LoginPage,
  RegisterPage,
  ResetPasswordPage,
  TotpPage,
  VerifyEmailPage,
  type AccountForm,
} from './accounts.views.js';

const Text = Type.String({ minLength: 1, maxLength: 1024 });

const RegisterForm = Type.Object({
  firstName: Text,
  surname: Text,
  email: Text,
  password: Text,
  location: Text,
});

const LoginForm = Type.Object({ email: Text, password: Text });
const EmailForm = Type.Object({ email: Text });

/**
 * A registration error's messages keyed by the form's controls: the service names newsletter
 * problems by the JSON shape (`newsletters.1.dueDate`), the form by control.
 */
function formErrorsOfRegistration(
  fields: Readonly<Record<string, string>>,
  values: FormValues,
): Record<string, string> {
  const isNewsletterKey = (name: string) =>
    name === 'newsletters' || name.startsWith('newsletters.');
  const own = Object.entries(fields).filter(([name]) => !isNewsletterKey(name));
  const newsletter = Object.entries(fields).filter(([name]) => isNewsletterKey(name));
  return {
    ...Object.fromEntries(own),
    ...newsletterFormErrors(Object.fromEntries(newsletter), values),
  };
}

/** A query parameter as one string, or null. */
function queryValue(request: FastifyRequest, name: string): string | null {
  const query = request.query as Record<string, unknown> | undefined;
  const value = query?.[name];
  return typeof value === 'string' ? value : null;
}

function isFormError(error: unknown): error is AppError {
  return (
    isAppError(error) &&
    [
      'validation_failed',
      'invalid_credentials',
      'rate_limited',
      'account_disabled',
      'reauthentication_required',
      'conflict',
      'unauthenticated',
    ].includes(error.code)
  );
}

/** The status a form shown again answers with: 422 for field errors, else the error's own. */
function formStatus(error: AppError): number {
  return error.code === 'validation_failed' ? 422 : error.statusCode;
}

const ACCOUNT_NOTICES: Readonly<Record<string, string>> = {
  profile: 'Your details are saved.',
  email: 'Your details are saved. Open the link we sent to your new address to start using it.',
  password: 'Your password is changed. Every other session is logged out.',
  anonymous: 'Your name on new posts is changed.',
  session: 'That session is logged out.',
};

export const accountsPages: FastifyPluginAsync = (app) => {
  const db = app.db;
  const deps = accountsDepsOf(app);
  const limit = (budget: string) => ({ rateLimit: sensitiveRateLimit(app.config, budget) });

  // --- Registration -------------------------------------------------------------------------

  const socialProviders = configuredProviders(app.config);

  app.get('/register', async (request, reply) => {
    if (await getCurrentMember(request)) return reply.redirect('/account', 303);
    const catalogue = await listNewsletterCatalogue(db);
    return reply.page(
      'Join Hearth',
      <RegisterPage
        csrfToken={request.csrfToken()}
        catalogue={catalogue}
        socialProviders={socialProviders}
      />,
    );
  });

  app.post('/register', { config: limit('register') }, async (request, reply) => {
    const values = readFormValues(request.body);
    const catalogue = await listNewsletterCatalogue(db);
    const showAgain = (errors: Record<string, string>, formError?: string, status = 422) =>
      reply.page(
        'Join Hearth',
        <RegisterPage
          csrfToken={request.csrfToken()}
          catalogue={catalogue}
          socialProviders={socialProviders}
          values={values}
          errors={errors}
          formError={formError}
        />,
        { errors, status },
      );
    const form = validateForm(RegisterForm, request.body, {
      firstName: 'Enter your first name',
      surname: 'Enter your surname',
      email: 'Enter your email address',
      password: 'Choose a password',
      location: 'Choose your location from the list',
    });
    if (!form.ok) {
      // The newsletter answers are checked too, so every problem is reported at once.
      const newsletters = parseNewsletterForm(values, {
        catalogue,
        timeZone: app.config.timezone,
      });
      return showAgain({ ...form.errors, ...(newsletters.ok ? {} : newsletters.errors) });
    }
    try {
      await registerMember(
        db,
        deps,
        { ...form.value, newsletters: readNewsletterForm(values) },
        'form',
      );
    } catch (error) {
      if (!isFormError(error)) throw error;
      // The service names newsletter problems by the JSON shape; the form names its controls.
      return showAgain(
        error.fields ? formErrorsOfRegistration(error.fields, values) : {},
        error.fields ? undefined : error.message,
        formStatus(error),
      );
    }
    return reply.redirect('/register/check-email', 303);
  });

  app.get('/register/check-email', async (_request, reply) =>
    reply.page('Check your email', <CheckEmailPage />),
  );

  // --- Email verification -------------------------------------------------------------------

  // Opening the link shows a button; the POST confirms. Mail scanners that fetch every link in
  // a message must not confirm an address on the person's behalf.
  app.get('/verify-email', async (request, reply) =>
    reply.page(
      'Confirm your email address',
      <VerifyEmailPage csrfToken={request.csrfToken()} token={queryValue(request, 'token')} />,
    ),
  );

  app.post('/verify-email', { config: limit('verify') }, async (request, reply) => {
    const token = readFormValues(request.body).token;
    try {
      const outcome = await verifyEmailToken(db, deps, typeof token === 'string' ? token : '');
      return reply.redirect(
        `/verify-email/done?changed=${outcome === 'email-changed' ? 1 : 0}`,
        303,
      );
    } catch (error) {
      if (!isFormError(error)) throw error;
      return reply.page(
        'Confirm your email address',
        <VerifyEmailPage csrfToken={request.csrfToken()} token={null} error={error.message} />,
        { status: error.statusCode },
      );
    }
  });

  app.get('/verify-email/done', async (request, reply) => {
    const changed = queryValue(request, 'changed') === '1';
    const member = await getCurrentMember(request);
    return reply.page(
      'Email address confirmed',
      <EmailConfirmedPage changed={changed} loggedIn={member !== null} />,
    );
  });

  const resendPage = (
    request: FastifyRequest,
    reply: FastifyReply,
    state: Partial<{ values: FormValues; errors: Record<string, string>; sent: boolean }>,
  ) =>
    reply.page(
      'Send the confirmation link again',
      <EmailRequestPage
        csrfToken={request.csrfToken()}
        title="Send the confirmation link again"
        intro="Enter the address you joined with. If it still needs confirming, we send a new link; the old one stops working."
        action="/verify-email/resend"
        sent={state.sent ?? false}
        sentText="If that address needs confirming, a new link is on its way. Check your email."
        values={state.values}
        errors={state.errors}
      />,
      state.errors ? { errors: state.errors } : {},
    );

  app.get('/verify-email/resend', async (request, reply) =>
    resendPage(request, reply, { sent: queryValue(request, 'sent') === '1' }),
  );

  app.post('/verify-email/resend', { config: limit('verify') }, async (request, reply) => {
    const form = validateForm(EmailForm, request.body, { email: 'Enter your email address' });
    try {
      if (!form.ok) return resendPage(request, reply, { values: form.values, errors: form.errors });
      await resendVerification(db, deps, form.value.email);
    } catch (error) {
      if (!isFormError(error)) throw error;
      return resendPage(request, reply, {
        values: form.values,
        errors: error.fields ?? { email: error.message },
      });
    }
    return reply.redirect('/verify-email/resend?sent=1', 303);
  });

  // --- Log-in and log-out -------------------------------------------------------------------

  app.get('/login', async (request, reply) => {
    const next = safeNextPath(queryValue(request, 'next'), '/account');
    if (await getCurrentMember(request)) return reply.redirect(next, 303);
    const notice =
      queryValue(request, 'reset') === '1'
        ? 'Your password is changed. Log in with the new one.'
        : undefined;
    return reply.page(
      'Log in',
      <LoginPage
        csrfToken={request.csrfToken()}
        next={next}
        notice={notice}
        socialProviders={socialProviders}
      />,
    );
  });

  app.post('/login', { config: limit('login') }, async (request, reply) => {
    const values = readFormValues(request.body);
    const next = safeNextPath(values.next, '/account');
    const form = validateForm(LoginForm, request.body, {
      email: 'Enter your email address',
      password: 'Enter your password',
    });
    const showAgain = (
      errors: Record<string, string> | undefined,
      formError: string | undefined,
      status: number,
    ) =>
      reply.page(
        'Log in',
        <LoginPage
          csrfToken={request.csrfToken()}
          next={next}
          socialProviders={socialProviders}
          values={{ email: values.email ?? '' }}
          errors={errors}
          formError={formError}
        />,
        { status, ...(errors ? { errors } : {}) },
      );
    if (!form.ok) return showAgain(form.errors, undefined, 422);
    try {
      const member = await authenticateWithPassword(
        db,
        deps,
        form.value.email,
        form.value.password,
      );
      await request.startSession(member.userId);
      forgetCurrentMember(request);
      await recordLogin(db, member.userId);
      if (member.isStaff) {
        // Staff pass the second factor before the staff area opens; first they set it up.
        return reply.redirect(
          member.totpEnabled
            ? `/login/totp?next=${encodeURIComponent(next)}`
            : '/account/two-factor',
          303,
        );
      }
      return reply.redirect(next, 303);
    } catch (error) {
      if (!isFormError(error)) throw error;
      return showAgain(undefined, error.message, error.statusCode);
    }
  });

  const totpPage = (request: FastifyRequest, reply: FastifyReply, next: string, error?: AppError) =>
    reply.page(
      'Enter your two-factor code',
      <TotpPage
        csrfToken={request.csrfToken()}
        next={next}
        errors={error?.fields}
        formError={error && !error.fields ? error.message : undefined}
      />,
      error ? { status: formStatus(error), ...(error.fields ? { errors: error.fields } : {}) } : {},
    );

  app.get('/login/totp', async (request, reply) => {
    const next = safeNextPath(queryValue(request, 'next'), '/admin');
    const member = await getCurrentMember(request);
    if (!member) return reply.redirect(`/login?next=${encodeURIComponent(next)}`, 303);
    if (!member.totpEnabled) return reply.redirect('/account/two-factor', 303);
    if (member.secondFactorPassed) return reply.redirect(next, 303);
    return totpPage(request, reply, next);
  });

  app.post('/login/totp', { config: limit('login') }, async (request, reply) => {
    const values = readFormValues(request.body);
    const next = safeNextPath(values.next, '/admin');
    const member = await getCurrentMember(request);
    if (!member || !request.session)
      return reply.redirect(`/login?next=${encodeURIComponent(next)}`, 303);
    try {
      const code = typeof values.code === 'string' ? values.code : '';
      await passSecondFactor(db, deps, member.id, code);
    } catch (error) {
      if (!isFormError(error)) throw error;
      return totpPage(request, reply, next, error);
    }
    await request.setSessionData({
      ...request.session.data,
      [SECOND_FACTOR_KEY]: new Date().toISOString(),
    });
    // A privilege change: the session moves to a new id, so a copy taken before is worthless.
    await request.rotateSession();
    forgetCurrentMember(request);
    return reply.redirect(next, 303);
  });

  app.post('/logout', async (request, reply) => {
    await request.endSession();
    forgetCurrentMember(request);
    return reply.redirect('/', 303);
  });

  // --- Password reset -----------------------------------------------------------------------

  const forgotPage = (
    request: FastifyRequest,
    reply: FastifyReply,
    state: Partial<{ values: FormValues; errors: Record<string, string>; sent: boolean }>,
  ) =>
    reply.page(
      'Forgotten your password?',
      <EmailRequestPage
        csrfToken={request.csrfToken()}
        title="Forgotten your password?"
        intro="Enter the address you log in with. If it belongs to an account, we send a link to choose a new password. The link works for one hour."
        action="/forgot-password"
        sent={state.sent ?? false}
        sentText="If that address belongs to an account, a link is on its way. Check your email."
        values={state.values}
        errors={state.errors}
      />,
      state.errors ? { errors: state.errors } : {},
    );

  app.get('/forgot-password', async (request, reply) =>
    forgotPage(request, reply, { sent: queryValue(request, 'sent') === '1' }),
  );

  app.post('/forgot-password', { config: limit('reset') }, async (request, reply) => {
    const form = validateForm(EmailForm, request.body, { email: 'Enter your email address' });
    try {
      if (!form.ok) return forgotPage(request, reply, { values: form.values, errors: form.errors });
      await requestPasswordReset(db, deps, form.value.email);
    } catch (error) {
      if (!isFormError(error)) throw error;
      return forgotPage(request, reply, {
        values: form.values,
        errors: error.fields ?? { email: error.message },
      });
    }
    return reply.redirect('/forgot-password?sent=1', 303);
  });

  app.get('/reset-password', async (request, reply) => {
    const token = queryValue(request, 'token');
    const usable = token !== null && (await isResetTokenUsable(db, token));
    return reply.page(
      'Choose a new password',
      <ResetPasswordPage csrfToken={request.csrfToken()} token={token} usable={usable} />,
    );
  });

  app.post('/reset-password', { config: limit('reset') }, async (request, reply) => {
    const values = readFormValues(request.body);
    const token = typeof values.token === 'string' ? values.token : '';
    const password = typeof values.password === 'string' ? values.password : '';
    try {
      if (password === '') {
        const errors = { password: 'Choose a new password' };
        return reply.page(
          'Choose a new password',
          <ResetPasswordPage
            csrfToken={request.csrfToken()}
            token={token}
            usable
            errors={errors}
          />,
          { errors },
        );
      }
      await confirmPasswordReset(db, deps, token, password);
    } catch (error) {
      if (!isFormError(error)) throw error;
      const tokenProblem = error.fields?.token;
      const errors = tokenProblem ? undefined : error.fields;
      return reply.page(
        'Choose a new password',
        <ResetPasswordPage
          csrfToken={request.csrfToken()}
          token={token}
          usable={tokenProblem === undefined}
          errors={errors}
          formError={tokenProblem}
        />,
        { status: formStatus(error), ...(errors ? { errors } : {}) },
      );
    }
    // The reset logged out every session, this browser's included.
    await request.endSession();
    return reply.redirect('/login?reset=1', 303);
  });

  // --- The account page ---------------------------------------------------------------------

  const accountPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    member: CurrentMember,
    state: { form?: AccountForm; values?: FormValues; error?: AppError } = {},
  ) => {
    const [profile, sessions] = await Promise.all([
      loadProfile(db, member.id),
      listSessionsForUser(db, member.id),
    ]);
    const errors = state.error?.fields;
    const notice = ACCOUNT_NOTICES[queryValue(request, 'done') ?? ''];
    return reply.page(
      'Your account',
      <AccountPage
        csrfToken={request.csrfToken()}
        profile={profile}
        sessions={sessions}
        currentSessionId={member.sessionId}
        notice={state.error ? undefined : notice}
        form={state.form}
        values={state.values}
        errors={errors}
        formError={state.error && !errors ? state.error.message : undefined}
      />,
      state.error ? { status: formStatus(state.error), ...(errors ? { errors } : {}) } : {},
    );
  };

  /** Runs a change from one of the account page's forms, then redirects or shows it again. */
  const accountChange =
    (
      form: AccountForm,
      change: (
        request: FastifyRequest,
        member: CurrentMember,
        values: FormValues,
      ) => Promise<string>,
    ) =>
    async (request: FastifyRequest, reply: FastifyReply) => {
      const member = await getCurrentMember(request);
      if (!member) return reply.redirect('/login?next=%2Faccount', 303);
      const values = readFormValues(request.body);
      try {
        const done = await change(request, member, values);
        forgetCurrentMember(request);
        return reply.redirect(`/account?done=${done}`, 303);
      } catch (error) {
        if (!isFormError(error)) throw error;
        return accountPage(request, reply, member, { form, values, error });
      }
    };

  app.get('/account', { preHandler: memberOnly }, async (request, reply) => {
    const member = await getCurrentMember(request);
    if (!member) return reply.redirect('/login?next=%2Faccount', 303);
    return accountPage(request, reply, member);
  });

  app.post(
    '/account/profile',
    { preHandler: memberOnly },
    accountChange('profile', async (_request, member, values) => {
      const text = (name: string) => (typeof values[name] === 'string' ? values[name] : '');
      const changes: ProfileChanges = {
        firstName: text('firstName'),
        surname: text('surname'),
        location: text('location'),
      };
      const email = text('email');
      const emailChanged = email.toLowerCase() !== member.email;
      if (emailChanged) changes.email = email;
      await updateProfile(db, deps, { id: member.id, sessionId: member.sessionId }, changes);
      return emailChanged ? 'email' : 'profile';
    }),
  );

  app.post(
    '/account/password',
    { config: limit('login'), preHandler: memberOnly },
    accountChange('password', async (request, member, values) => {
      const password = typeof values.password === 'string' ? values.password : '';
      if (password === '') {
        throw new AppError('validation_failed', 'Choose a new password.', {
          fields: { password: 'Choose a new password' },
        });
      }
      const current =
        typeof values.currentPassword === 'string' ? values.currentPassword : undefined;
      await reauthenticateForNewPassword(request, current);
      await updateProfile(db, deps, { id: member.id, sessionId: member.sessionId }, { password });
      return 'password';
    }),
  );

  app.post(
    '/account/anonymous',
    { preHandler: memberOnly },
    accountChange('anonymous', async (_request, member, values) => {
      await updateProfile(
        db,
        deps,
        { id: member.id, sessionId: member.sessionId },
        { anonymous: values.anonymous === 'on' },
      );
      return 'anonymous';
    }),
  );

  app.post('/account/sessions/revoke', { preHandler: memberOnly }, async (request, reply) => {
    const member = await getCurrentMember(request);
    if (!member) return reply.redirect('/login?next=%2Faccount', 303);
    const sessionId = readFormValues(request.body).sessionId;
    if (typeof sessionId === 'string' && sessionId === member.sessionId) {
      await request.endSession();
      return reply.redirect('/login', 303);
    }
    if (typeof sessionId === 'string') await revokeSession(db, member.id, sessionId);
    return reply.redirect('/account?done=session', 303);
  });
  return Promise.resolve();
};
