import { expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/helpers/dialects.js';
import { makeMember } from '../../../test/helpers/members.js';
import { makeIssuer } from '../../../test/privacy/consent-factories.js';
import { tablesOf, type Database } from '../../platform/db/database.js';
import { toDbTime } from '../../platform/db/portable.js';
import { addDuration } from '../../platform/datamap.js';
import {
  recordEngagement,
  reviewEngagement,
  type EngagementTables,
} from './newsletters.engagement.js';
import { verifyNewsletterToken } from './newsletters.links.js';
import { todayIn } from './newsletters.preferences.js';
import { applyNewsletterPreferences } from './newsletters.service.js';

const SECRET = 'engagement-review-test-secret-of-enough-length';
const PUBLIC_URL = 'https://hearth.example';
const AS_OF = new Date('2031-06-15T04:30:00.000Z');

function tables(db: Database) {
  return tablesOf<
    EngagementTables & {
      outbox: { recipient_id: string | null; text_body: string; category: string };
    }
  >(db);
}

async function subscribed(
  db: Database,
  lastEngaged: Date,
  extra: { warnedAt?: Date; suspended?: boolean } = {},
) {
  const member = await makeMember(db);
  const due = new Date(`${todayIn('Europe/London')}T00:00:00Z`);
  due.setUTCDate(due.getUTCDate() + 100);
  await applyNewsletterPreferences(
    db,
    member.id,
    [{ list: 'pregnancy-weekly', dueDate: due.toISOString().slice(0, 10) }],
    { method: 'form', noticeVersion: 1, issuer: makeIssuer() },
  );
  await tables(db)
    .updateTable('newsletters_subscriptions')
    .set({
      last_engaged_at: toDbTime(lastEngaged),
      engagement_warned_at: extra.warnedAt ? toDbTime(extra.warnedAt) : null,
      suspended_at: extra.suspended ? toDbTime(lastEngaged) : null,
    })
    .where('user_id', '=', member.id)
    .execute();
  return member;
}

async function stateOf(db: Database, userId: string) {
  const row = await tables(db)
    .selectFrom('newsletters_subscriptions')
    .selectAll()
    .where('user_id', '=', userId)
    .executeTakeFirst();
  const mails = await tables(db)
    .selectFrom('outbox')
    .select(['text_body', 'category'])
    .where('recipient_id', '=', userId)
    .execute();
  return { row, mails };
}

describeEachDialect('newsletter engagement review (P38)', (current) => {
  it('P38 keeps fresh rows, warns 30 days ahead at the edge and removes only after the warning period', async () => {
    const db = current().db;
    const warnEdge = addDuration(addDuration(AS_OF, 'P30D'), 'P3Y', -1);
    const fresh = await subscribed(db, addDuration(AS_OF, 'P1Y', -1));
    const justBeforeEdge = await subscribed(db, new Date(warnEdge.getTime() + 1000));
    const atEdge = await subscribed(db, warnEdge);
    const expiredUnwarned = await subscribed(db, addDuration(AS_OF, 'P4Y', -1));
    const expiredWarned = await subscribed(db, addDuration(AS_OF, 'P4Y', -1), {
      warnedAt: addDuration(AS_OF, 'P30D', -1),
    });
    const warnedRecently = await subscribed(db, addDuration(AS_OF, 'P4Y', -1), {
      warnedAt: addDuration(AS_OF, 'P29D', -1),
    });
    const suspended = await subscribed(db, addDuration(AS_OF, 'P4Y', -1), { suspended: true });

    const report = await reviewEngagement(db, {
      asOf: AS_OF,
      publicUrl: PUBLIC_URL,
      secretKey: SECRET,
    });
    expect(report).toEqual({ warned: 3, removed: 1 });

    expect((await stateOf(db, fresh.id)).row?.engagement_warned_at).toBeNull();
    expect((await stateOf(db, justBeforeEdge.id)).row?.engagement_warned_at).toBeNull();
    const edge = await stateOf(db, atEdge.id);
    expect(edge.row?.engagement_warned_at).toBe(toDbTime(AS_OF));
    expect(edge.mails).toHaveLength(1);
    expect(edge.mails[0]?.category).toBe('newsletters.engagement-warning');
    expect(edge.mails[0]?.text_body).toContain(`${PUBLIC_URL}/newsletters/l?token=`);
    // Warned today, even though already past three years: removal waits the full 30 days.
    expect((await stateOf(db, expiredUnwarned.id)).row).toBeDefined();
    expect((await stateOf(db, expiredWarned.id)).row).toBeUndefined();
    expect((await stateOf(db, warnedRecently.id)).row).toBeDefined();
    const quiet = await stateOf(db, suspended.id);
    expect(quiet.row?.engagement_warned_at).toBe(toDbTime(AS_OF));
    expect(quiet.mails).toHaveLength(0);

    // A rerun the same day warns nobody twice and removes nothing more.
    expect(
      await reviewEngagement(db, { asOf: AS_OF, publicUrl: PUBLIC_URL, secretKey: SECRET }),
    ).toEqual({ warned: 0, removed: 0 });
  });

  it('P38 one click on the warning’s link keeps the subscription; ignoring it removes it and its due date', async () => {
    const db = current().db;
    const keeper = await subscribed(db, addDuration(AS_OF, 'P3Y', -1));
    const ignorer = await subscribed(db, addDuration(AS_OF, 'P3Y', -1));
    await reviewEngagement(db, { asOf: AS_OF, publicUrl: PUBLIC_URL, secretKey: SECRET });
    const mail = (await stateOf(db, keeper.id)).mails[0]?.text_body ?? '';
    const link = /https:\/\/hearth\.example\/newsletters\/l\?\S+/.exec(mail)?.[0] ?? '';
    const claims = verifyNewsletterToken(SECRET, new URL(link).searchParams.get('token'));
    expect(claims).toMatchObject({ userId: keeper.id, listKey: 'pregnancy-weekly' });
    await recordEngagement(db, keeper.id, addDuration(AS_OF, 'P2D'), claims?.listKey);

    const later = addDuration(AS_OF, 'P31D');
    const report = await reviewEngagement(db, {
      asOf: later,
      publicUrl: PUBLIC_URL,
      secretKey: SECRET,
    });
    // Rows of the test above lapse too by now; what matters is which of these two went.
    expect(report.removed).toBeGreaterThanOrEqual(1);
    const kept = await stateOf(db, keeper.id);
    expect(kept.row?.engagement_warned_at).toBeNull();
    expect(kept.row?.due_date).not.toBeNull();
    expect((await stateOf(db, ignorer.id)).row).toBeUndefined();
  });
});
