/**
 * Setting up two-factor log-in (TOTP, RFC 6238): the page `/account/two-factor` and its API,
 * `GET|POST /api/v1/me/two-factor` and `POST /api/v1/me/two-factor/confirm`. Staff must do this
 * before /admin opens; any member may.
 *
 * The secret offered is kept in the session (sealed, like the stored one) until the member
 * proves their authenticator holds it by typing a current code: only then is it stored on the
 * account, so a half-finished set-up never locks anyone out. Confirming counts as passing the
 * second factor for this session, which then gets a new id (a privilege change).
 *
 * Turning two-factor log-in off or replacing a lost device is deliberately not self-service
 * here: for staff that would let whoever holds a session remove the second factor.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { tablesOf, type DbExecutor } from '../../platform/db/database.js';
import { toDbTime } from '../../platform/db/portable.js';
import { AppError, errorResponses } from '../../platform/http/errors.js';
import { sensitiveRateLimit } from '../../platform/http/rate-limit.js';
import type { SessionData } from '../../platform/http/request-context.js';
import { Button, ErrorSummary, Field, Form } from '../../platform/views/forms.js';
import { validateForm, type FieldErrors } from '../../platform/views/form-input.js';
import { appendAudit, inTransaction } from '../../privacy/audit/audit.service.js';
import {
  forgetCurrentMember,
  getCurrentMember,
  memberOnly,
  requireMember,
  SECOND_FACTOR_KEY,
  type CurrentMember,
} from './accounts.guards.js';
import type { AccountsTables } from './accounts.tables.js';
import { generateTotpSecret, totpUri, verifyTotp } from './totp.js';
import { decryptTotpSecret, encryptTotpSecret, TotpSecretUnreadableError } from './totp-secret.js';

export const TWO_FACTOR_PAGE = '/account/two-factor';

/** Session data key of the secret offered but not yet confirmed (sealed). */
export const PENDING_TOTP_KEY = 'pendingTotpSecret';

/** The base32 secret in groups of four, as authenticator apps show keys typed by hand. */
export function groupSecret(secretBase32: string): string {
  return secretBase32.replace(/(.{4})(?=.)/g, '$1 ');
}

/** A code as people type it ("123 456", "123-456") reduced to its digits. */
export function normaliseCode(code: string): string {
  return code.replace(/[\s-]/g, '');
}

/** The secret this session was offered, or null when none (or one sealed under another key). */
function pendingSecret(secretKey: string, data: SessionData): string | null {
  const sealed = data[PENDING_TOTP_KEY];
  if (typeof sealed !== 'string') return null;
  try {
    return decryptTotpSecret(secretKey, sealed);
  } catch (error) {
    if (error instanceof TotpSecretUnreadableError) return null;
    throw error;
  }
}

/** Offers a fresh secret to this session and returns it. */
async function offerSecret(request: FastifyRequest): Promise<string> {
  const secret = generateTotpSecret();
  await request.setSessionData({
    ...(request.session?.data ?? {}),
    [PENDING_TOTP_KEY]: encryptTotpSecret(request.server.secretKey, secret),
  });
  return secret;
}

/**
 * Stores a confirmed secret on the account, sealed, with the audit entry. Refuses when the
 * account already has two-factor log-in (a second tab confirming late must not replace it).
 */
export async function enableTwoFactor(
  db: DbExecutor,
  input: {
    userId: string;
    secretKey: string;
    secretBase32: string;
    now?: Date;
    /** The step of the code that confirmed the set-up: refused at log-in (no replay). */
    usedStep?: number;
  },
): Promise<{ enabledAt: string }> {
  const enabledAt = toDbTime(input.now ?? new Date());
  return inTransaction(db, async (trx) => {
    const updated = await tablesOf<AccountsTables>(trx)
      .updateTable('accounts_users')
      .set({
        totp_secret: encryptTotpSecret(input.secretKey, input.secretBase32),
        totp_enabled_at: enabledAt,
        totp_last_step: input.usedStep ?? null,
        updated_at: enabledAt,
      })
      .where('id', '=', input.userId)
      .where('totp_enabled_at', 'is', null)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) !== 1) {
      throw new AppError('conflict', 'Two-factor log-in is already set up for this account.');
    }
    await appendAudit(trx, {
      action: 'accounts.two-factor.enabled',
      actorId: input.userId,
      subjectId: input.userId,
    });
    return { enabledAt };
  });
}

/**
 * Checks the code against the offered secret and, when right, turns two-factor log-in on and
 * marks this session's second factor passed under a new session id. Field errors otherwise.
 */
async function confirmSetUp(
  request: FastifyRequest,
  member: CurrentMember,
  code: string,
): Promise<{ ok: true; enabledAt: string } | { ok: false; field: string; message: string }> {
  const session = request.session;
  if (!session) throw new AppError('unauthenticated', 'Please log in first.');
  if (member.totpEnabled) {
    throw new AppError('conflict', 'Two-factor log-in is already set up for this account.');
  }
  const secret = pendingSecret(request.server.secretKey, session.data);
  if (secret === null) {
    return {
      ok: false,
      field: 'code',
      message: 'The set-up was not started or has expired: add the new key, then enter its code',
    };
  }
  const step = verifyTotp(secret, normaliseCode(code));
  if (step === null) {
    return {
      ok: false,
      field: 'code',
      message:
        'That code is not right: enter the 6-digit code your app shows now, and check your phone’s clock is set automatically',
    };
  }
  const { enabledAt } = await enableTwoFactor(request.server.db, {
    userId: member.id,
    secretKey: request.server.secretKey,
    secretBase32: secret,
    usedStep: step,
  });
  const data: SessionData = { ...session.data, [SECOND_FACTOR_KEY]: enabledAt };
  delete data[PENDING_TOTP_KEY];
  await request.setSessionData(data);
  await request.rotateSession();
  forgetCurrentMember(request);
  return { ok: true, enabledAt };
}

function SetUpPage(props: {
  member: CurrentMember;
  secret: string;
  csrfToken: string;
  errors?: FieldErrors;
  code?: string;
}) {
  const uri = totpUri(props.secret, props.member.email);
  return (
    <section aria-labelledby="two-factor-title">
      <h1 id="two-factor-title">Set up two-factor log-in</h1>
      <ErrorSummary errors={props.errors} />
      <p>
        {props.member.isStaff
          ? 'The staff area asks for a code from an authenticator app each time you log in, as well as your password.'
          : 'After this, logging in asks for a code from an authenticator app as well as your password.'}
      </p>
      <h2>1. Add Hearth to your authenticator app</h2>
      <p>
        Any app that supports time-based codes (TOTP) works. On the phone that holds the app, you
        can <a href={uri}>open this set-up link in your authenticator app</a>, or type this key into
        the app by hand:
      </p>
      <p class="totp-key">
        Key: <code>{groupSecret(props.secret)}</code>
      </p>
      <p>
        Choose a time-based key if the app asks; the account name is {props.member.email}. The key
        is private: anyone who has it can make your codes.
      </p>
      <h2>2. Enter the code the app shows</h2>
      <Form action={TWO_FACTOR_PAGE} csrfToken={props.csrfToken} label="Confirm two-factor log-in">
        <Field
          name="code"
          label="6-digit code"
          hint="The code changes every 30 seconds: enter the one shown now."
          value={props.code}
          error={props.errors?.code}
          required
          autocomplete="one-time-code"
          inputMode="numeric"
          spellcheck={false}
          width="short"
        />
        <Button>Turn on two-factor log-in</Button>
      </Form>
    </section>
  );
}

function EnabledPage(props: { member: CurrentMember }) {
  return (
    <section aria-labelledby="two-factor-title">
      <h1 id="two-factor-title">Two-factor log-in is on</h1>
      <p>Logging in asks for a code from your authenticator app as well as your password.</p>
      {props.member.secondFactorPassed ? (
        props.member.isStaff ? (
          <p>
            <a href="/admin">Go to the staff area</a>
          </p>
        ) : null
      ) : (
        <p>
          <a href="/login/totp">Enter a code to finish logging in</a>
        </p>
      )}
      <p>
        Lost the device that makes your codes? Ask an admin to reset two-factor log-in for your
        account.
      </p>
    </section>
  );
}

const pageUser = (member: CurrentMember) => ({
  displayName: member.displayName,
  isStaff: member.isStaff,
});

async function showSetUp(
  request: FastifyRequest,
  reply: FastifyReply,
  member: CurrentMember,
  form: { errors?: FieldErrors; code?: string } = {},
): Promise<FastifyReply> {
  const secret =
    pendingSecret(request.server.secretKey, request.session?.data ?? {}) ??
    (await offerSecret(request));
  return reply.page(
    'Set up two-factor log-in',
    <SetUpPage
      member={member}
      secret={secret}
      csrfToken={request.csrfToken()}
      {...(form.errors ? { errors: form.errors } : {})}
      {...(form.code !== undefined ? { code: form.code } : {})}
    />,
    { user: pageUser(member), ...(form.errors ? { errors: form.errors } : {}) },
  );
}

const CodeForm = Type.Object({ code: Type.String({ minLength: 1, maxLength: 20 }) });

const SetUpResponse = Type.Object({
  secret: Type.String({ description: 'The base32 secret, to type into an authenticator app.' }),
  uri: Type.String({ description: 'The otpauth:// URI an authenticator app opens or scans.' }),
});
const StatusResponse = Type.Object({
  enabled: Type.Boolean(),
  enabledAt: Type.Union([Type.String(), Type.Null()]),
});
const ConfirmBody = Type.Object(
  { code: Type.String({ minLength: 1, maxLength: 20 }) },
  { additionalProperties: false },
);
const ConfirmResponse = Type.Object({ enabledAt: Type.String() });

/** The page and API routes; registered by the admin module's plugin. */
export const twoFactorRoutes: FastifyPluginAsync = (fastify) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const confirmLimit = sensitiveRateLimit(app.config, 'two-factor');

  app.get(TWO_FACTOR_PAGE, async (request, reply) => {
    const member = await requireMember(request, reply);
    if (!member) return reply;
    if (member.totpEnabled) {
      return reply.page('Two-factor log-in', <EnabledPage member={member} />, {
        user: pageUser(member),
      });
    }
    return showSetUp(request, reply, member);
  });

  app.post(TWO_FACTOR_PAGE, { config: { rateLimit: confirmLimit } }, async (request, reply) => {
    const member = await requireMember(request, reply);
    if (!member) return reply;
    if (member.totpEnabled) return reply.redirect(TWO_FACTOR_PAGE, 303);
    const form = validateForm(CodeForm, request.body, {
      code: {
        missing: 'Enter the 6-digit code from your authenticator app',
        invalid: 'Enter the 6-digit code from your authenticator app',
      },
    });
    const code = form.ok ? form.value.code : '';
    const result = form.ok
      ? await confirmSetUp(request, member, code)
      : ({ ok: false, field: 'code', message: form.errors.code ?? '' } as const);
    if (!result.ok) {
      return showSetUp(request, reply, member, {
        errors: { [result.field]: result.message },
        code,
      });
    }
    return reply.redirect(member.isStaff ? '/admin' : '/account', 303);
  });

  app.get(
    '/api/v1/me/two-factor',
    {
      preHandler: memberOnly,
      schema: {
        summary: 'Whether two-factor log-in is set up',
        tags: ['account'],
        response: { 200: StatusResponse, ...errorResponses(401) },
      },
    },
    async (request) => {
      const member = await getMemberOrThrow(request);
      const row = await tablesOf<AccountsTables>(app.db)
        .selectFrom('accounts_users')
        .select('totp_enabled_at')
        .where('id', '=', member.id)
        .executeTakeFirstOrThrow();
      return { enabled: row.totp_enabled_at !== null, enabledAt: row.totp_enabled_at };
    },
  );

  app.post(
    '/api/v1/me/two-factor',
    {
      preHandler: memberOnly,
      schema: {
        summary: 'Start setting up two-factor log-in: a new secret for an authenticator app',
        tags: ['account'],
        response: { 200: SetUpResponse, ...errorResponses(401, 403, 409) },
      },
    },
    async (request) => {
      const member = await getMemberOrThrow(request);
      if (member.totpEnabled) {
        throw new AppError('conflict', 'Two-factor log-in is already set up for this account.');
      }
      const secret = await offerSecret(request);
      return { secret, uri: totpUri(secret, member.email) };
    },
  );

  app.post(
    '/api/v1/me/two-factor/confirm',
    {
      preHandler: memberOnly,
      config: { rateLimit: confirmLimit },
      schema: {
        summary: 'Finish setting up two-factor log-in with a current code',
        tags: ['account'],
        body: ConfirmBody,
        response: { 200: ConfirmResponse, ...errorResponses(400, 401, 403, 409, 429) },
      },
    },
    async (request) => {
      const member = await getMemberOrThrow(request);
      const result = await confirmSetUp(request, member, request.body.code);
      if (!result.ok) {
        throw new AppError('validation_failed', 'The code was not accepted.', {
          fields: { [result.field]: result.message },
        });
      }
      return { enabledAt: result.enabledAt };
    },
  );

  return Promise.resolve();
};

/** After `memberOnly` the member exists; this keeps the types honest without a cast. */
async function getMemberOrThrow(request: FastifyRequest): Promise<CurrentMember> {
  const member = await getCurrentMember(request);
  if (!member) throw new AppError('unauthenticated', 'Please log in first.');
  return member;
}
