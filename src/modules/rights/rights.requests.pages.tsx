/**
 * The public request form (/privacy/request) for people who cannot log in: what they ask, then
 * the six-digit code we email them. The pages say the same whatever the address, so nobody
 * learns from them who has an account.
 */
import type { FieldErrors, FormValues } from '../../platform/views/form-input.js';
import { Button, ErrorSummary, Field, Form, Select, valueOf } from '../../platform/views/forms.js';
import { PURPOSES, PURPOSE_KEYS } from '../../privacy/purposes.js';
import type { RequestKind } from './rights.requests.tables.js';

/** Each kind in plain words, for the form and the member's list. */
export const REQUEST_KIND_LABELS: Readonly<Record<RequestKind, string>> = {
  access: 'See a copy of my data',
  portability: 'Get my data to take elsewhere',
  rectification: 'Correct my data',
  erasure: 'Erase my data',
  restriction: 'Pause the use of my data for one purpose',
  objection: 'Object to the use of my data for one purpose',
  withdrawal: 'Withdraw my consent for one purpose',
};

const KIND_OPTIONS = Object.entries(REQUEST_KIND_LABELS).map(([value, label]) => ({
  value,
  label,
}));
const PURPOSE_OPTIONS = PURPOSE_KEYS.map((key) => ({ value: key, label: PURPOSES[key].title }));

export function PublicRequestPage(props: {
  csrfToken: string;
  values?: FormValues | undefined;
  errors?: FieldErrors | undefined;
}) {
  const error = (name: string) => props.errors?.[name];
  return (
    <main class="page">
      <h1>Make a request about your data</h1>
      <p>
        If you can log in, your privacy page (<a href="/account/privacy">/account/privacy</a>) does
        most of this at once. Otherwise, tell us what you would like and we will email you a code to
        confirm the request comes from you. We answer within one month.
      </p>
      <ErrorSummary errors={props.errors} />
      <Form action="/privacy/request" csrfToken={props.csrfToken} label="Your request">
        <Field
          name="name"
          label="Your name"
          autocomplete="name"
          spellcheck={false}
          required
          value={valueOf(props.values, 'name')}
          error={error('name')}
        />
        <Field
          name="email"
          label="Your email address"
          type="email"
          autocomplete="email"
          inputMode="email"
          spellcheck={false}
          required
          hint="The address your data is held under. We send the code here."
          value={valueOf(props.values, 'email')}
          error={error('email')}
        />
        <Select
          name="kind"
          label="What would you like?"
          options={KIND_OPTIONS}
          emptyChoice="Choose one"
          required
          value={valueOf(props.values, 'kind')}
          error={error('kind')}
        />
        <Select
          name="purpose"
          label="Which use of your data? (to pause, object or withdraw consent)"
          options={PURPOSE_OPTIONS}
          emptyChoice="Not about one use"
          value={valueOf(props.values, 'purpose')}
          error={error('purpose')}
        />
        <Field
          name="details"
          label="Details"
          type="textarea"
          rows={5}
          hint="To correct your data, say what is wrong and what it should be."
          value={valueOf(props.values, 'details')}
          error={error('details')}
        />
        <Button>Send me a code</Button>
      </Form>
    </main>
  );
}

export function VerifyRequestPage(props: {
  csrfToken: string;
  requestId: string;
  errors?: FieldErrors | undefined;
}) {
  return (
    <main class="page">
      <h1>Enter your code</h1>
      <p>
        We have emailed a six-digit code to the address you gave. It works for 30 minutes. If
        nothing arrives, check your spam folder or start again.
      </p>
      <ErrorSummary errors={props.errors} />
      <Form
        action="/privacy/request/verify"
        csrfToken={props.csrfToken}
        label="Confirm your request"
      >
        <input type="hidden" name="request" value={props.requestId} />
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
        <Button>Confirm my request</Button>
      </Form>
      <p>
        <a href="/privacy/request">Start again</a>
      </p>
    </main>
  );
}

/** `2027-05-04` as "Tuesday 4 May 2027". */
export function longDate(date: string): string {
  return new Intl.DateTimeFormat('en-GB', {
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    timeZone: 'UTC',
  }).format(new Date(`${date}T00:00:00Z`));
}

export function RequestReceivedPage(props: { dueAt: string }) {
  return (
    <main class="page">
      <h1>We have your request</h1>
      <p>
        Thank you. Your request is confirmed and with our data protection officer. We will answer by
        email by <strong>{longDate(props.dueAt)}</strong> at the latest. If we need longer, we will
        tell you why before then.
      </p>
    </main>
  );
}
