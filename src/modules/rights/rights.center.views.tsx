/**
 * The member's privacy center (/account/privacy): every right in one page, in plain words, one
 * small form per action so that each works without JavaScript and on a phone. Preact escapes
 * every value, so reasons typed by staff are shown as text.
 */
import type { ComponentChildren } from 'preact';
import type { Disclosure } from '../../privacy/disclosures/index.js';
import type { ProcessingLimit } from '../../privacy/consent/index.js';
import { isPurposeKey, PURPOSES, type Purpose } from '../../privacy/purposes.js';
import { Button, Form } from '../../platform/views/forms.js';

/** A request as the member sees it: the fields of R1's request shape this page shows. */
export interface MemberRequestView {
  id: string;
  kind: string;
  status: string;
  purpose: string | null;
  receivedAt: string;
  dueAt: string;
  extendedDueAt: string | null;
  extensionReason: string | null;
  refusalReason: string | null;
  completedAt: string | null;
}

/** One consent-based purpose with the member's current choice on it (null: never asked). */
export interface ConsentRow {
  purpose: Purpose;
  granted: boolean | null;
  at: string | null;
  receiptId: string | null;
}

export interface PrivacyCenterProps {
  csrfToken: string;
  timezone: string;
  consents: readonly ConsentRow[];
  disclosures: readonly Disclosure[];
  requests: readonly MemberRequestView[];
  limits: readonly ProcessingLimit[];
  /** Purposes a member may object to (legitimate interests or public task). */
  objectable: readonly Purpose[];
  /** Purposes a restriction stops (those without an Art. 18(2) exemption). */
  restrictable: readonly Purpose[];
  /** A message after an action, from the query string (a fixed text chosen by key). */
  notice?: string | undefined;
  /** An error after an action, shown beside its form. */
  errors?: Readonly<Partial<Record<CenterSection, string>>>;
  /** Whether the post anonymisation form has a route behind it. */
  canAnonymisePosts: boolean;
}

export type CenterSection = 'export' | 'consents' | 'delete' | 'anonymise' | 'limits' | 'requests';

export const REQUEST_KIND_LABELS: Readonly<Record<string, string>> = {
  access: 'A copy of my data',
  portability: 'My data to take elsewhere',
  rectification: 'Correct my data',
  erasure: 'Delete my account and data',
  restriction: 'Restrict the use of my data',
  objection: 'Object to a use of my data',
  withdrawal: 'Withdraw my consent',
};

export const REQUEST_STATUS_LABELS: Readonly<Record<string, string>> = {
  received: 'Received',
  'awaiting-verification': 'Waiting for you to confirm by email',
  'in-progress': 'Being handled',
  extended: 'Being handled (we need more time)',
  completed: 'Done',
  refused: 'Refused',
};

/** A date as people in `timezone` read it, inside a machine-readable `<time>`. */
export function DateText(props: { at: string | null; timezone: string }) {
  if (props.at === null) return <>—</>;
  const text = new Date(props.at).toLocaleDateString('en-GB', {
    timeZone: props.timezone,
    dateStyle: 'medium',
  });
  return <time dateTime={props.at}>{text}</time>;
}

function Section(props: { id: string; title: string; children: ComponentChildren }) {
  return (
    <section id={props.id} aria-labelledby={`${props.id}-title`}>
      <h2 id={`${props.id}-title`}>{props.title}</h2>
      {props.children}
    </section>
  );
}

function ErrorText(props: { error: string | undefined }) {
  return props.error ? (
    <p class="field__error" role="alert">
      <span class="visually-hidden">Error: </span>
      {props.error}
    </p>
  ) : null;
}

/**
 * A labelled control whose id is given, not derived from its name: this page holds several
 * forms whose fields share a name (`password`, `reason`, `purpose`), and ids must be unique.
 */
function Control(props: {
  id: string;
  name: string;
  label: string;
  hint?: string;
  kind: 'password' | 'textarea' | { options: readonly Purpose[] };
}) {
  const hintId = props.hint ? `${props.id}-hint` : undefined;
  const shared = { id: props.id, name: props.name, required: true, 'aria-describedby': hintId };
  return (
    <div class="field">
      <label class="field__label" for={props.id}>
        {props.label}
      </label>
      {props.hint ? (
        <p id={hintId} class="field__hint">
          {props.hint}
        </p>
      ) : null}
      {props.kind === 'password' ? (
        <input {...shared} type="password" class="input" autocomplete="current-password" />
      ) : props.kind === 'textarea' ? (
        <textarea {...shared} class="textarea" rows={3} maxLength={2000} />
      ) : (
        <select {...shared} class="select">
          {props.kind.options.map((purpose) => (
            <option key={purpose.key} value={purpose.key}>
              {purpose.title}
            </option>
          ))}
        </select>
      )}
    </div>
  );
}

function PasswordField(props: { form: string; hint?: string }) {
  return (
    <Control
      id={`${props.form}-password`}
      name="password"
      label="Your password"
      kind="password"
      {...(props.hint ? { hint: props.hint } : {})}
    />
  );
}

function purposeTitle(key: string): string {
  if (key === '*') return 'Every use of my data';
  return isPurposeKey(key) ? PURPOSES[key].title : key;
}

function ConsentsSection(props: PrivacyCenterProps) {
  return (
    <Section id="consents" title="What you agreed to">
      <p>
        We only do these things if you say yes. You can change your mind at any time; it takes
        effect at once. Each choice comes with a signed receipt you can keep.
      </p>
      <ErrorText error={props.errors?.consents} />
      {props.consents.length === 0 ? (
        <p>Nothing on Hearth needs your agreement at the moment.</p>
      ) : (
        <ul class="list-plain">
          {props.consents.map((row) => (
            <li key={row.purpose.key}>
              <h3>{row.purpose.title}</h3>
              <p>{row.purpose.description}</p>
              <p>
                {row.granted === true
                  ? 'You said yes'
                  : row.granted === false
                    ? 'You said no'
                    : 'You have not chosen yet, so it is off'}
                {row.at ? (
                  <>
                    {' '}
                    on <DateText at={row.at} timezone={props.timezone} />
                  </>
                ) : null}
                .
              </p>
              <Form
                action="/account/privacy/consents"
                csrfToken={props.csrfToken}
                label={`Your choice on ${row.purpose.title}`}
              >
                <input type="hidden" name="purpose" value={row.purpose.key} />
                <input type="hidden" name="scope" value="" />
                <input
                  type="hidden"
                  name="granted"
                  value={row.granted === true ? 'false' : 'true'}
                />
                <Button variant="secondary">
                  {row.granted === true ? 'Turn off' : 'Turn on'}
                  <span class="visually-hidden"> {row.purpose.title}</span>
                </Button>
              </Form>
              {row.receiptId ? (
                <p>
                  <a href={`/api/v1/me/consents/receipts/${encodeURIComponent(row.receiptId)}`}>
                    Download the receipt for this choice
                    <span class="visually-hidden"> on {row.purpose.title}</span>
                  </a>
                </p>
              ) : null}
            </li>
          ))}
        </ul>
      )}
    </Section>
  );
}

function LimitsSection(props: PrivacyCenterProps) {
  const open = props.limits.filter(
    (limit) => limit.status === 'active' || limit.status === 'overridden',
  );
  return (
    <Section id="limits" title="Stop or pause a use of your data">
      <p>
        Some things we do without asking, because we have a good reason (the privacy notice says
        which). You can <strong>object</strong> to them: we stop unless our data-protection officer
        finds a strong reason to carry on, which we then tell you. You can also ask us to{' '}
        <strong>restrict</strong> a use: we keep your data but stop using it for that, for example
        while you check it is right.
      </p>
      <ErrorText error={props.errors?.limits} />
      {open.length === 0 ? (
        <p>You have not objected to or restricted anything.</p>
      ) : (
        <ul class="list-plain">
          {open.map((limit) => (
            <li key={limit.id}>
              <p>
                <strong>
                  {limit.kind === 'objection' ? 'You objected to' : 'You restricted'}:{' '}
                  {purposeTitle(limit.purpose)}
                </strong>{' '}
                (<DateText at={limit.recordedAt} timezone={props.timezone} />
                ).
              </p>
              {limit.status === 'overridden' && limit.override ? (
                <p>
                  Our data-protection officer decided we must carry on, because:{' '}
                  {limit.override.reason}
                </p>
              ) : (
                <p>We have stopped this use of your data.</p>
              )}
              <Form
                action={
                  limit.kind === 'objection'
                    ? '/account/privacy/objections/withdraw'
                    : '/account/privacy/restrictions/lift'
                }
                csrfToken={props.csrfToken}
                label={`End: ${purposeTitle(limit.purpose)}`}
              >
                <input type="hidden" name="id" value={limit.id} />
                <input type="hidden" name="purpose" value={limit.purpose} />
                <input type="hidden" name="reason" value="Ended by the member" />
                <Button variant="secondary">
                  {limit.kind === 'objection' ? 'Withdraw my objection' : 'Lift my restriction'}
                  <span class="visually-hidden"> to {purposeTitle(limit.purpose)}</span>
                </Button>
              </Form>
            </li>
          ))}
        </ul>
      )}
      <h3>Object to a use</h3>
      <Form action="/account/privacy/objections" csrfToken={props.csrfToken} label="Object">
        <Control
          id="object-purpose"
          name="purpose"
          label="Which use?"
          kind={{ options: props.objectable }}
        />
        <Control
          id="object-reason"
          name="reason"
          label="Why do you object?"
          hint="Tell us about your situation, in your own words."
          kind="textarea"
        />
        <Button>Object</Button>
      </Form>
      <h3>Restrict a use</h3>
      <Form action="/account/privacy/restrictions" csrfToken={props.csrfToken} label="Restrict">
        <Control
          id="restrict-purpose"
          name="purpose"
          label="Which use?"
          kind={{ options: props.restrictable }}
        />
        <Control
          id="restrict-reason"
          name="reason"
          label="Why should we pause it?"
          hint="For example: my details are wrong and I want them checked first."
          kind="textarea"
        />
        <Button>Restrict</Button>
      </Form>
    </Section>
  );
}

function RequestsSection(props: PrivacyCenterProps) {
  return (
    <Section id="requests" title="Your requests">
      <p>
        We answer every request within one month. If a request is complex we may take up to two more
        months; we then tell you why.
      </p>
      {props.requests.length === 0 ? (
        <p>You have not made any requests.</p>
      ) : (
        <table class="table" tabIndex={0}>
          <caption class="visually-hidden">Your requests and where they stand</caption>
          <thead>
            <tr>
              <th scope="col">Request</th>
              <th scope="col">Where it stands</th>
              <th scope="col">Received</th>
              <th scope="col">Answer due by</th>
            </tr>
          </thead>
          <tbody>
            {props.requests.map((request) => (
              <tr key={request.id}>
                <td>{REQUEST_KIND_LABELS[request.kind] ?? request.kind}</td>
                <td>
                  {REQUEST_STATUS_LABELS[request.status] ?? request.status}
                  {request.status === 'extended' && request.extensionReason ? (
                    <p>Why we need more time: {request.extensionReason}</p>
                  ) : null}
                  {request.status === 'refused' && request.refusalReason ? (
                    <p>Why: {request.refusalReason}</p>
                  ) : null}
                  {request.status === 'completed' && request.completedAt ? (
                    <p>
                      Done on <DateText at={request.completedAt} timezone={props.timezone} />.
                    </p>
                  ) : null}
                </td>
                <td>
                  <DateText at={request.receivedAt} timezone={props.timezone} />
                </td>
                <td>
                  <DateText at={request.extendedDueAt ?? request.dueAt} timezone={props.timezone} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3 id="new-request-title">Ask us something else</h3>
      <p>
        For anything the switches and forms on this page do not cover — a correction we must make
        for you, or an answer from our data-protection officer — send a request here.
      </p>
      <ErrorText error={props.errors?.requests} />
      <Form action="/account/privacy/requests" csrfToken={props.csrfToken} label="New request">
        <div class="field">
          <label class="field__label" for="request-kind">
            What do you ask for?
          </label>
          <select id="request-kind" name="kind" class="select" required>
            {MEMBER_REQUEST_KINDS.map((kind) => (
              <option key={kind} value={kind}>
                {REQUEST_KIND_LABELS[kind] ?? kind}
              </option>
            ))}
          </select>
        </div>
        <Control
          id="request-details"
          name="details"
          label="Tell us what you need"
          hint="For a correction: what is wrong, and what it should say."
          kind="textarea"
        />
        <Button>Send the request</Button>
      </Form>
    </Section>
  );
}

/** Requests a member files in words; the others have their own forms on this page. */
const MEMBER_REQUEST_KINDS = ['rectification', 'access', 'portability'] as const;

function DisclosuresSection(props: PrivacyCenterProps) {
  return (
    <Section id="disclosures" title="Who received your data">
      {props.disclosures.length === 0 ? (
        <p>We have not given your data to anyone outside Hearth.</p>
      ) : (
        <ul class="list-plain">
          {props.disclosures.map((disclosure) => (
            <li key={disclosure.id}>
              <DateText at={disclosure.at} timezone={props.timezone} />:{' '}
              <strong>{disclosure.recipient}</strong>, for “{purposeTitle(disclosure.purpose)}”
              {disclosure.categories.length > 0 ? ` (${disclosure.categories.join(', ')})` : ''}.
            </li>
          ))}
        </ul>
      )}
    </Section>
  );
}

export function PrivacyCenterPage(props: PrivacyCenterProps) {
  return (
    <>
      <h1>Your privacy</h1>
      {props.notice ? (
        <div class="notice" role="status">
          <p>{props.notice}</p>
        </div>
      ) : null}
      <p>
        Everything you can do about your data on Hearth, in one place. The{' '}
        <a href="/privacy">privacy notice</a> explains what we keep and why.
      </p>
      <nav aria-label="On this page">
        <ul>
          <li>
            <a href="#export">Download your data</a>
          </li>
          <li>
            <a href="#consents">What you agreed to</a>
          </li>
          <li>
            <a href="#limits">Stop or pause a use of your data</a>
          </li>
          <li>
            <a href="#disclosures">Who received your data</a>
          </li>
          <li>
            <a href="#requests">Your requests</a>
          </li>
          <li>
            <a href="#names">Your name on posts</a>
          </li>
          <li>
            <a href="#delete">Delete your account</a>
          </li>
        </ul>
      </nav>

      <Section id="export" title="Download your data">
        <p>
          Get a copy of everything we hold about you, as a ZIP file you can open in a browser or a
          spreadsheet.
        </p>
        <ErrorText error={props.errors?.export} />
        <Form
          action="/account/privacy/export"
          csrfToken={props.csrfToken}
          label="Download your data"
        >
          <PasswordField form="export" hint="We ask again to be sure it is you." />
          <Button>Download my data</Button>
        </Form>
      </Section>

      <ConsentsSection {...props} />
      <LimitsSection {...props} />
      <DisclosuresSection {...props} />
      <RequestsSection {...props} />

      <Section id="names" title="Your name on posts">
        <p>
          You can post under an anonymous name instead of your username. Change it on{' '}
          <a href="/account">your account page</a>.
        </p>
        {props.canAnonymisePosts ? (
          <>
            <p>
              You can also remove your name from everything you have already posted. Your posts
              stay, but nobody can see they were yours. This cannot be undone.
            </p>
            <ErrorText error={props.errors?.anonymise} />
            <Form
              action="/account/privacy/anonymise-posts"
              csrfToken={props.csrfToken}
              label="Anonymise my posts"
            >
              <PasswordField form="anonymise" />
              <Button variant="warning">Anonymise my posts</Button>
            </Form>
          </>
        ) : null}
      </Section>

      <Section id="delete" title="Delete your account">
        <p>
          We delete your account and your data. You are logged out at once and cannot log in again.
          Some records we must keep by law; your copy of your data lists them.
        </p>
        <ErrorText error={props.errors?.delete} />
        <Form
          action="/account/privacy/delete"
          csrfToken={props.csrfToken}
          label="Delete your account"
        >
          <PasswordField form="delete" />
          <Button variant="warning">Delete my account</Button>
        </Form>
      </Section>
    </>
  );
}

/** After the delete form: the member is logged out; the request id lets them follow it up. */
export function ErasureReceivedPage(props: { request: MemberRequestView }) {
  return (
    <>
      <h1>Your account is being deleted</h1>
      <div class="notice" role="status">
        <p>
          We have received your request and logged you out everywhere. You cannot log in any more.
          We are deleting your data now and will finish by{' '}
          <DateText at={props.request.dueAt} timezone="UTC" /> at the latest.
        </p>
      </div>
      <p>
        Your request number is <strong>{props.request.id}</strong>. Quote it if you write to our
        data-protection officer (see the <a href="/privacy">privacy notice</a>).
      </p>
    </>
  );
}
