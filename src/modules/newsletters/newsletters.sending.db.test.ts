import { expect, it } from 'vitest';
import { makeMember, type TestMember } from '../../../test/helpers/members.js';
import { describeEachDialect, postgresOnly } from '../../../test/helpers/dialects.js';
import { makeIssuer } from '../../../test/privacy/consent-factories.js';
import { tablesOf, type Database } from '../../platform/db/database.js';
import type { MailTables } from '../../platform/mail/mail.tables.js';
import { listConsentHistory } from '../../privacy/consent/index.js';
import { createEdition } from './newsletters.editions.js';
import type { EditionsTables } from './newsletters.editions.tables.js';
import { todayIn } from './newsletters.preferences.js';
import {
  babyMonth,
  pregnancyWeek,
  sendDueNewsletters,
  stopBabyMail,
  stopPregnancyMail,
  type SendDueOptions,
} from './newsletters.sending.js';
import {
  applyNewsletterPreferences,
  currentNewsletterPreferences,
  type ApplyNewsletterOptions,
} from './newsletters.service.js';
import { recordBounce } from './newsletters.bounces.js';

const SECRET = 'newsletters-sending-test-secret-0123456789abcdef';
const CONFIG = { publicUrl: 'https://hearth.example', timezone: 'Europe/London' };
const APPLY: ApplyNewsletterOptions = { method: 'form', noticeVersion: 1, issuer: makeIssuer() };
const STOP = { method: 'api' as const, noticeVersion: 1, issuer: makeIssuer() };
const TODAY = todayIn('Europe/London');

function daysFromToday(days: number): string {
  return new Date(Date.parse(`${TODAY}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** Noon UTC `days` from today: the same calendar day in Europe/London all year. */
function asOf(days = 0): Date {
  return new Date(Date.parse(`${daysFromToday(days)}T12:00:00Z`));
}

function options(days = 0, batchSize?: number): SendDueOptions {
  return {
    asOf: asOf(days),
    config: CONFIG,
    secretKey: SECRET,
    ...(batchSize ? { batchSize } : {}),
  };
}

function mailTo(db: Database, member: TestMember) {
  return tablesOf<MailTables>(db)
    .selectFrom('outbox')
    .selectAll()
    .where('recipient_id', '=', member.id)
    .where('category', '=', 'newsletter')
    .orderBy('subject')
    .execute();
}

async function subscribe(
  db: Database,
  member: TestMember,
  value: Parameters<typeof applyNewsletterPreferences>[2],
) {
  await applyNewsletterPreferences(db, member.id, value, APPLY);
}

describeEachDialect('sending newsletters', (current, dialect) => {
  it('P05 sends this week’s Pregnancy Weekly edition by name, with one-click unsubscribe headers and footer', async () => {
    const { db } = current();
    const dueDate = daysFromToday(70);
    const week = pregnancyWeek(dueDate, TODAY)!;
    await createEdition(db, {
      list: 'pregnancy-weekly',
      stage: week,
      subject: `Week ${week}: nearly there`,
      body: 'Your baby is **growing**.',
      status: 'ready',
    });
    const member = await makeMember(db, { firstName: 'Amara', surname: 'Okafor' });
    await subscribe(db, member, [{ list: 'pregnancy-weekly', dueDate }]);

    await sendDueNewsletters(db, options());
    const [mail, ...others] = await mailTo(db, member);
    expect(others).toEqual([]);
    expect(mail).toMatchObject({
      to_address: member.email,
      to_name: 'Amara Okafor',
      subject: `Week ${week}: nearly there`,
    });
    expect(mail!.text_body).toMatch(/^Dear Amara,\n/);
    expect(mail!.html_body).toContain('<strong>growing</strong>');
    const headers = JSON.parse(mail!.headers!) as Record<string, string>;
    expect(headers['List-Unsubscribe']).toMatch(/^<https:\/\/hearth\.example\//);
    expect(headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    expect(mail!.text_body).toContain(headers['List-Unsubscribe']!.slice(1, -1));
  });

  it('queues each edition exactly once: a second run and a restarted process send nothing more', async () => {
    const { db } = current();
    const birthDates = [daysFromToday(-40), daysFromToday(-100)];
    for (const birthDate of birthDates) {
      const month = babyMonth(birthDate, TODAY)!;
      await createEdition(db, {
        list: 'baby-monthly',
        stage: month,
        subject: `Month ${month}`,
        body: `Your baby is ${month} months old.`,
        status: 'ready',
      });
    }
    const member = await makeMember(db);
    await subscribe(db, member, [
      { list: 'baby-monthly', babies: birthDates.map((birthDate) => ({ birthDate })) },
    ]);

    const first = await sendDueNewsletters(db, options(0, 2));
    expect(first.queued).toBeGreaterThanOrEqual(2);
    expect(await mailTo(db, member)).toHaveLength(2);

    const second = await sendDueNewsletters(db, options(0, 2));
    expect(second.queued).toBe(0);
    const restarted = current().openAnother();
    await sendDueNewsletters(restarted.db, options());
    expect(await mailTo(db, member)).toHaveLength(2);
  });

  it('sends a general issue from its day on, never a draft, never one not yet due', async () => {
    const { db } = current();
    await createEdition(db, {
      list: 'general',
      sendOn: daysFromToday(1),
      subject: 'Tomorrow’s issue',
      body: 'Not yet.',
      status: 'ready',
    });
    const member = await makeMember(db);
    await subscribe(db, member, [{ list: 'general' }]);
    await sendDueNewsletters(db, options());
    expect(await mailTo(db, member)).toEqual([]);

    await createEdition(db, {
      list: 'general',
      sendOn: daysFromToday(2),
      subject: 'A draft',
      body: 'Unfinished.',
      status: 'draft',
    });
    await sendDueNewsletters(db, options(2));
    await sendDueNewsletters(db, options(3));
    expect((await mailTo(db, member)).map((mail) => mail.subject)).toEqual(['Tomorrow’s issue']);
  });

  it('sends only to verified addresses whose consent filterAllowed() grants', async () => {
    const { db } = current();
    const dueDate = daysFromToday(140);
    const week = pregnancyWeek(dueDate, TODAY)!;
    await createEdition(db, {
      list: 'pregnancy-weekly',
      stage: week,
      subject: `Week ${week}`,
      body: 'Hello.',
      status: 'ready',
    });
    const unverified = await makeMember(db, { emailVerified: false });
    await subscribe(db, unverified, [{ list: 'pregnancy-weekly', dueDate }]);
    // A subscription row without its consent event (never written by the service): no mail.
    const withoutConsent = await makeMember(db);
    await tablesOf<EditionsTables>(db)
      .insertInto('newsletters_subscriptions')
      .values({
        id: `sub-${withoutConsent.id}`,
        user_id: withoutConsent.id,
        list_key: 'pregnancy-weekly',
        due_date: dueDate,
        created_at: new Date().toISOString(),
        updated_at: new Date().toISOString(),
      })
      .execute();
    const report = await sendDueNewsletters(db, options());
    expect(report.withoutConsent).toBeGreaterThanOrEqual(1);
    expect(await mailTo(db, unverified)).toEqual([]);
    expect(await mailTo(db, withoutConsent)).toEqual([]);
  });

  it('sends nothing to a subscription suspended after a hard bounce', async () => {
    const { db } = current();
    const dueDate = daysFromToday(133);
    const week = pregnancyWeek(dueDate, TODAY)!;
    await createEdition(db, {
      list: 'pregnancy-weekly',
      stage: week,
      subject: `Week ${week} (bounce test)`,
      body: 'Hello.',
      status: 'ready',
    }).catch(() => undefined);
    const bounced = await makeMember(db);
    await subscribe(db, bounced, [{ list: 'pregnancy-weekly', dueDate }]);
    await recordBounce(db, { email: bounced.email, kind: 'hard' });
    await sendDueNewsletters(db, options());
    expect(await mailTo(db, bounced)).toEqual([]);
  });

  it('a due date passing moves nobody onto Baby Monthly, and Pregnancy Weekly ends after week 42', async () => {
    const { db } = current();
    await createEdition(db, {
      list: 'baby-monthly',
      stage: 0,
      subject: 'Your newborn',
      body: 'Welcome.',
      status: 'ready',
    });
    await createEdition(db, {
      list: 'pregnancy-weekly',
      stage: 42,
      subject: 'Week 42',
      body: 'Any day now.',
      status: 'ready',
    });
    const member = await makeMember(db);
    await subscribe(db, member, [{ list: 'pregnancy-weekly', dueDate: daysFromToday(7) }]);
    await sendDueNewsletters(db, options(30));
    await sendDueNewsletters(db, options(120));
    expect(await mailTo(db, member)).toEqual([]);
    // Week 42 runs from 8 to 14 days past the due date.
    await sendDueNewsletters(db, options(7 + 10));
    expect(await currentNewsletterPreferences(db, member.id)).toEqual([
      { list: 'pregnancy-weekly', dueDate: daysFromToday(7) },
    ]);
    expect((await mailTo(db, member)).filter((mail) => mail.subject === 'Your newborn')).toEqual(
      [],
    );
  });

  it('stops Pregnancy Weekly in one action: due date gone, withdrawal recorded, nothing more sent', async () => {
    const { db } = current();
    const dueDate = daysFromToday(30);
    const week = pregnancyWeek(dueDate, TODAY)!;
    await createEdition(db, {
      list: 'pregnancy-weekly',
      stage: week + 1,
      subject: `Week ${week + 1}`,
      body: 'Next week.',
      status: 'ready',
    });
    const member = await makeMember(db);
    await subscribe(db, member, [{ list: 'general' }, { list: 'pregnancy-weekly', dueDate }]);
    expect(await stopPregnancyMail(db, member.id, STOP)).toBe(true);
    expect(await currentNewsletterPreferences(db, member.id)).toEqual([{ list: 'general' }]);
    // Newest first: the subscribe, then the withdrawal the stop recorded.
    const history = await listConsentHistory(db, member.id);
    expect(
      history
        .filter((event) => event.scope === 'newsletter:pregnancy-weekly')
        .map((event) => event.granted),
    ).toEqual([false, true]);
    await sendDueNewsletters(db, options(7));
    // The general letter the member kept may arrive; nothing from Pregnancy Weekly does.
    expect((await mailTo(db, member)).filter((mail) => mail.subject.startsWith('Week'))).toEqual(
      [],
    );
    expect(await stopPregnancyMail(db, member.id, STOP)).toBe(false);
  });

  it('stops the letters about one baby; the last baby removes the subscription', async () => {
    const { db } = current();
    const member = await makeMember(db);
    await subscribe(db, member, [
      {
        list: 'baby-monthly',
        babies: [{ birthDate: daysFromToday(-20) }, { birthDate: daysFromToday(-400) }],
      },
    ]);
    const babies = await tablesOf<EditionsTables>(db)
      .selectFrom('newsletters_babies')
      .innerJoin(
        'newsletters_subscriptions',
        'newsletters_subscriptions.id',
        'newsletters_babies.subscription_id',
      )
      .select(['newsletters_babies.id', 'newsletters_babies.birth_date'])
      .where('newsletters_subscriptions.user_id', '=', member.id)
      .orderBy('newsletters_babies.birth_date')
      .execute();
    const stranger = await makeMember(db);
    await expect(stopBabyMail(db, stranger.id, babies[0]!.id, STOP)).rejects.toMatchObject({
      code: 'not_found',
    });
    expect(await stopBabyMail(db, member.id, babies[0]!.id, STOP)).toEqual({
      subscriptionRemoved: false,
    });
    expect(await currentNewsletterPreferences(db, member.id)).toEqual([
      { list: 'baby-monthly', babies: [{ birthDate: babies[1]!.birth_date }] },
    ]);
    expect(await stopBabyMail(db, member.id, babies[1]!.id, STOP)).toEqual({
      subscriptionRemoved: true,
    });
    expect(await currentNewsletterPreferences(db, member.id)).toEqual([]);
  });

  it('P05 pages sent side by side queue each subscriber’s edition once, by name; a rerun adds nothing', async () => {
    const { db } = current();
    const dueDate = daysFromToday(161);
    const week = pregnancyWeek(dueDate, TODAY)!;
    await createEdition(db, {
      list: 'pregnancy-weekly',
      stage: week,
      subject: `Side by side week ${week}`,
      body: 'Once each.',
      status: 'ready',
    });
    const members: TestMember[] = [];
    for (let i = 0; i < 7; i += 1) {
      const member = await makeMember(db, { firstName: `Parent${i}` });
      await subscribe(db, member, [{ list: 'pregnancy-weekly', dueDate }]);
      members.push(member);
    }
    const sideBySide = { ...options(0, 2), concurrency: 4 };
    const first = await sendDueNewsletters(db, sideBySide);
    expect(first.queued).toBeGreaterThanOrEqual(members.length);
    for (const [index, member] of members.entries()) {
      const mails = (await mailTo(db, member)).filter((mail) =>
        mail.subject.startsWith('Side by side'),
      );
      expect(mails).toHaveLength(1);
      expect(mails[0]!.text_body).toMatch(new RegExp(`^Dear Parent${index},\n`));
      expect(JSON.parse(mails[0]!.headers!)).toMatchObject({
        'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      });
    }
    const again = await sendDueNewsletters(db, sideBySide);
    expect(again.queued).toBe(0);
    expect(again.alreadySent).toBeGreaterThanOrEqual(members.length);
    await expect(sendDueNewsletters(db, { ...options(), concurrency: 0 })).rejects.toBeInstanceOf(
      RangeError,
    );
  });

  postgresOnly(dialect)('two processes sending at once queue each edition once', async () => {
    const { db } = current();
    const dueDate = daysFromToday(210);
    const week = pregnancyWeek(dueDate, TODAY)!;
    await createEdition(db, {
      list: 'pregnancy-weekly',
      stage: week,
      subject: `Concurrent week ${week}`,
      body: 'Once only.',
      status: 'ready',
    });
    const members: TestMember[] = [];
    for (let i = 0; i < 12; i += 1) {
      const member = await makeMember(db);
      await subscribe(db, member, [{ list: 'pregnancy-weekly', dueDate }]);
      members.push(member);
    }
    const other = current().openAnother();
    const [a, b] = await Promise.all([
      sendDueNewsletters(db, options(0, 5)),
      sendDueNewsletters(other.db, options(0, 3)),
    ]);
    for (const member of members) {
      const mails = (await mailTo(db, member)).filter((mail) =>
        mail.subject.startsWith('Concurrent'),
      );
      expect(mails).toHaveLength(1);
    }
    expect(a.queued + b.queued).toBeGreaterThanOrEqual(members.length);
  });
});
