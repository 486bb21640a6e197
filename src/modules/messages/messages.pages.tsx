/**
 * The member's pages: the inbox at /messages (with the unread count), a new message, a
 * conversation with replies, deleting a message or a conversation for oneself (P43), reporting a
 * message, blocked members, and conversations with the Parent Supporters. Forms post and
 * redirect; they work without JavaScript. Notices after a redirect are chosen by key, never
 * echoed from the query string.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ComponentChildren } from 'preact';
import { AppError, isAppError } from '../../platform/http/errors.js';
import {
  readFormValues,
  type FieldErrors,
  type FormValues,
} from '../../platform/views/form-input.js';
import {
  Button,
  ButtonLink,
  ErrorSummary,
  Field,
  Form,
  Select,
  valueOf,
} from '../../platform/views/forms.js';
import { requireMember, type CurrentMember } from '../accounts/index.js';
import {
  blockMember,
  countUnread,
  deleteConversationFor,
  deleteMessageFor,
  listBlocks,
  listConversations,
  MAX_BODY_LENGTH,
  MAX_PARTICIPANTS,
  parseUsernames,
  readConversation,
  replyToConversation,
  reportMessage,
  startConversation,
  unblockMember,
  type BlockedMember,
  type ConversationSummary,
  type ConversationView,
} from './messages.service.js';
import {
  listMemberCases,
  readCaseAsMember,
  replyAsMember,
  startSupportCase,
  SUPPORT_TOPICS,
  TOPIC_LABELS,
  type SupportCaseSummary,
  type SupportCaseView,
} from './messages.support.js';

export const INBOX_PAGE = '/messages';

const NOTICES: Readonly<Record<string, string>> = {
  sent: 'Your message is sent.',
  deleted:
    'Deleted. You will not see it again; it is removed from our database once everyone in the conversation has deleted it.',
  'conversation-deleted':
    'The conversation is deleted for you. It is removed from our database once everyone in it has deleted it.',
  reported: 'Thank you. A moderator will look at the message.',
  blocked: 'Blocked. They can no longer send you messages.',
  unblocked: 'Unblocked.',
  'support-sent': 'Your message is with the Parent Supporters. One of them will answer here.',
};

function noticeFrom(request: FastifyRequest): string | null {
  const key = (request.query as Record<string, unknown>).done;
  return typeof key === 'string' ? (NOTICES[key] ?? null) : null;
}

function Notice(props: { text: string | null }) {
  return props.text ? (
    <div class="panel" role="status">
      <p>{props.text}</p>
    </div>
  ) : null;
}

/** A time as people in `timezone` read it, inside a machine-readable `<time>`. */
export function When(props: { at: string; timezone: string }) {
  const text = new Date(props.at).toLocaleString('en-GB', {
    timeZone: props.timezone,
    dateStyle: 'medium',
    timeStyle: 'short',
  });
  return <time dateTime={props.at}>{text}</time>;
}

/** A message body as paragraphs: line breaks are kept without any markup from the member. */
export function BodyText(props: { body: string }) {
  return (
    <>
      {props.body.split(/\n{2,}/).map((paragraph, index) => (
        <p key={index}>
          {paragraph.split('\n').map((line, lineIndex) => (
            <>
              {lineIndex > 0 ? <br /> : null}
              {line}
            </>
          ))}
        </p>
      ))}
    </>
  );
}

function withWhom(names: readonly string[]): string {
  if (names.length === 0) return 'a former member';
  if (names.length === 1) return names[0]!;
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

function unreadWords(count: number): string {
  return count === 0
    ? 'No unread messages'
    : `${count} unread ${count === 1 ? 'message' : 'messages'}`;
}

export function InboxPage(props: {
  unread: number;
  conversations: readonly ConversationSummary[];
  nextCursor: string | null;
  cases: readonly (SupportCaseSummary & { unread: boolean })[];
  notice: string | null;
  timezone: string;
}) {
  return (
    <>
      <h1>Messages</h1>
      <Notice text={props.notice} />
      <p class="lead" id="unread-count">
        {unreadWords(props.unread)}.
      </p>
      <div class="actions">
        <ButtonLink href="/messages/new">New message</ButtonLink>
        <ButtonLink href="/messages/support/new" variant="secondary">
          Talk to a Parent Supporter
        </ButtonLink>
      </div>
      <h2>Conversations</h2>
      {props.conversations.length === 0 ? (
        <p>No conversations yet.</p>
      ) : (
        <ul class="card-list">
          {props.conversations.map((conversation) => (
            <li key={conversation.id} class="card">
              <p>
                <a href={`/messages/${encodeURIComponent(conversation.id)}`}>
                  Conversation with {withWhom(conversation.with)}
                </a>
              </p>
              {conversation.unread > 0 ? (
                <strong class="status-tag">{unreadWords(conversation.unread)}</strong>
              ) : null}
              <p>
                Last message <When at={conversation.lastMessageAt} timezone={props.timezone} />
              </p>
            </li>
          ))}
        </ul>
      )}
      {props.nextCursor ? (
        <p>
          <a href={`/messages?cursor=${encodeURIComponent(props.nextCursor)}`}>
            Older conversations
          </a>
        </p>
      ) : null}
      <h2>Parent Supporter conversations</h2>
      {props.cases.length === 0 ? (
        <p>
          Our Parent Supporters are trained volunteers who listen and help, about anything from
          feeding to how you are feeling. <a href="/messages/support/new">Start a conversation</a>.
        </p>
      ) : (
        <ul class="card-list">
          {props.cases.map((entry) => (
            <li key={entry.id} class="card">
              <p>
                <a href={`/messages/support/${encodeURIComponent(entry.id)}`}>
                  {TOPIC_LABELS[entry.topic]}
                </a>
              </p>
              {entry.unread ? <strong class="status-tag">New reply</strong> : null}
              <p>
                {entry.status === 'closed' ? 'Closed' : 'Open'}; last message{' '}
                <When at={entry.lastMessageAt} timezone={props.timezone} />
              </p>
            </li>
          ))}
        </ul>
      )}
      <h2>Blocking</h2>
      <p>
        <a href="/messages/blocked">Members you blocked</a>: block or unblock someone.
      </p>
      <h2>Your messages and your privacy</h2>
      <p>
        Deleting a message or a conversation hides it from you at once; we remove it from our
        database once everyone in the conversation has deleted it, and everything you wrote is
        deleted with your account. Staff never read private messages, except a message someone
        reports to the moderators. Conversations with Parent Supporters are kept for the protection
        of individuals; see the <a href="/privacy">privacy notice</a>.
      </p>
    </>
  );
}

export function NewMessagePage(props: {
  csrfToken: string;
  values: FormValues;
  errors?: FieldErrors | undefined;
  formError?: string | undefined;
}) {
  return (
    <>
      <p>
        <a href="/messages">Messages</a>
      </p>
      <h1>New message</h1>
      <ErrorSummary errors={props.errors} formError={props.formError} />
      <Form action="/messages/new" csrfToken={props.csrfToken} label="New message">
        <Field
          name="to"
          label="To"
          hint={`Usernames of up to ${MAX_PARTICIPANTS - 1} members, separated by commas.`}
          value={valueOf(props.values, 'to')}
          error={props.errors?.to}
          required
          spellcheck={false}
        />
        <Field
          name="body"
          label="Message"
          type="textarea"
          rows={6}
          value={valueOf(props.values, 'body')}
          error={props.errors?.body}
          hint={`Up to ${MAX_BODY_LENGTH.toLocaleString('en-GB')} characters.`}
          required
        />
        <Button>Send message</Button>
      </Form>
    </>
  );
}

/** One message in a list: who wrote it and when, its text, and anything to do with it. */
export function MessageCard(props: {
  who: string;
  sentAt: string;
  body: string;
  timezone: string;
  id?: string;
  children?: ComponentChildren;
}) {
  return (
    <li class="card" {...(props.id ? { id: props.id } : {})}>
      <article aria-label={`Message from ${props.who}`}>
        <p>
          <strong>{props.who}</strong>, <When at={props.sentAt} timezone={props.timezone} />
        </p>
        <BodyText body={props.body} />
        {props.children}
      </article>
    </li>
  );
}

function MessageItem(props: {
  conversationId: string;
  message: ConversationView['messages'][number];
  csrfToken: string;
  timezone: string;
}) {
  const { message } = props;
  const base = `/messages/${encodeURIComponent(props.conversationId)}/messages/${encodeURIComponent(message.id)}`;
  const who = message.isMine ? 'You' : message.senderName;
  return (
    <MessageCard
      id={`message-${message.id}`}
      who={who}
      sentAt={message.sentAt}
      body={message.body}
      timezone={props.timezone}
    >
      <div class="actions">
        <Form action={`${base}/delete`} csrfToken={props.csrfToken} label="Delete message">
          <Button variant="secondary">
            Delete<span class="visually-hidden"> this message from {who}</span>
          </Button>
        </Form>
        {message.isMine ? null : (
          <p>
            <a href={`${base}/report`}>
              Report<span class="visually-hidden"> this message from {who}</span>
            </a>
          </p>
        )}
      </div>
    </MessageCard>
  );
}

export function ConversationPage(props: {
  view: ConversationView;
  csrfToken: string;
  timezone: string;
  notice: string | null;
  values?: FormValues;
  errors?: FieldErrors | undefined;
  formError?: string | undefined;
}) {
  const { view } = props;
  const path = `/messages/${encodeURIComponent(view.id)}`;
  return (
    <>
      <p>
        <a href="/messages">Messages</a>
      </p>
      <h1>Conversation with {withWhom(view.with)}</h1>
      <Notice text={props.notice} />
      <ErrorSummary errors={props.errors} formError={props.formError} />
      {view.earlierBefore !== null ? (
        <p>
          <a href={`${path}?before=${view.earlierBefore}`}>Earlier messages</a>
        </p>
      ) : null}
      {view.messages.length === 0 ? (
        <p>There are no messages here that you have not deleted.</p>
      ) : (
        <ol class="card-list" aria-label="Messages, oldest first">
          {view.messages.map((message) => (
            <MessageItem
              key={message.id}
              conversationId={view.id}
              message={message}
              csrfToken={props.csrfToken}
              timezone={props.timezone}
            />
          ))}
        </ol>
      )}
      <h2>Reply</h2>
      {view.canReply ? (
        <Form action={`${path}/reply`} csrfToken={props.csrfToken} label="Reply">
          <Field
            name="body"
            label="Your reply"
            type="textarea"
            rows={4}
            value={valueOf(props.values, 'body')}
            error={props.errors?.body}
            required
          />
          <Button>Send reply</Button>
        </Form>
      ) : (
        <p>{view.replyRefusal}</p>
      )}
      <h2>Delete this conversation</h2>
      <p>
        It disappears from your messages at once. The others keep their copy until they delete it
        too; then it is removed from our database.
      </p>
      <Form action={`${path}/delete`} csrfToken={props.csrfToken} label="Delete conversation">
        <Button variant="warning">Delete conversation</Button>
      </Form>
    </>
  );
}

export function ReportPage(props: {
  conversationId: string;
  messageId: string;
  csrfToken: string;
  values: FormValues;
  errors?: FieldErrors | undefined;
}) {
  const back = `/messages/${encodeURIComponent(props.conversationId)}`;
  return (
    <>
      <p>
        <a href={back}>Back to the conversation</a>
      </p>
      <h1>Report a message</h1>
      <ErrorSummary errors={props.errors} />
      <p>
        A moderator will read this one message (not the rest of the conversation) to decide what to
        do. Their reading is recorded, and our data-protection officer reviews the record.
      </p>
      <Form
        action={`${back}/messages/${encodeURIComponent(props.messageId)}/report`}
        csrfToken={props.csrfToken}
        label="Report"
      >
        <Field
          name="reason"
          label="What is wrong with it?"
          type="textarea"
          rows={4}
          value={valueOf(props.values, 'reason')}
          error={props.errors?.reason}
          required
        />
        <Button>Send report</Button>
      </Form>
    </>
  );
}

export function BlockedPage(props: {
  blocks: readonly BlockedMember[];
  csrfToken: string;
  notice: string | null;
  values: FormValues;
  errors?: FieldErrors | undefined;
  timezone: string;
}) {
  return (
    <>
      <p>
        <a href="/messages">Messages</a>
      </p>
      <h1>Blocked members</h1>
      <Notice text={props.notice} />
      <ErrorSummary errors={props.errors} />
      <p>
        A member you block cannot start a conversation with you or write in one you are in. They are
        not told.
      </p>
      {props.blocks.length === 0 ? (
        <p>You have not blocked anyone.</p>
      ) : (
        <ul class="card-list">
          {props.blocks.map((block) => (
            <li key={block.username} class="card">
              <p>
                <strong>{block.username}</strong>, blocked{' '}
                <When at={block.blockedAt} timezone={props.timezone} />
              </p>
              <Form
                action="/messages/blocked/unblock"
                csrfToken={props.csrfToken}
                label={`Unblock ${block.username}`}
              >
                <input type="hidden" name="username" value={block.username} />
                <Button variant="secondary">
                  Unblock<span class="visually-hidden"> {block.username}</span>
                </Button>
              </Form>
            </li>
          ))}
        </ul>
      )}
      <h2>Block a member</h2>
      <Form action="/messages/blocked" csrfToken={props.csrfToken} label="Block a member">
        <Field
          name="username"
          label="Username"
          value={valueOf(props.values, 'username')}
          error={props.errors?.username}
          required
          spellcheck={false}
        />
        <Button variant="warning">Block</Button>
      </Form>
    </>
  );
}

const TOPIC_OPTIONS = SUPPORT_TOPICS.map((topic) => ({ value: topic, label: TOPIC_LABELS[topic] }));

export function NewSupportPage(props: {
  csrfToken: string;
  values: FormValues;
  errors?: FieldErrors | undefined;
}) {
  return (
    <>
      <p>
        <a href="/messages">Messages</a>
      </p>
      <h1>Talk to a Parent Supporter</h1>
      <ErrorSummary errors={props.errors} />
      <p>
        Parent Supporters are trained to listen and help. Write as much or as little as you like;
        one of them will answer here, usually within a day.
      </p>
      <p>
        We keep these conversations for the protection of individuals, also after an account is
        deleted, and we count them, with no way to tell who anyone is, in statistics we may share
        with partners. If someone is in danger now, call 999.
      </p>
      <Form action="/messages/support/new" csrfToken={props.csrfToken} label="Parent Supporter">
        <Select
          name="topic"
          label="What is it about?"
          options={TOPIC_OPTIONS}
          value={valueOf(props.values, 'topic')}
          error={props.errors?.topic}
          emptyChoice="Choose a topic"
          required
        />
        <Field
          name="body"
          label="Your message"
          type="textarea"
          rows={6}
          value={valueOf(props.values, 'body')}
          error={props.errors?.body}
          required
        />
        <Button>Send to the Parent Supporters</Button>
      </Form>
    </>
  );
}

export function SupportMessages(props: {
  view: SupportCaseView;
  timezone: string;
  viewerIsSupporter: boolean;
}) {
  if (props.view.messages.length === 0) return <p>No messages.</p>;
  return (
    <ol class="card-list" aria-label="Messages, oldest first">
      {props.view.messages.map((message) => {
        const who = message.isMine
          ? 'You'
          : props.viewerIsSupporter && !message.fromSupporter
            ? props.view.memberName
            : message.authorName;
        return (
          <MessageCard
            key={message.id}
            who={who}
            sentAt={message.sentAt}
            body={message.body}
            timezone={props.timezone}
          />
        );
      })}
    </ol>
  );
}

export function SupportCasePage(props: {
  view: SupportCaseView;
  csrfToken: string;
  timezone: string;
  notice: string | null;
  values?: FormValues;
  errors?: FieldErrors | undefined;
  formError?: string | undefined;
}) {
  const path = `/messages/support/${encodeURIComponent(props.view.id)}`;
  return (
    <>
      <p>
        <a href="/messages">Messages</a>
      </p>
      <h1>Parent Supporter: {TOPIC_LABELS[props.view.topic]}</h1>
      <Notice text={props.notice} />
      <ErrorSummary errors={props.errors} formError={props.formError} />
      <p>
        {props.view.status === 'waiting'
          ? 'Waiting for a Parent Supporter to answer.'
          : props.view.status === 'open'
            ? 'A Parent Supporter is with you.'
            : 'This conversation is closed.'}
      </p>
      <SupportMessages view={props.view} timezone={props.timezone} viewerIsSupporter={false} />
      {props.view.status === 'closed' ? (
        <p>
          <a href="/messages/support/new">Start a new conversation</a> whenever you need to.
        </p>
      ) : (
        <Form action={`${path}/reply`} csrfToken={props.csrfToken} label="Reply">
          <Field
            name="body"
            label="Your reply"
            type="textarea"
            rows={4}
            value={valueOf(props.values, 'body')}
            error={props.errors?.body}
            required
          />
          <Button>Send reply</Button>
        </Form>
      )}
    </>
  );
}

/** Field errors from a refused write, or a form-wide message when it names no field. */
export function failureOf(error: unknown): {
  errors: FieldErrors;
  formError: string | undefined;
  status: number;
} {
  if (!isAppError(error) || error.statusCode >= 500) throw error;
  if (error.code === 'not_found' || error.code === 'unauthenticated') throw error;
  return {
    errors: error.fields ?? {},
    formError: error.fields ? undefined : error.message,
    status: error.fields ? 422 : error.statusCode,
  };
}

/** What a page with a form shows again after a mistake. */
export interface FormState {
  values?: FormValues;
  errors?: FieldErrors;
  formError?: string;
  status?: number;
}

/** The form state after a write with these values failed with `error` (see failureOf). */
export function formStateAfter(values: FormValues, error: unknown): FormState {
  const failure = failureOf(error);
  return {
    values,
    errors: failure.errors,
    ...(failure.formError ? { formError: failure.formError } : {}),
    status: failure.status,
  };
}

/** The form's props for a page component. */
export function formProps(form: FormState) {
  return {
    ...(form.values ? { values: form.values } : {}),
    errors: form.errors,
    formError: form.formError,
  };
}

/** `send`'s page options for a form state. */
export function formPageOptions(form: FormState) {
  return {
    ...(form.errors ? { errors: form.errors } : {}),
    ...(form.status !== undefined ? { status: form.status } : {}),
  };
}

export const messagesPages: FastifyPluginAsync = (app) => {
  const timezone = app.config.timezone;

  const send = (
    reply: FastifyReply,
    member: CurrentMember,
    title: string,
    body: ComponentChildren,
    options: { errors?: FieldErrors; status?: number } = {},
  ) => {
    void reply.header('cache-control', 'no-store');
    const hasErrors = options.errors !== undefined && Object.keys(options.errors).length > 0;
    return reply.page(title, body, {
      user: { displayName: member.displayName, isStaff: member.isStaff },
      ...(hasErrors ? { errors: options.errors } : {}),
      ...(options.status !== undefined ? { status: options.status } : {}),
    });
  };

  const params = (request: FastifyRequest) => request.params as Record<string, string>;

  app.get(INBOX_PAGE, async (request, reply) => {
    const member = await requireMember(request, reply);
    if (!member) return reply;
    const query = request.query as Record<string, unknown>;
    const cursor = typeof query.cursor === 'string' ? query.cursor : undefined;
    const page = await listConversations(app.db, member.id, cursor ? { cursor } : {});
    const unread = await countUnread(app.db, member.id);
    const cases = await listMemberCases(app.db, member.id);
    return send(
      reply,
      member,
      unread > 0 ? `Messages (${unread} unread)` : 'Messages',
      <InboxPage
        unread={unread}
        conversations={page.items}
        nextCursor={page.nextCursor}
        cases={cases}
        notice={noticeFrom(request)}
        timezone={timezone}
      />,
    );
  });

  app.get('/messages/new', async (request, reply) => {
    const member = await requireMember(request, reply);
    if (!member) return reply;
    const to = (request.query as Record<string, unknown>).to;
    return send(
      reply,
      member,
      'New message',
      <NewMessagePage
        csrfToken={request.csrfToken()}
        values={typeof to === 'string' ? { to: to.slice(0, 200) } : {}}
      />,
    );
  });

  app.post('/messages/new', async (request, reply) => {
    const member = await requireMember(request, reply);
    if (!member) return reply;
    const values = readFormValues(request.body);
    try {
      const created = await startConversation(app.db, {
        senderId: member.id,
        to: parseUsernames(values.to),
        body: typeof values.body === 'string' ? values.body : '',
      });
      return reply.redirect(
        `/messages/${encodeURIComponent(created.conversationId)}?done=sent`,
        303,
      );
    } catch (error) {
      const failure = failureOf(error);
      return send(
        reply,
        member,
        'New message',
        <NewMessagePage
          csrfToken={request.csrfToken()}
          values={values}
          errors={failure.errors}
          formError={failure.formError}
        />,
        { errors: failure.errors, status: failure.status },
      );
    }
  });

  const showConversation = async (
    request: FastifyRequest,
    reply: FastifyReply,
    member: CurrentMember,
    form: FormState = {},
  ) => {
    const query = request.query as Record<string, unknown>;
    const before = typeof query.before === 'string' ? Number(query.before) : Number.NaN;
    const view = await readConversation(app.db, member.id, params(request).id ?? '', {
      ...(Number.isInteger(before) && before > 0 ? { beforeSeq: before } : {}),
    });
    return send(
      reply,
      member,
      `Conversation with ${withWhom(view.with)}`,
      <ConversationPage
        view={view}
        csrfToken={request.csrfToken()}
        timezone={timezone}
        notice={form.errors || form.formError ? null : noticeFrom(request)}
        {...formProps(form)}
      />,
      formPageOptions(form),
    );
  };

  app.get('/messages/:id', async (request, reply) => {
    const member = await requireMember(request, reply);
    if (!member) return reply;
    return showConversation(request, reply, member);
  });

  app.post('/messages/:id/reply', async (request, reply) => {
    const member = await requireMember(request, reply);
    if (!member) return reply;
    const id = params(request).id ?? '';
    const values = readFormValues(request.body);
    try {
      const sent = await replyToConversation(app.db, {
        senderId: member.id,
        conversationId: id,
        body: typeof values.body === 'string' ? values.body : '',
      });
      return reply.redirect(
        `/messages/${encodeURIComponent(id)}?done=sent#message-${sent.messageId}`,
        303,
      );
    } catch (error) {
      return showConversation(request, reply, member, formStateAfter(values, error));
    }
  });

  app.post('/messages/:id/messages/:messageId/delete', async (request, reply) => {
    const member = await requireMember(request, reply);
    if (!member) return reply;
    const { id = '', messageId = '' } = params(request);
    await deleteMessageFor(app.db, { memberId: member.id, conversationId: id, messageId });
    const stillThere = await listConversationExists(member.id, id);
    return reply.redirect(
      stillThere ? `/messages/${encodeURIComponent(id)}?done=deleted` : '/messages?done=deleted',
      303,
    );
  });

  /** Whether the member is still in a conversation after a deletion purged it, perhaps whole. */
  const listConversationExists = async (memberId: string, conversationId: string) => {
    try {
      await readConversation(app.db, memberId, conversationId, { limit: 1, markRead: false });
      return true;
    } catch (error) {
      if (isAppError(error) && error.code === 'not_found') return false;
      throw error;
    }
  };

  app.post('/messages/:id/delete', async (request, reply) => {
    const member = await requireMember(request, reply);
    if (!member) return reply;
    await deleteConversationFor(app.db, {
      memberId: member.id,
      conversationId: params(request).id ?? '',
    });
    return reply.redirect('/messages?done=conversation-deleted', 303);
  });

  const showReport = async (
    request: FastifyRequest,
    reply: FastifyReply,
    member: CurrentMember,
    values: FormValues,
    errors?: FieldErrors,
  ) => {
    const { id = '', messageId = '' } = params(request);
    // Only a message the member can see may be reported: the same check as the report itself.
    const view = await readConversation(app.db, member.id, id, { markRead: false });
    const message = view.messages.find((entry) => entry.id === messageId);
    if (!message || message.isMine) throw new AppError('not_found', 'There is no such message.');
    return send(
      reply,
      member,
      'Report a message',
      <ReportPage
        conversationId={id}
        messageId={messageId}
        csrfToken={request.csrfToken()}
        values={values}
        errors={errors}
      />,
      errors ? { errors } : {},
    );
  };

  app.get('/messages/:id/messages/:messageId/report', async (request, reply) => {
    const member = await requireMember(request, reply);
    if (!member) return reply;
    return showReport(request, reply, member, {});
  });

  app.post('/messages/:id/messages/:messageId/report', async (request, reply) => {
    const member = await requireMember(request, reply);
    if (!member) return reply;
    const { id = '', messageId = '' } = params(request);
    const values = readFormValues(request.body);
    try {
      await reportMessage(app.db, {
        memberId: member.id,
        conversationId: id,
        messageId,
        reason: typeof values.reason === 'string' ? values.reason : '',
      });
    } catch (error) {
      const failure = failureOf(error);
      return showReport(request, reply, member, values, failure.errors);
    }
    return reply.redirect(`/messages/${encodeURIComponent(id)}?done=reported`, 303);
  });

  const showBlocked = async (
    request: FastifyRequest,
    reply: FastifyReply,
    member: CurrentMember,
    values: FormValues,
    errors?: FieldErrors,
  ) =>
    send(
      reply,
      member,
      'Blocked members',
      <BlockedPage
        blocks={await listBlocks(app.db, member.id)}
        csrfToken={request.csrfToken()}
        notice={errors ? null : noticeFrom(request)}
        values={values}
        errors={errors}
        timezone={timezone}
      />,
      errors ? { errors } : {},
    );

  app.get('/messages/blocked', async (request, reply) => {
    const member = await requireMember(request, reply);
    if (!member) return reply;
    return showBlocked(request, reply, member, {});
  });

  app.post('/messages/blocked', async (request, reply) => {
    const member = await requireMember(request, reply);
    if (!member) return reply;
    const values = readFormValues(request.body);
    try {
      await blockMember(app.db, {
        blockerId: member.id,
        username: parseUsernames(values.username)[0] ?? '',
      });
    } catch (error) {
      const failure = failureOf(error);
      return showBlocked(request, reply, member, values, failure.errors);
    }
    return reply.redirect('/messages/blocked?done=blocked', 303);
  });

  app.post('/messages/blocked/unblock', async (request, reply) => {
    const member = await requireMember(request, reply);
    if (!member) return reply;
    const values = readFormValues(request.body);
    await unblockMember(app.db, {
      blockerId: member.id,
      username: typeof values.username === 'string' ? values.username : '',
    });
    return reply.redirect('/messages/blocked?done=unblocked', 303);
  });

  app.get('/messages/support/new', async (request, reply) => {
    const member = await requireMember(request, reply);
    if (!member) return reply;
    return send(
      reply,
      member,
      'Talk to a Parent Supporter',
      <NewSupportPage csrfToken={request.csrfToken()} values={{}} />,
    );
  });

  app.post('/messages/support/new', async (request, reply) => {
    const member = await requireMember(request, reply);
    if (!member) return reply;
    const values = readFormValues(request.body);
    try {
      const created = await startSupportCase(app.db, {
        memberId: member.id,
        topic: typeof values.topic === 'string' ? values.topic : '',
        body: typeof values.body === 'string' ? values.body : '',
      });
      return reply.redirect(
        `/messages/support/${encodeURIComponent(created.caseId)}?done=support-sent`,
        303,
      );
    } catch (error) {
      const failure = failureOf(error);
      return send(
        reply,
        member,
        'Talk to a Parent Supporter',
        <NewSupportPage csrfToken={request.csrfToken()} values={values} errors={failure.errors} />,
        { errors: failure.errors, status: failure.status },
      );
    }
  });

  const showCase = async (
    request: FastifyRequest,
    reply: FastifyReply,
    member: CurrentMember,
    form: FormState = {},
  ) => {
    const view = await readCaseAsMember(app.db, member.id, params(request).id ?? '');
    return send(
      reply,
      member,
      `Parent Supporter: ${TOPIC_LABELS[view.topic]}`,
      <SupportCasePage
        view={view}
        csrfToken={request.csrfToken()}
        timezone={timezone}
        notice={form.errors || form.formError ? null : noticeFrom(request)}
        {...formProps(form)}
      />,
      formPageOptions(form),
    );
  };

  app.get('/messages/support/:id', async (request, reply) => {
    const member = await requireMember(request, reply);
    if (!member) return reply;
    return showCase(request, reply, member);
  });

  app.post('/messages/support/:id/reply', async (request, reply) => {
    const member = await requireMember(request, reply);
    if (!member) return reply;
    const values = readFormValues(request.body);
    try {
      await replyAsMember(app.db, {
        memberId: member.id,
        caseId: params(request).id ?? '',
        body: typeof values.body === 'string' ? values.body : '',
      });
    } catch (error) {
      return showCase(request, reply, member, formStateAfter(values, error));
    }
    return reply.redirect(
      `/messages/support/${encodeURIComponent(params(request).id ?? '')}?done=sent`,
      303,
    );
  });

  return Promise.resolve();
};
