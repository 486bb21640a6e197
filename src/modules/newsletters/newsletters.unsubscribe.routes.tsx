/**
 * One-click unsubscribe (P07, RFC 8058) and engagement-counted links (issue 8, point 6).
 *
 * - `GET /newsletters/unsubscribe?token=…` shows a page with one button. A GET never
 *   unsubscribes: mail scanners and link previewers fetch every URL in a letter.
 * - `POST /newsletters/unsubscribe?token=…` with `List-Unsubscribe=One-Click` (urlencoded or
 *   multipart/form-data, the two forms RFC 8058 allows) unsubscribes at once. Mail clients send it with no cookie and no CSRF token, so the route is exempt from the
 *   CSRF check (`csrfExempt`): the signed token in the URL is the authority, and it can do
 *   nothing but end the one subscription (or one baby's letters) it names. Unsubscribing deletes
 *   the subscription with its dates (P06) and records a withdrawal with the method `email-link`.
 * - `GET /newsletters/l?token=…&to=/path` records engagement and redirects to a path on this
 *   site only (never elsewhere: no open redirect).
 */
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Kysely } from 'kysely';
import { tablesOf, type DbExecutor } from '../../platform/db/database.js';
import { AppError } from '../../platform/http/errors.js';
import {
  receiptIssuerFor,
  recordConsent,
  type ReceiptIssuer,
} from '../../privacy/consent/index.js';
import { currentNoticeVersion } from '../../privacy/notice/notice.service.js';
import { countFollowedLink, recordEngagement } from './newsletters.engagement.js';
import {
  isSameSitePath,
  verifyNewsletterToken,
  type NewsletterTokenClaims,
} from './newsletters.links.js';
import { boundaryOf, MULTIPART_BODY_LIMIT, parseMultipartForm } from './newsletters.multipart.js';
import { deleteSubscription, findAllLists } from './newsletters.queries.js';
import { consentPurposeFor, consentScopeFor } from './newsletters.service.js';
import type { NewslettersTables } from './newsletters.tables.js';

export const UNSUBSCRIBE_PATH = '/newsletters/unsubscribe';
export const NEWSLETTER_LINK_PATH = '/newsletters/l';

const INVALID_LINK =
  'This unsubscribe link is not valid. Copy the whole link from the letter, or change your newsletters in your account.';

export type UnsubscribeOutcome = 'unsubscribed' | 'baby-removed' | 'already';

/**
 * Ends what the token names, in one transaction: the list's subscription with its dates and a
 * withdrawal (`email-link`), or, for a Baby Monthly token naming one baby while others remain,
 * only that baby's letters (the consent to the list stands). Repeating it changes nothing.
 */
export async function unsubscribeWithToken(
  db: DbExecutor,
  claims: NewsletterTokenClaims,
  options: { issuer: ReceiptIssuer; at?: Date },
): Promise<{ outcome: UnsubscribeOutcome; listTitle: string }> {
  if (!db.isTransaction) {
    return db.transaction().execute((trx) => unsubscribeWithToken(trx, claims, options));
  }
  const typed: Kysely<NewslettersTables> = tablesOf<NewslettersTables>(db);
  const list = (await findAllLists(db)).find((candidate) => candidate.key === claims.listKey);
  if (!list) throw new AppError('bad_request', INVALID_LINK);
  const subscription = await typed
    .selectFrom('newsletters_subscriptions')
    .select(['id'])
    .where('user_id', '=', claims.userId)
    .where('list_key', '=', claims.listKey)
    .executeTakeFirst();
  if (!subscription) return { outcome: 'already', listTitle: list.title };

  if (claims.babyId !== undefined) {
    const babies = await typed
      .selectFrom('newsletters_babies')
      .select(['id'])
      .where('subscription_id', '=', subscription.id)
      .execute();
    if (!babies.some((baby) => baby.id === claims.babyId)) {
      return { outcome: 'already', listTitle: list.title };
    }
    if (babies.length > 1) {
      await typed.deleteFrom('newsletters_babies').where('id', '=', claims.babyId).execute();
      return { outcome: 'baby-removed', listTitle: list.title };
    }
  }

  const noticeVersion = await currentNoticeVersion(db);
  if (noticeVersion === null) {
    throw new AppError('service_unavailable', 'Hearth is starting up. Please try again.');
  }
  await deleteSubscription(db, subscription.id);
  await recordConsent(
    db,
    {
      subjectId: claims.userId,
      subjectKind: 'member',
      purpose: consentPurposeFor(list.kind),
      scope: consentScopeFor(list.key),
      granted: false,
      method: 'email-link',
      noticeVersion,
      ...(options.at ? { at: options.at } : {}),
    },
    options.issuer,
  );
  return { outcome: 'unsubscribed', listTitle: list.title };
}

function readClaims(secretKey: string, token: unknown, purpose: NewsletterTokenClaims['purpose']) {
  const claims = verifyNewsletterToken(secretKey, token);
  if (!claims || claims.purpose !== purpose) throw new AppError('bad_request', INVALID_LINK);
  return claims;
}

function ConfirmPage(props: { action: string; csrfToken: string; listTitle: string }) {
  return (
    <>
      <h1>Unsubscribe from {props.listTitle}?</h1>
      <p>One click and no more of these letters are sent. We will not ask why.</p>
      <form action={props.action} method="post" class="form">
        <input type="hidden" name="_csrf" value={props.csrfToken} />
        <input type="hidden" name="List-Unsubscribe" value="One-Click" />
        <button type="submit" class="button button--primary">
          Unsubscribe
        </button>
      </form>
      <p>
        <a href="/account/newsletters">Change all your newsletters</a> (you will be asked to log
        in).
      </p>
    </>
  );
}

function DonePage(props: { outcome: UnsubscribeOutcome; listTitle: string }) {
  return (
    <>
      <h1>You are unsubscribed</h1>
      <div class="panel" role="status">
        <p>
          {props.outcome === 'baby-removed'
            ? `No more ${props.listTitle} letters about this baby. Their date of birth is deleted.`
            : props.outcome === 'already'
              ? `You were already unsubscribed from ${props.listTitle}. Nothing more will be sent.`
              : `No more ${props.listTitle} letters will be sent. Any date you gave for it is deleted.`}
        </p>
      </div>
      <p>
        It will not start again unless you choose it in{' '}
        <a href="/account/newsletters">your newsletters</a>.
      </p>
    </>
  );
}

const TokenQuerySchema = Type.Object({
  token: Type.String({ maxLength: 512, description: 'The signed token from the letter.' }),
});

function noStore(reply: FastifyReply): void {
  // Pages naming a member's subscription must not sit in shared caches.
  void reply.header('cache-control', 'no-store');
  void reply.header('referrer-policy', 'no-referrer');
}

export const newslettersUnsubscribeRoutes: FastifyPluginAsync = (fastify) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  // RFC 8058 lets mail clients send the one-click body as multipart/form-data too. The parser
  // is registered in this plugin's own context, so no other route accepts multipart.
  app.addContentTypeParser(
    'multipart/form-data',
    { parseAs: 'buffer', bodyLimit: MULTIPART_BODY_LIMIT },
    (request, body, done) => {
      const boundary = boundaryOf(request.headers['content-type']);
      if (boundary === null) {
        done(new AppError('bad_request', 'A multipart form must name a valid boundary.'));
        return;
      }
      try {
        done(null, parseMultipartForm(body as Buffer, boundary));
      } catch (error) {
        done(error as Error);
      }
    },
  );

  app.get(
    UNSUBSCRIBE_PATH,
    { schema: { hide: true, querystring: TokenQuerySchema } },
    async (request, reply) => {
      const claims = readClaims(app.secretKey, request.query.token, 'unsubscribe');
      const list = (await findAllLists(app.db)).find((entry) => entry.key === claims.listKey);
      if (!list) throw new AppError('bad_request', INVALID_LINK);
      noStore(reply);
      const action = `${UNSUBSCRIBE_PATH}?token=${encodeURIComponent(request.query.token)}`;
      return reply.page(
        `Unsubscribe from ${list.title}`,
        <ConfirmPage action={action} csrfToken={request.csrfToken()} listTitle={list.title} />,
      );
    },
  );

  app.post(
    UNSUBSCRIBE_PATH,
    {
      config: { csrfExempt: true },
      schema: { hide: true, querystring: TokenQuerySchema },
    },
    async (request, reply) => {
      const claims = readClaims(app.secretKey, request.query.token, 'unsubscribe');
      const body = request.body;
      const oneClick =
        body !== null &&
        typeof body === 'object' &&
        (body as Record<string, unknown>)['List-Unsubscribe'] === 'One-Click';
      if (!oneClick) {
        throw new AppError(
          'bad_request',
          'An unsubscribe request must carry List-Unsubscribe=One-Click (RFC 8058).',
        );
      }
      const result = await unsubscribeWithToken(app.db, claims, {
        issuer: receiptIssuerFor(app),
      });
      noStore(reply);
      return reply.page(
        'You are unsubscribed',
        <DonePage outcome={result.outcome} listTitle={result.listTitle} />,
      );
    },
  );

  app.get(
    NEWSLETTER_LINK_PATH,
    {
      schema: {
        hide: true,
        querystring: Type.Object({
          token: Type.String({ maxLength: 512 }),
          to: Type.String({ maxLength: 2000 }),
        }),
      },
    },
    async (request, reply) => {
      const claims = readClaims(app.secretKey, request.query.token, 'link');
      const target = request.query.to;
      if (!isSameSitePath(target)) {
        throw new AppError('bad_request', 'This link does not lead to a page on Hearth.');
      }
      const now = new Date();
      await app.db.transaction().execute(async (trx) => {
        await recordEngagement(trx, claims.userId, now, claims.listKey);
        await countFollowedLink(trx, claims.listKey, target, now);
      });
      noStore(reply);
      return reply.redirect(target, 303);
    },
  );
  return Promise.resolve();
};
