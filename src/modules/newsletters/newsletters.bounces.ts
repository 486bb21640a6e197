/**
 * Bounces and complaints (issue 8, point 7). The relay's operator reports a hard bounce or a
 * spam complaint for an address; Hearth records it against the member and suspends every one of
 * their subscriptions (`suspended_at`), which sending skips. The subscription and its consent
 * stay: the member did not unsubscribe, and lifting the suspension (a corrected address) needs
 * no new consent. `POST /api/v1/newsletters/bounces` is for admins only.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Kysely } from 'kysely';
import { tablesOf, type DbExecutor } from '../../platform/db/database.js';
import { newId } from '../../platform/db/ids.js';
import { toDbTime } from '../../platform/db/portable.js';
import { AppError, errorResponses } from '../../platform/http/errors.js';
import type { DataMap } from '../../platform/datamap.js';
import { rolesOnly } from '../accounts/index.js';
import type { BouncesTable, EngagementTables } from './newsletters.engagement.js';

export type BounceKind = BouncesTable['kind'];
export const BOUNCE_KINDS: readonly BounceKind[] = ['hard', 'complaint'];

function tables(db: DbExecutor): Kysely<EngagementTables> {
  return tablesOf<EngagementTables>(db);
}

export interface BounceResult {
  userId: string;
  /** Subscriptions suspended by this report (already suspended ones are not counted). */
  suspended: number;
}

/**
 * Records a bounce or complaint for the member with this address and suspends their
 * subscriptions, in one transaction. An address no member has is a 404: nothing to suspend.
 */
export async function recordBounce(
  db: DbExecutor,
  input: { email: string; kind: BounceKind; at?: Date },
): Promise<BounceResult> {
  if (!db.isTransaction) {
    return db.transaction().execute((trx) => recordBounce(trx, input));
  }
  const at = toDbTime(input.at ?? new Date());
  const email = input.email.trim().toLowerCase();
  const member = await tables(db)
    .selectFrom('accounts_users')
    .select('id')
    .where('email', '=', email)
    .executeTakeFirst();
  if (!member) throw new AppError('not_found', 'No member has this email address.');
  await tables(db)
    .insertInto('newsletters_bounces')
    .values({ id: newId(), user_id: member.id, kind: input.kind, recorded_at: at })
    .execute();
  const result = await tables(db)
    .updateTable('newsletters_subscriptions')
    .set({ suspended_at: at })
    .where('user_id', '=', member.id)
    .where('suspended_at', 'is', null)
    .executeTakeFirst();
  return { userId: member.id, suspended: Number(result.numUpdatedRows) };
}

const BounceBodySchema = Type.Object(
  {
    email: Type.String({ minLength: 3, maxLength: 320, description: 'The address that bounced.' }),
    kind: Type.Union([Type.Literal('hard'), Type.Literal('complaint')], {
      description: '`hard`: the address does not exist; `complaint`: marked as spam.',
    }),
  },
  { additionalProperties: false },
);

const BounceResponseSchema = Type.Object({
  suspended: Type.Integer({ description: 'Subscriptions suspended by this report.' }),
});

export const newslettersBounceRoutes: FastifyPluginAsync = (fastify) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.post(
    '/api/v1/newsletters/bounces',
    {
      preHandler: rolesOnly(['admin']),
      schema: {
        summary: 'Record a hard bounce or complaint and suspend the member’s newsletters',
        tags: ['newsletters'],
        security: [{ bearer: [] }, { cookie: [] }],
        body: BounceBodySchema,
        response: { 200: BounceResponseSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const result = await recordBounce(app.db, request.body);
      return { suspended: result.suspended };
    },
  );
  return Promise.resolve();
};

/** The data map of recorded bounces. */
export const bouncesDataMap: DataMap = {
  newsletters_bounces: {
    subjects: [{ column: 'user_id', role: 'subscriber' }],
    purpose: 'newsletter',
    source: 'system',
    description:
      'A record that a newsletter to your address bounced or was reported as spam, which pauses your newsletters.',
    columns: {
      id: 'system.id',
      user_id: 'user.id',
      kind: 'system.state',
      recorded_at: 'system.time',
    },
    erasure: 'delete',
    retention: [
      {
        after: 'P1Y',
        from: 'recorded_at',
        action: 'delete',
        reason: 'A bounce matters while the address may still be wrong; after a year it goes.',
      },
    ],
  },
};
