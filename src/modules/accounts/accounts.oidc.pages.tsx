/**
 * The pages of social log-in: the provider buttons (for /login and /register), the password
 * confirmation before an identity is linked to an existing account, the completion of a new
 * account, and the pages that explain why a log-in could not go on.
 */
import type { FieldErrors, FormValues } from '../../platform/views/form-input.js';
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
import { NewsletterFields, type NewsletterList } from '../newsletters/index.js';
import type { OidcFailureKind, SocialProvider } from './accounts.oidc.js';
import { loadPlaces } from './locations.js';

/** The start of a social log-in for `provider`, coming back to `next` afterwards. */
export function socialLoginHref(provider: string, next?: string): string {
  const query = next && next !== '/' ? `?next=${encodeURIComponent(next)}` : '';
  return `/auth/oidc/${provider}${query}`;
}

export interface SocialLoginButtonsProps {
  providers: readonly SocialProvider[];
  /** Where to go after logging in (a path on this site). */
  next?: string;
  /** "Log in with" on /login, "Join with" on /register. */
  verb?: string;
}

/**
 * One link per configured provider; nothing at all when none is configured. Links, not forms:
 * starting a log-in changes nothing until the provider sends the person back with the state
 * this browser holds.
 */
export function SocialLoginButtons(props: SocialLoginButtonsProps) {
  if (props.providers.length === 0) return null;
  const verb = props.verb ?? 'Log in with';
  return (
    <section class="social-login" aria-labelledby="social-login-title">
      <h2 id="social-login-title" class="social-login__title">
        Or use another account
      </h2>
      <ul class="social-login__list">
        {props.providers.map((provider) => (
          <li key={provider.name}>
            <ButtonLink href={socialLoginHref(provider.name, props.next)} variant="secondary">
              {`${verb} ${provider.label}`}
            </ButtonLink>
          </li>
        ))}
      </ul>
    </section>
  );
}

export interface LinkConfirmationProps {
  csrfToken: string;
  providerLabel: string;
  email: string;
  errors?: FieldErrors;
  formError?: string;
}

/** An account with the provider's email exists: its password proves the person owns it. */
export function LinkConfirmationPage(props: LinkConfirmationProps) {
  return (
    <>
      <h1>Link your {props.providerLabel} account</h1>
      <ErrorSummary errors={props.errors} formError={props.formError} />
      <p>
        You already have a Hearth account with the email address <strong>{props.email}</strong>. To
        log in with {props.providerLabel} from now on, confirm that the account is yours with its
        Hearth password.
      </p>
      <Form action="/auth/oidc/link" csrfToken={props.csrfToken} label="Link account">
        <Field
          name="password"
          label="Your Hearth password"
          type="password"
          autocomplete="current-password"
          required
          error={props.errors?.password}
        />
        <Button>Link and log in</Button>
      </Form>
      <p>
        <a href="/login">Cancel and log in with your password instead</a>
      </p>
    </>
  );
}

export interface PasswordlessAccountProps {
  email: string;
  providerLabel: string;
  /** The providers the existing account logs in with. */
  linkedProviders: readonly SocialProvider[];
}

/**
 * An account with this email exists but has no password to confirm a link with: the person
 * logs in the way that account already does. Linking on email alone would let whoever controls
 * that address at some provider take the account.
 */
export function PasswordlessAccountPage(props: PasswordlessAccountProps) {
  return (
    <>
      <h1>You already have a Hearth account</h1>
      <p>
        The email address <strong>{props.email}</strong> belongs to a Hearth account that does not
        log in with {props.providerLabel}. Log in the way you did before.
      </p>
      <SocialLoginButtons providers={props.linkedProviders} />
      <p>
        <a href="/login">Go to the log-in page</a>
      </p>
    </>
  );
}

let placeOptions: SelectOption[] | undefined;

/** Every shipped place, by name: a few hundred options work without JavaScript. */
function locationOptions(): SelectOption[] {
  placeOptions ??= loadPlaces()
    .map((place) => ({ value: place.id, label: `${place.name} (${place.region})` }))
    .sort((a, b) => a.label.localeCompare(b.label, 'en-GB'));
  return placeOptions;
}

export interface CompletionProps {
  csrfToken: string;
  providerLabel: string;
  email: string;
  /** Ask for the names only when the provider did not give them. */
  askFirstName: boolean;
  askSurname: boolean;
  catalogue: readonly NewsletterList[];
  values?: FormValues;
  errors?: FieldErrors;
}

/**
 * A new member through a provider: only what registration asks and the provider did not give.
 * The email comes from the provider; no password is set (the member logs in with the provider).
 */
export function CompletionPage(props: CompletionProps) {
  return (
    <>
      <h1>Finish joining Hearth</h1>
      <ErrorSummary errors={props.errors} />
      <p>
        You are joining with your {props.providerLabel} account, email address{' '}
        <strong>{props.email}</strong>. We need a little more to set up your account.
      </p>
      <Form action="/auth/oidc/complete" csrfToken={props.csrfToken} label="Finish joining">
        {props.askFirstName ? (
          <Field
            name="firstName"
            label="First name"
            autocomplete="given-name"
            spellcheck={false}
            required
            value={valueOf(props.values, 'firstName')}
            error={props.errors?.firstName}
          />
        ) : null}
        {props.askSurname ? (
          <Field
            name="surname"
            label="Surname"
            autocomplete="family-name"
            spellcheck={false}
            required
            value={valueOf(props.values, 'surname')}
            error={props.errors?.surname}
          />
        ) : null}
        <Select
          name="location"
          label="Where you live"
          hint="Your town or area: other members see it, never your address."
          options={locationOptions()}
          emptyChoice="Choose a place"
          required
          value={valueOf(props.values, 'location')}
          error={props.errors?.location}
        />
        <NewsletterFields values={props.values} errors={props.errors} catalogue={props.catalogue} />
        <Button>Create my account</Button>
      </Form>
      <p>
        See how we use your data in our <a href="/privacy">privacy notice</a>. You can change your
        newsletters at any time in your account.
      </p>
    </>
  );
}

const FAILURE_TEXT: Record<OidcFailureKind, { title: string; body: string }> = {
  denied: {
    title: 'Log-in was cancelled',
    body: 'The provider did not let us log you in, perhaps because you chose not to. Nothing has changed on Hearth.',
  },
  invalid_state: {
    title: 'This log-in has expired',
    body: 'We could not match the provider’s answer to a log-in started in this browser, or it took too long. Please start again.',
  },
  rejected: {
    title: 'We could not log you in',
    body: 'The provider’s answer did not pass our security checks, so we did not use it. Please start again.',
  },
  unavailable: {
    title: 'The provider is not answering',
    body: 'We could not reach the provider just now. Please try again in a few minutes, or log in with your password.',
  },
};

export function failureTitle(kind: OidcFailureKind): string {
  return FAILURE_TEXT[kind].title;
}

export function FailurePage(props: { kind: OidcFailureKind; retryHref: string | null }) {
  const text = FAILURE_TEXT[props.kind];
  return (
    <>
      <h1>{text.title}</h1>
      <p>{text.body}</p>
      <p>
        {props.retryHref ? (
          <>
            <a href={props.retryHref}>Try again</a> or <a href="/login">go to the log-in page</a>.
          </>
        ) : (
          <a href="/login">Go to the log-in page</a>
        )}
      </p>
    </>
  );
}

/** A page that says one thing with a way on: the account is disabled, or a link failed. */
export function NoticePage(props: {
  title: string;
  body: string;
  link: { href: string; label: string };
}) {
  return (
    <>
      <h1>{props.title}</h1>
      <p>{props.body}</p>
      <p>
        <a href={props.link.href}>{props.link.label}</a>
      </p>
    </>
  );
}
