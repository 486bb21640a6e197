/**
 * The staff area's pages: the shell (a secondary navigation beside the content), the
 * dashboard, members and roles, and the mail catcher. Preact escapes every value, so member
 * names and mail bodies are shown as text, never interpreted.
 */
import type { ComponentChildren } from 'preact';
import type { AdminNavEntry } from '../../platform/module.js';
import type { CaughtMail, CaughtMailSummary } from '../../platform/mail/mail.catcher.js';
import { Button, Field, Form } from '../../platform/views/forms.js';
import type { Role } from '../accounts/index.js';
import type { MemberDetails, MemberSummary } from './admin.service.js';

export const ROLE_LABELS: Readonly<Record<Role, string>> = {
  member: 'Member',
  parent_supporter: 'Parent supporter',
  moderator: 'Moderator',
  helpdesk_agent: 'Help-desk agent',
  editor: 'Editor',
  dpo: 'Data-protection officer',
  admin: 'Admin',
};

/** A time as people in `timezone` read it, inside a machine-readable `<time>`. */
export function Time(props: { at: string | null; timezone: string }) {
  if (props.at === null) return <>never</>;
  const text = new Date(props.at).toLocaleString('en-GB', {
    timeZone: props.timezone,
    dateStyle: 'medium',
    timeStyle: 'short',
  });
  return <time dateTime={props.at}>{text}</time>;
}

function currentMarker(href: string, path: string): 'page' | 'true' | undefined {
  if (href === path) return 'page';
  if (href !== '/admin' && path.startsWith(`${href}/`)) return 'true';
  return undefined;
}

/** The staff area around a page: its navigation, then the page's own content. */
export function AdminShell(props: {
  nav: readonly AdminNavEntry[];
  path: string;
  children: ComponentChildren;
}) {
  return (
    <div class="admin">
      <nav class="admin__nav" aria-label="Staff area">
        <ul>
          {props.nav.map((entry) => (
            <li key={entry.href}>
              <a href={entry.href} aria-current={currentMarker(entry.href, props.path)}>
                {entry.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <div class="admin__content">{props.children}</div>
    </div>
  );
}

export function DashboardBody(props: {
  displayName: string;
  roles: readonly Role[];
  nav: readonly AdminNavEntry[];
}) {
  const staffRoles = props.roles.filter((role) => role !== 'member');
  const sections = props.nav.filter((entry) => entry.href !== '/admin');
  return (
    <>
      <h1>Staff area</h1>
      <p>
        You are logged in as {props.displayName} with the{' '}
        {staffRoles.length === 1 ? 'role' : 'roles'}{' '}
        {staffRoles.map((role) => ROLE_LABELS[role]).join(', ')}. You see only what your role needs,
        and every look at a member’s personal data is recorded in the audit log.
      </p>
      <h2>Sections</h2>
      {sections.length === 0 ? (
        <p>No section of the staff area is open to your role yet.</p>
      ) : (
        <ul>
          {sections.map((entry) => (
            <li key={entry.href}>
              <a href={entry.href}>{entry.label}</a>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

export function MembersBody(props: {
  query: string;
  results: readonly MemberSummary[] | null;
  limit: number;
}) {
  return (
    <>
      <h1>Members and roles</h1>
      <Form method="get" action="/admin/members" label="Find a member">
        <Field
          name="q"
          type="search"
          label="Email address or username"
          hint="Part of either is enough. Each search is recorded in the audit log."
          value={props.query}
          spellcheck={false}
        />
        <Button>Search</Button>
      </Form>
      {props.results === null ? null : props.results.length === 0 ? (
        <p role="status">No member matches “{props.query}”.</p>
      ) : (
        <>
          <p role="status">
            {props.results.length === props.limit
              ? `The first ${props.limit} members matching “${props.query}”, newest first.`
              : `${props.results.length} ${props.results.length === 1 ? 'member matches' : 'members match'} “${props.query}”.`}
          </p>
          <table class="table">
            <caption class="visually-hidden">Members found</caption>
            <thead>
              <tr>
                <th scope="col">Username</th>
                <th scope="col">Email address</th>
                <th scope="col">Roles</th>
              </tr>
            </thead>
            <tbody>
              {props.results.map((member) => (
                <tr key={member.id}>
                  <td>
                    <a href={`/admin/members/${member.id}`}>{member.username}</a>
                  </td>
                  <td>{member.email}</td>
                  <td>
                    {member.roles.length === 0
                      ? 'Member'
                      : member.roles.map((role) => ROLE_LABELS[role]).join(', ')}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </>
  );
}

export function MemberDetailsBody(props: {
  member: MemberDetails;
  grantable: readonly Role[];
  csrfToken: string;
  timezone: string;
  isSelf: boolean;
}) {
  const { member } = props;
  return (
    <>
      <h1>
        {member.firstName} {member.surname}
      </h1>
      <p>Your opening of this page is recorded in the audit log.</p>
      <dl class="summary-list">
        <dt>Username</dt>
        <dd>{member.username}</dd>
        <dt>Email address</dt>
        <dd>
          {member.email} {member.emailVerifiedAt === null ? '(not verified)' : '(verified)'}
        </dd>
        <dt>Account</dt>
        <dd>{member.status}</dd>
        <dt>Joined</dt>
        <dd>
          <Time at={member.createdAt} timezone={props.timezone} />
        </dd>
        <dt>Last logged in</dt>
        <dd>
          <Time at={member.lastLoginAt} timezone={props.timezone} />
        </dd>
        <dt>Two-factor log-in</dt>
        <dd>{member.twoFactorEnabled ? 'On' : 'Off'}</dd>
      </dl>
      <h2>Roles</h2>
      <p>
        Every account is a member. A role granted or revoked here applies from the member’s next
        request; staff roles need two-factor log-in before the staff area opens.
      </p>
      <table class="table">
        <caption class="visually-hidden">Roles of {member.username}</caption>
        <thead>
          <tr>
            <th scope="col">Role</th>
            <th scope="col">Held</th>
            <th scope="col">Change</th>
          </tr>
        </thead>
        <tbody>
          {props.grantable.map((role) => {
            const held = member.roles.includes(role);
            return (
              <tr key={role}>
                <th scope="row">{ROLE_LABELS[role]}</th>
                <td>{held ? 'Yes' : 'No'}</td>
                <td>
                  <Form
                    action={`/admin/members/${member.id}/roles`}
                    csrfToken={props.csrfToken}
                    label={`${held ? 'Revoke' : 'Grant'} ${ROLE_LABELS[role]}`}
                  >
                    <input type="hidden" name="role" value={role} />
                    <input type="hidden" name="change" value={held ? 'revoke' : 'grant'} />
                    <Button variant={held ? 'warning' : 'secondary'}>
                      {held ? 'Revoke' : 'Grant'}
                      <span class="visually-hidden"> {ROLE_LABELS[role]}</span>
                    </Button>
                  </Form>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {props.isSelf ? (
        <p>You cannot revoke the admin role from the last admin, including yourself.</p>
      ) : null}
      <p>
        <a href="/admin/members">Back to members</a>
      </p>
    </>
  );
}

export function MailListBody(props: {
  items: readonly CaughtMailSummary[];
  nextCursor: string | null;
  timezone: string;
}) {
  return (
    <>
      <h1>Mail catcher</h1>
      <p>
        Without an SMTP server configured, Hearth files every message here instead of sending it.
        Each look is recorded in the audit log.
      </p>
      {props.items.length === 0 ? (
        <p>No mail has been caught.</p>
      ) : (
        <table class="table">
          <caption class="visually-hidden">Caught mail, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Caught</th>
              <th scope="col">To</th>
              <th scope="col">Subject</th>
              <th scope="col">Kind</th>
            </tr>
          </thead>
          <tbody>
            {props.items.map((mail) => (
              <tr key={mail.id}>
                <td>
                  <Time at={mail.caughtAt} timezone={props.timezone} />
                </td>
                <td>{mail.to}</td>
                <td>
                  <a href={`/admin/mail/${mail.id}`}>{mail.subject || '(no subject)'}</a>
                </td>
                <td>{mail.category}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {props.nextCursor ? (
        <p>
          <a href={`/admin/mail?cursor=${encodeURIComponent(props.nextCursor)}`}>Older mail</a>
        </p>
      ) : null}
    </>
  );
}

/**
 * One caught message: its headers and its text part. The HTML part is not rendered: it would
 * run under the staff area's origin, and the text part says the same thing.
 */
export function MailBody(props: { mail: CaughtMail; timezone: string }) {
  const { mail } = props;
  return (
    <>
      <h1>{mail.subject || '(no subject)'}</h1>
      <dl class="summary-list">
        <dt>From</dt>
        <dd>{mail.from}</dd>
        <dt>To</dt>
        <dd>{mail.toName ? `${mail.toName} <${mail.to}>` : mail.to}</dd>
        <dt>Caught</dt>
        <dd>
          <Time at={mail.caughtAt} timezone={props.timezone} />
        </dd>
        <dt>Kind</dt>
        <dd>{mail.category}</dd>
        <dt>Message-ID</dt>
        <dd>{mail.messageId}</dd>
      </dl>
      <h2>Text</h2>
      <pre class="mail-text">{mail.text}</pre>
      {mail.html !== null ? (
        <p>This message also has an HTML part, not shown here; its text part says the same.</p>
      ) : null}
      <h2>Headers</h2>
      <dl class="summary-list">
        {Object.entries(mail.headers).map(([name, value]) => [
          <dt key={`${name}-name`}>{name}</dt>,
          <dd key={`${name}-value`}>{value}</dd>,
        ])}
      </dl>
      <p>
        <a href="/admin/mail">Back to the mail catcher</a>
      </p>
    </>
  );
}
