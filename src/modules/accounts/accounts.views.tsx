/**
 * The accounts pages' content (the routes are in accounts.pages.tsx). Every form works without
 * JavaScript, labels every control, and is shown again with its errors and the person's
 * answers, never a password.
 */
import type { ComponentChildren } from 'preact';
import {
  Button,
  ButtonLink,
  ErrorSummary,
  Field,
  Form,
  Select,
  valueOf,
  type SelectOption,
} from '../../platform/views/forms.js';
import type { FieldErrors, FormValues } from '../../platform/views/form-input.js';
import type { SessionSummary } from '../../platform/http/sessions.js';
import { NewsletterFields, type NewsletterList } from '../newsletters/index.js';
import type { Profile } from './accounts.service.js';
import { loadPlaces } from './locations.js';
import type { SocialProvider } from './accounts.oidc.js';
import { SocialLoginButtons } from './accounts.oidc.pages.js';

let placeOptions: readonly SelectOption[] | undefined;

/** Every shipped place, for the location list: works without JavaScript, in any browser. */
export function locationOptions(): readonly SelectOption[] {
  placeOptions ??= loadPlaces()
    .map((place) => ({ value: place.id, label: `${place.name}, ${place.region}` }))
    .sort((a, b) => a.label.localeCompare(b.label, 'en-GB'));
  return placeOptions;
}

export interface FormState {
  csrfToken: string;
  values?: FormValues | undefined;
  errors?: FieldErrors | undefined;
  /** A problem with the whole form ("The email address or password is wrong"). */
  formError?: string | undefined;
}

/** A success message after a redirect (post/redirect/get). */
export function Notice(props: { children: ComponentChildren }) {
  return (
    <div class="notice" role="status">
      <p>{props.children}</p>
    </div>
  );
}

export function RegisterPage(
  props: FormState & {
    catalogue: readonly NewsletterList[];
    socialProviders?: readonly SocialProvider[];
  },
) {
  const { values, errors } = props;
  return (
    <>
      <h1>Join Hearth</h1>
      <p>
        We ask only for what runs your account: your name, email address, a password, the place you
        choose, and which newsletters you want. Our <a href="/privacy">privacy notice</a> says how
        we use it.
      </p>
      <ErrorSummary errors={errors} formError={props.formError} />
      <Form action="/register" csrfToken={props.csrfToken} label="Join Hearth">
        <Field
          name="firstName"
          label="First name"
          autocomplete="given-name"
          spellcheck={false}
          required
          value={valueOf(values, 'firstName')}
          error={errors?.firstName}
        />
        <Field
          name="surname"
          label="Surname"
          autocomplete="family-name"
          spellcheck={false}
          required
          value={valueOf(values, 'surname')}
          error={errors?.surname}
          hint="Other members see only its first letter, in your username."
        />
        <Field
          name="email"
          type="email"
          label="Email address"
          autocomplete="email"
          spellcheck={false}
          required
          value={valueOf(values, 'email')}
          error={errors?.email}
          hint="We send a link to confirm it."
        />
        <Field
          name="password"
          type="password"
          label="Password"
          autocomplete="new-password"
          required
          error={errors?.password}
          hint="At least 8 characters. A few unrelated words make a strong password."
        />
        <Select
          name="location"
          label="Your location"
          hint="The town or area you choose to show; never your address."
          emptyChoice="Choose a place"
          options={locationOptions()}
          required
          value={valueOf(values, 'location')}
          error={errors?.location}
        />
        <NewsletterFields values={values} errors={errors} catalogue={props.catalogue} />
        <Button>Join Hearth</Button>
      </Form>
      <SocialLoginButtons providers={props.socialProviders ?? []} verb="Join with" />
      <p>
        Already a member? <a href="/login">Log in</a>.
      </p>
    </>
  );
}

export function CheckEmailPage() {
  return (
    <>
      <h1>Check your email</h1>
      <p>
        We have sent a message to the address you gave. Open the link in it to confirm your address.
        The link works for 48 hours.
      </p>
      <p>
        Nothing arrived? Check your spam folder, or{' '}
        <a href="/verify-email/resend">send the link again</a>.
      </p>
    </>
  );
}

export function VerifyEmailPage(props: {
  csrfToken: string;
  token: string | null;
  error?: string;
}) {
  return (
    <>
      <h1>Confirm your email address</h1>
      {props.error ? <ErrorSummary errors={undefined} formError={props.error} /> : null}
      {props.token && !props.error ? (
        <Form action="/verify-email" csrfToken={props.csrfToken} label="Confirm your email address">
          <input type="hidden" name="token" value={props.token} />
          <p>Press the button to confirm that this email address is yours.</p>
          <Button>Confirm my email address</Button>
        </Form>
      ) : (
        <p>
          Open the link from your email again, or{' '}
          <a href="/verify-email/resend">ask for a new link</a>.
        </p>
      )}
    </>
  );
}

export function EmailConfirmedPage(props: { changed: boolean; loggedIn: boolean }) {
  return (
    <>
      <h1>
        {props.changed ? 'Your new email address is confirmed' : 'Your email address is confirmed'}
      </h1>
      <p>
        {props.changed
          ? 'Your account now uses the new address.'
          : 'Thank you. Newsletters you asked for will now reach you.'}
      </p>
      <ButtonLink href={props.loggedIn ? '/account' : '/login'}>
        {props.loggedIn ? 'Go to your account' : 'Log in'}
      </ButtonLink>
    </>
  );
}

/** One-field email forms: resend the verification link, ask for a password reset. */
export function EmailRequestPage(
  props: FormState & {
    title: string;
    intro: string;
    action: string;
    sent: boolean;
    sentText: string;
  },
) {
  return (
    <>
      <h1>{props.title}</h1>
      {props.sent ? <Notice>{props.sentText}</Notice> : null}
      <p>{props.intro}</p>
      <ErrorSummary errors={props.errors} formError={props.formError} />
      <Form action={props.action} csrfToken={props.csrfToken} label={props.title}>
        <Field
          name="email"
          type="email"
          label="Email address"
          autocomplete="email"
          spellcheck={false}
          required
          value={valueOf(props.values, 'email')}
          error={props.errors?.email}
        />
        <Button>Send the link</Button>
      </Form>
    </>
  );
}

export function LoginPage(
  props: FormState & {
    next: string;
    notice?: string | undefined;
    socialProviders?: readonly SocialProvider[];
  },
) {
  return (
    <>
      <h1>Log in</h1>
      {props.notice ? <Notice>{props.notice}</Notice> : null}
      <ErrorSummary errors={props.errors} formError={props.formError} />
      <Form action="/login" csrfToken={props.csrfToken} label="Log in">
        <input type="hidden" name="next" value={props.next} />
        <Field
          name="email"
          type="email"
          label="Email address"
          autocomplete="username"
          spellcheck={false}
          required
          value={valueOf(props.values, 'email')}
          error={props.errors?.email}
        />
        <Field
          name="password"
          type="password"
          label="Password"
          autocomplete="current-password"
          required
          error={props.errors?.password}
        />
        <Button>Log in</Button>
      </Form>
      <SocialLoginButtons providers={props.socialProviders ?? []} next={props.next} />
      <p>
        <a href="/forgot-password">Forgotten your password?</a>
      </p>
      <p>
        New to Hearth? <a href="/register">Join Hearth</a>.
      </p>
    </>
  );
}

export function TotpPage(props: FormState & { next: string }) {
  return (
    <>
      <h1>Enter your two-factor code</h1>
      <p>Open your authenticator app and enter the 6-digit code it shows for Hearth.</p>
      <ErrorSummary errors={props.errors} formError={props.formError} />
      <Form action="/login/totp" csrfToken={props.csrfToken} label="Two-factor code">
        <input type="hidden" name="next" value={props.next} />
        <Field
          name="code"
          label="Code"
          autocomplete="one-time-code"
          inputMode="numeric"
          spellcheck={false}
          width="short"
          required
          error={props.errors?.code}
        />
        <Button>Continue</Button>
      </Form>
    </>
  );
}

export function ResetPasswordPage(props: FormState & { token: string | null; usable: boolean }) {
  return (
    <>
      <h1>Choose a new password</h1>
      <ErrorSummary errors={props.errors} formError={props.formError} />
      {props.usable && props.token ? (
        <Form action="/reset-password" csrfToken={props.csrfToken} label="Choose a new password">
          <input type="hidden" name="token" value={props.token} />
          <Field
            name="password"
            type="password"
            label="New password"
            autocomplete="new-password"
            required
            error={props.errors?.password}
            hint="At least 8 characters. Choosing it logs you out everywhere else."
          />
          <Button>Save the new password</Button>
        </Form>
      ) : (
        <p>
          This link cannot be used any more. <a href="/forgot-password">Ask for a new link</a>.
        </p>
      )}
    </>
  );
}

/** Which of the account page's forms the errors belong to. */
export type AccountForm = 'profile' | 'password' | 'anonymous' | 'sessions';

export interface AccountPageProps {
  csrfToken: string;
  profile: Profile;
  sessions: readonly SessionSummary[];
  currentSessionId: string;
  notice?: string | undefined;
  form?: AccountForm | undefined;
  values?: FormValues | undefined;
  errors?: FieldErrors | undefined;
  formError?: string | undefined;
}

function describeTime(iso: string): string {
  return new Intl.DateTimeFormat('en-GB', {
    dateStyle: 'medium',
    timeStyle: 'short',
    timeZone: 'UTC',
  }).format(new Date(iso));
}

export function AccountPage(props: AccountPageProps) {
  const { profile } = props;
  const errorsFor = (form: AccountForm) => (props.form === form ? props.errors : undefined);
  const valuesFor = (form: AccountForm) => (props.form === form ? props.values : undefined);
  const profileValues = valuesFor('profile');
  const profileErrors = errorsFor('profile');
  const passwordErrors = errorsFor('password');
  return (
    <>
      <h1>Your account</h1>
      {props.notice ? <Notice>{props.notice}</Notice> : null}
      <ul class="account-links">
        <li>
          <a href="/account/privacy">Your privacy</a>: download your data, change what you agreed
          to, or delete your account.
        </li>
        <li>
          <a href="/account/newsletters">Your newsletters</a>: choose what we email you, or stop any
          of it.
        </li>
        <li>
          <a href="/messages">Your private messages</a>: read and delete them, and{' '}
          <a href="/messages/blocked">the members you have blocked</a>.
        </li>
      </ul>
      <ErrorSummary errors={props.errors} formError={props.formError} />

      <section aria-labelledby="names-title">
        <h2 id="names-title">Your names on Hearth</h2>
        <p>
          Your username is <strong>{profile.username}</strong>.{' '}
          {profile.anonymous && profile.anonymousName
            ? `New posts show your anonymous name, ${profile.anonymousName}.`
            : 'New posts show your username.'}
        </p>
        <p>
          What you posted keeps the name it was posted under, so switching never links your two
          names.
        </p>
        <Form action="/account/anonymous" csrfToken={props.csrfToken} label="Anonymous name">
          <input type="hidden" name="anonymous" value={profile.anonymous ? 'off' : 'on'} />
          <Button variant="secondary">
            {profile.anonymous ? 'Post under my username' : 'Post under an anonymous name'}
          </Button>
        </Form>
      </section>

      <section aria-labelledby="details-title">
        <h2 id="details-title">Your details</h2>
        {profile.emailVerified ? null : (
          <p>
            Your email address is not confirmed yet: newsletters wait until it is.{' '}
            <a href="/verify-email/resend">Send the link again</a>.
          </p>
        )}
        {profile.pendingEmail ? (
          <p>
            We sent a link to {profile.pendingEmail}. Until you open it, we keep using{' '}
            {profile.email}.
          </p>
        ) : null}
        <Form action="/account/profile" csrfToken={props.csrfToken} label="Your details">
          <Field
            name="firstName"
            label="First name"
            autocomplete="given-name"
            spellcheck={false}
            required
            value={valueOf(profileValues, 'firstName') ?? profile.firstName}
            error={profileErrors?.firstName}
          />
          <Field
            name="surname"
            label="Surname"
            autocomplete="family-name"
            spellcheck={false}
            required
            value={valueOf(profileValues, 'surname') ?? profile.surname}
            error={profileErrors?.surname}
          />
          <Field
            name="email"
            type="email"
            label="Email address"
            autocomplete="email"
            spellcheck={false}
            required
            value={valueOf(profileValues, 'email') ?? profile.email}
            error={profileErrors?.email}
            hint="A new address takes effect once you open the link we send to it."
          />
          <Select
            name="location"
            label="Your location"
            options={locationOptions()}
            required
            value={valueOf(profileValues, 'location') ?? profile.location.id}
            error={profileErrors?.location}
          />
          <Button>Save your details</Button>
        </Form>
      </section>

      <section aria-labelledby="password-title">
        <h2 id="password-title">Password</h2>
        <Form action="/account/password" csrfToken={props.csrfToken} label="Change your password">
          {profile.hasPassword ? (
            <Field
              name="currentPassword"
              type="password"
              label="Current password"
              autocomplete="current-password"
              required
              error={passwordErrors?.currentPassword}
            />
          ) : null}
          <Field
            name="password"
            type="password"
            label="New password"
            autocomplete="new-password"
            required
            error={passwordErrors?.password}
            hint="At least 8 characters. Changing it logs you out everywhere else."
          />
          <Button>Change your password</Button>
        </Form>
      </section>

      <section aria-labelledby="sessions-title">
        <h2 id="sessions-title">Where you are logged in</h2>
        <table class="table">
          <caption class="visually-hidden">Your sessions</caption>
          <thead>
            <tr>
              <th scope="col">Kind</th>
              <th scope="col">Logged in</th>
              <th scope="col">Last used</th>
              <th scope="col">
                <span class="visually-hidden">Action</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {props.sessions.map((session) => {
              const isCurrent = session.id === props.currentSessionId;
              const kind = session.kind === 'bearer' ? 'App' : 'Browser';
              return (
                <tr key={session.id}>
                  <td>{isCurrent ? `${kind} (this one)` : kind}</td>
                  <td>{describeTime(session.createdAt)}</td>
                  <td>{describeTime(session.lastSeenAt)}</td>
                  <td>
                    <Form
                      action="/account/sessions/revoke"
                      csrfToken={props.csrfToken}
                      label={`Log out ${kind.toLowerCase()} session from ${describeTime(session.createdAt)}`}
                    >
                      <input type="hidden" name="sessionId" value={session.id} />
                      <Button variant="secondary">
                        Log out
                        <span class="visually-hidden">
                          {` ${kind.toLowerCase()} session from ${describeTime(session.createdAt)}`}
                        </span>
                      </Button>
                    </Form>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </section>

      <section aria-labelledby="logout-title">
        <h2 id="logout-title">Log out</h2>
        <Form action="/logout" csrfToken={props.csrfToken} label="Log out">
          <Button variant="secondary">Log out</Button>
        </Form>
      </section>
    </>
  );
}
