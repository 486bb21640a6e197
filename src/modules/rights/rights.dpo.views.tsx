/**
 * The DPO's desk in the staff area: the request queue, one request with its audit trail and
 * actions, holds, and objections awaiting a decision. Overdue requests say so in words, not by
 * colour alone. Preact escapes every value.
 */
import type { Hold } from '../../privacy/holds/holds.service.js';
import { Button, Field, Form, Select } from '../../platform/views/forms.js';
import { RequestsChart, type RequestsChartProps } from './rights.chart.js';
import { DateText, REQUEST_KIND_LABELS, REQUEST_STATUS_LABELS } from './rights.center.views.js';

/** A request as the desk shows it (R1's request shape, plus who it is about). */
export interface DeskRequestView {
  id: string;
  kind: string;
  status: string;
  purpose: string | null;
  details: string | null;
  receivedAt: string;
  dueAt: string;
  extendedDueAt: string | null;
  extensionReason: string | null;
  outcome: string | null;
  refusalReason: string | null;
  completedAt: string | null;
}

export interface AuditTrailEntry {
  seq: string;
  at: string;
  action: string;
  actorId: string | null;
}

export interface OpenObjectionView {
  id: string;
  subjectId: string;
  purposeTitle: string;
  reason: string;
  recordedAt: string;
}

export interface HoldMemberView {
  id: string;
  email: string;
  username: string;
}

/** The date the answer is due: the extended one once extended. */
export function effectiveDue(request: Pick<DeskRequestView, 'dueAt' | 'extendedDueAt'>): string {
  return request.extendedDueAt ?? request.dueAt;
}

function isOpen(status: string): boolean {
  return status !== 'completed' && status !== 'refused';
}

/** Overdue once the due day has passed in full: due dates are calendar days (YYYY-MM-DD). */
export function isPastDue(request: DeskRequestView, today: string): boolean {
  return isOpen(request.status) && effectiveDue(request).slice(0, 10) < today;
}

const STATUS_FILTERS: readonly { value: string; label: string }[] = [
  { value: '', label: 'Every open request' },
  ...Object.entries(REQUEST_STATUS_LABELS).map(([value, label]) => ({ value, label })),
];

export function QueueBody(props: {
  requests: readonly DeskRequestView[];
  status: string;
  today: string;
  timezone: string;
  nextCursor: string | null;
  chart: RequestsChartProps;
}) {
  const overdue = props.requests.filter((request) => isPastDue(request, props.today)).length;
  return (
    <>
      <h1>Privacy requests</h1>
      <Form method="get" action="/admin/privacy/requests" label="Filter requests">
        <Select name="status" label="Show" options={STATUS_FILTERS} value={props.status} />
        <Button variant="secondary">Filter</Button>
      </Form>
      <p role="status">
        {props.requests.length === 0
          ? 'No request matches.'
          : `${props.requests.length} ${props.requests.length === 1 ? 'request' : 'requests'}, soonest due first${overdue > 0 ? `; ${overdue} overdue` : ''}.`}
      </p>
      {props.requests.length === 0 ? null : (
        <table class="table" tabIndex={0}>
          <caption class="visually-hidden">Requests, soonest due first</caption>
          <thead>
            <tr>
              <th scope="col">Request</th>
              <th scope="col">Status</th>
              <th scope="col">Received</th>
              <th scope="col">Due</th>
            </tr>
          </thead>
          <tbody>
            {props.requests.map((request) => {
              const late = isPastDue(request, props.today);
              return (
                <tr key={request.id} class={late ? 'is-overdue' : undefined}>
                  <td>
                    <a href={`/admin/privacy/requests/${encodeURIComponent(request.id)}`}>
                      {REQUEST_KIND_LABELS[request.kind] ?? request.kind}
                    </a>
                  </td>
                  <td>{REQUEST_STATUS_LABELS[request.status] ?? request.status}</td>
                  <td>
                    <DateText at={request.receivedAt} timezone={props.timezone} />
                  </td>
                  <td>
                    {late ? <strong class="status-tag">Overdue</strong> : null}{' '}
                    <DateText at={effectiveDue(request)} timezone="UTC" />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {props.nextCursor ? (
        <p>
          <a
            href={`/admin/privacy/requests?${new URLSearchParams({
              ...(props.status ? { status: props.status } : {}),
              cursor: props.nextCursor,
            }).toString()}`}
          >
            Later requests
          </a>
        </p>
      ) : null}
      <h2>Requests by kind and month</h2>
      <RequestsChart {...props.chart} />
    </>
  );
}

export function RequestBody(props: {
  request: DeskRequestView;
  trail: readonly AuditTrailEntry[];
  csrfToken: string;
  today: string;
  timezone: string;
  error?: string | undefined;
}) {
  const { request } = props;
  const late = isPastDue(request, props.today);
  const base = `/admin/privacy/requests/${encodeURIComponent(request.id)}`;
  return (
    <>
      <h1>{REQUEST_KIND_LABELS[request.kind] ?? request.kind}</h1>
      <p>
        <a href="/admin/privacy/requests">Back to the queue</a>
      </p>
      {props.error ? (
        <div class="error-summary" role="alert">
          <p>{props.error}</p>
        </div>
      ) : null}
      <dl class="summary-list">
        <dt>Status</dt>
        <dd>{REQUEST_STATUS_LABELS[request.status] ?? request.status}</dd>
        <dt>Received</dt>
        <dd>
          <DateText at={request.receivedAt} timezone={props.timezone} />
        </dd>
        <dt>Due</dt>
        <dd>
          {late ? <strong class="status-tag">Overdue</strong> : null}{' '}
          <DateText at={effectiveDue(request)} timezone="UTC" />
        </dd>
        {request.purpose ? (
          <>
            <dt>Purpose</dt>
            <dd>{request.purpose}</dd>
          </>
        ) : null}
        {request.details ? (
          <>
            <dt>Details given</dt>
            <dd>{request.details}</dd>
          </>
        ) : null}
        {request.extensionReason ? (
          <>
            <dt>Reason for the extension (the member sees it)</dt>
            <dd>{request.extensionReason}</dd>
          </>
        ) : null}
        {request.outcome ? (
          <>
            <dt>Outcome</dt>
            <dd>{request.outcome}</dd>
          </>
        ) : null}
        {request.refusalReason ? (
          <>
            <dt>Reason for refusing (the member sees it)</dt>
            <dd>{request.refusalReason}</dd>
          </>
        ) : null}
      </dl>

      {isOpen(request.status) ? (
        <>
          <h2>Answer the request</h2>
          {request.extendedDueAt === null ? (
            <Form action={`${base}/extend`} csrfToken={props.csrfToken} label="Extend">
              <Select
                name="months"
                label="Extend by"
                options={[
                  { value: '1', label: 'One month' },
                  { value: '2', label: 'Two months' },
                ]}
                value="1"
                required
              />
              <Field
                name="extensionReason"
                type="textarea"
                rows={3}
                label="Why more time is needed"
                hint="The member reads this."
                required
              />
              <Button variant="secondary">Extend</Button>
            </Form>
          ) : null}
          <Form action={`${base}/complete`} csrfToken={props.csrfToken} label="Complete">
            <Field
              name="outcome"
              type="textarea"
              rows={3}
              label="What was done"
              hint="The member reads this."
              required
            />
            <Button>Mark as done</Button>
          </Form>
          <Form action={`${base}/refuse`} csrfToken={props.csrfToken} label="Refuse">
            <Field
              name="refusalReason"
              type="textarea"
              rows={3}
              label="Why the request is refused"
              hint="The member reads this, with their right to complain to the ICO."
              required
            />
            <Button variant="warning">Refuse</Button>
          </Form>
        </>
      ) : null}

      <h2>Audit trail</h2>
      {props.trail.length === 0 ? (
        <p>Nothing recorded yet.</p>
      ) : (
        <table class="table" tabIndex={0}>
          <caption class="visually-hidden">Audit entries naming this request</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">What</th>
              <th scope="col">By</th>
            </tr>
          </thead>
          <tbody>
            {props.trail.map((entry) => (
              <tr key={entry.seq}>
                <td>
                  <DateText at={entry.at} timezone={props.timezone} />
                </td>
                <td>{entry.action}</td>
                <td>{entry.actorId ?? 'Hearth'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

export function HoldsBody(props: {
  csrfToken: string;
  query: string;
  member: HoldMemberView | null;
  holds: readonly Hold[];
  timezone: string;
  error?: string | undefined;
}) {
  return (
    <>
      <h1>Holds</h1>
      <p>
        A legal or safeguarding hold stops erasure and retention for one member until it is lifted
        or ends. The member is told only that their request is being handled.
      </p>
      {props.error ? (
        <div class="error-summary" role="alert">
          <p>{props.error}</p>
        </div>
      ) : null}
      <Form method="get" action="/admin/privacy/holds" label="Find a member">
        <Field
          name="member"
          type="search"
          label="Member’s email address or id"
          value={props.query}
          spellcheck={false}
        />
        <Button variant="secondary">Find</Button>
      </Form>
      {props.member === null ? (
        props.query === '' ? null : (
          <p role="status">No member has that email address or id.</p>
        )
      ) : (
        <>
          <h2>
            {props.member.username} ({props.member.email})
          </h2>
          {props.holds.length === 0 ? (
            <p>No hold has ever been placed on this member.</p>
          ) : (
            <ul class="list-plain">
              {props.holds.map((hold) => (
                <li key={hold.id}>
                  <p>
                    <strong>
                      {hold.kind === 'legal' ? 'Legal hold' : 'Safeguarding hold'},{' '}
                      {hold.active ? 'in force' : 'ended'}
                    </strong>
                    , placed <DateText at={hold.placedAt.toISOString()} timezone={props.timezone} />
                    {hold.until ? (
                      <>
                        {' '}
                        until <DateText at={hold.until.toISOString()} timezone={props.timezone} />
                      </>
                    ) : null}
                    : {hold.reason}
                  </p>
                  {hold.liftReason ? <p>Lifted: {hold.liftReason}</p> : null}
                  {hold.active && hold.liftedAt === null ? (
                    <Form
                      action={`/admin/privacy/holds/${encodeURIComponent(hold.id)}/lift`}
                      csrfToken={props.csrfToken}
                      label={`Lift hold ${hold.id}`}
                    >
                      <input type="hidden" name="member" value={props.member?.id ?? ''} />
                      <Field name={`liftReason-${hold.id}`} label="Why lift it" required />
                      <Button variant="secondary">Lift this hold</Button>
                    </Form>
                  ) : null}
                </li>
              ))}
            </ul>
          )}
          <h3>Place a hold</h3>
          <Form action="/admin/privacy/holds" csrfToken={props.csrfToken} label="Place a hold">
            <input type="hidden" name="member" value={props.member.id} />
            <Select
              name="kind"
              label="Kind"
              options={[
                { value: 'legal', label: 'Legal' },
                { value: 'safeguarding', label: 'Safeguarding' },
              ]}
              value="legal"
              required
            />
            <Field name="reason" type="textarea" rows={3} label="Reason" required />
            <Field
              name="until"
              type="date"
              label="Until (optional)"
              hint="Leave empty for a hold that lasts until it is lifted."
            />
            <Button>Place the hold</Button>
          </Form>
        </>
      )}
    </>
  );
}

export function ObjectionsBody(props: {
  csrfToken: string;
  objections: readonly OpenObjectionView[];
  timezone: string;
}) {
  return (
    <>
      <h1>Objections awaiting a decision</h1>
      <p>
        An objection stops processing for its purpose. Processing may continue only if you record
        compelling legitimate grounds that override the member’s interests; the member reads your
        reason.
      </p>
      {props.objections.length === 0 ? (
        <p role="status">No objection is waiting.</p>
      ) : (
        <ul class="list-plain">
          {props.objections.map((objection) => (
            <li key={objection.id}>
              <h2>{objection.purposeTitle}</h2>
              <p>
                Member {objection.subjectId}, on{' '}
                <DateText at={objection.recordedAt} timezone={props.timezone} />: “
                {objection.reason}”
              </p>
              <Form
                action={`/admin/privacy/objections/${encodeURIComponent(objection.id)}/override`}
                csrfToken={props.csrfToken}
                label={`Decide objection ${objection.id}`}
              >
                <Field
                  name={`reason-${objection.id}`}
                  type="textarea"
                  rows={3}
                  label="Compelling legitimate grounds to continue"
                  required
                />
                <Button variant="warning">Record the grounds and continue</Button>
              </Form>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
