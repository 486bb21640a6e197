import { afterEach, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/helpers/dialects.js';
import { tablesOf, type Database } from '../../platform/db/database.js';
import { CLOSE_GRACE_MS, closeDays, visitorHash } from './analytics.counting.js';
import { AnalyticsRecorder } from './analytics.recorder.js';
import type { AnalyticsTables } from './analytics.tables.js';
import { createHash } from 'node:crypto';
import { runRetention } from '../../privacy/retention/retention.engine.js';
import { createPrivacyRegistry } from '../../privacy/registry.js';
import { analyticsDataMap } from './analytics.privacy.js';

const TIMEZONE = 'Europe/London';
const IP = '203.0.113.77';
const AGENT = 'Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0';
const visitor = (ip = IP, userAgent = AGENT) => ({ site: 'hearth.test', ip, userAgent });

describeEachDialect('first-party analytics counting', (current, dialect) => {
  /**
   * Two writers at once: concurrent on PostgreSQL; one after the other on SQLite, whose
   * synchronous driver would only block itself with two connections in one test process.
   */
  const both = async (a: () => Promise<unknown>, b: () => Promise<unknown>) => {
    if (dialect === 'postgres') await Promise.all([a(), b()]);
    else {
      await a();
      await b();
    }
  };

  const typed = () => tablesOf<AnalyticsTables>(current().db);

  afterEach(async () => {
    const db = typed();
    await db.deleteFrom('analytics_page_views').execute();
    await db.deleteFrom('analytics_daily_visitors').execute();
    await db.deleteFrom('analytics_day_salts').execute();
    await db.deleteFrom('analytics_visitor_hashes').execute();
  });

  /** A recorder whose clock the test sets. */
  const recorderAt = (db: Database, clock: { now: Date }) =>
    new AnalyticsRecorder(db, {
      timezone: TIMEZONE,
      now: () => clock.now,
      onError: (error) => {
        throw error;
      },
    });

  const salts = () =>
    typed().selectFrom('analytics_day_salts').selectAll().orderBy('day').execute();
  const hashes = () =>
    typed().selectFrom('analytics_visitor_hashes').selectAll().orderBy('day').execute();

  it('P29 counts a visit at 23:30 and one at 00:30 London time on different days, and the old salt is gone afterwards', async () => {
    const clock = { now: new Date('2026-11-28T23:30:00Z') };
    const recorder = recorderAt(current().db, clock);
    await recorder.record({ path: '/forum', at: clock.now, visitor: visitor() });
    await recorder.flush();
    const before = await salts();
    expect(before.map((row) => row.day)).toEqual(['2026-11-28']);

    clock.now = new Date('2026-11-29T00:30:00Z');
    await recorder.record({ path: '/forum', at: clock.now, visitor: visitor() });
    await recorder.flush();

    const views = await typed()
      .selectFrom('analytics_page_views')
      .selectAll()
      .orderBy('day')
      .execute();
    expect(views).toEqual([
      { day: '2026-11-28', path: '/forum', views: 1 },
      { day: '2026-11-29', path: '/forum', views: 1 },
    ]);
    // The first day's salt was deleted as soon as the next day's was drawn.
    const after = await salts();
    expect(after.map((row) => row.day)).toEqual(['2026-11-29']);
    expect(after[0]?.salt).not.toBe(before[0]?.salt);
    // One visitor, two days, two unrelated hashes: nothing links Saturday to Sunday.
    const rows = await hashes();
    expect(rows.map((row) => row.day)).toEqual(['2026-11-28', '2026-11-29']);
    expect(rows[0]?.hash).not.toBe(rows[1]?.hash);

    // Minutes after midnight the job counts Saturday and deletes its hashes; Sunday's stay.
    const report = await closeDays(current().db, {
      timezone: TIMEZONE,
      now: new Date(Date.parse('2026-11-29T00:00:00Z') + CLOSE_GRACE_MS + 1000),
    });
    expect(report.daysCounted).toEqual(['2026-11-28']);
    expect(
      await typed().selectFrom('analytics_daily_visitors').select(['day', 'visitors']).execute(),
    ).toEqual([{ day: '2026-11-28', visitors: 1 }]);
    expect((await hashes()).map((row) => row.day)).toEqual(['2026-11-29']);
    expect((await salts()).map((row) => row.day)).toEqual(['2026-11-29']);
  });

  it('P29 the midnight job deletes the finished day’s salt even when no visit comes after midnight', async () => {
    const clock = { now: new Date('2026-07-01T22:30:00Z') }; // 23:30 BST
    const recorder = recorderAt(current().db, clock);
    await recorder.record({ path: '/', at: clock.now, visitor: visitor() });
    await recorder.flush();
    expect((await salts()).map((row) => row.day)).toEqual(['2026-07-01']);

    // 00:00:30 BST: the salt goes at once; the hashes wait for the grace period.
    const midnight = await closeDays(current().db, {
      timezone: TIMEZONE,
      now: new Date('2026-07-01T23:00:30Z'),
    });
    expect(midnight).toEqual({ saltsDeleted: 1, daysCounted: [] });
    expect(await salts()).toEqual([]);
    expect(await hashes()).toHaveLength(1);

    const later = await closeDays(current().db, {
      timezone: TIMEZONE,
      now: new Date('2026-07-01T23:05:00Z'),
    });
    expect(later.daysCounted).toEqual(['2026-07-01']);
    expect(await hashes()).toEqual([]);
  });

  it('P29 counts a visitor once a day however many pages they view, and tells visitors apart', async () => {
    const clock = { now: new Date('2026-11-28T10:00:00Z') };
    const recorder = recorderAt(current().db, clock);
    for (const path of ['/', '/forum', '/forum/t/:id', '/forum/t/:id']) {
      await recorder.record({ path, at: clock.now, visitor: visitor() });
    }
    await recorder.record({ path: '/', at: clock.now, visitor: visitor('198.51.100.1') });
    await recorder.record({ path: '/', at: clock.now, visitor: visitor(IP, 'Mozilla/5.0 Safari') });
    // Global Privacy Control: a page view, no visitor.
    await recorder.record({ path: '/', at: clock.now });
    await recorder.flush();
    await closeDays(current().db, { timezone: TIMEZONE, now: new Date('2026-11-29T01:00:00Z') });
    expect(
      await typed().selectFrom('analytics_daily_visitors').select(['day', 'visitors']).execute(),
    ).toEqual([{ day: '2026-11-28', visitors: 3 }]);
    const views = await typed()
      .selectFrom('analytics_page_views')
      .select(['path', 'views'])
      .orderBy('path')
      .execute();
    expect(views).toEqual([
      { path: '/', views: 4 },
      { path: '/forum', views: 1 },
      { path: '/forum/t/:id', views: 2 },
    ]);
  });

  it('P29 stores no IP address or user agent anywhere, and the hash is keyed, not a plain digest', async () => {
    const clock = { now: new Date('2026-11-28T12:00:00Z') };
    const recorder = recorderAt(current().db, clock);
    await recorder.record({ path: '/', at: clock.now, visitor: visitor() });
    await recorder.flush();
    const everything = JSON.stringify([
      await typed().selectFrom('analytics_page_views').selectAll().execute(),
      await typed().selectFrom('analytics_daily_visitors').selectAll().execute(),
      await salts(),
      await hashes(),
    ]);
    for (const secret of [IP, AGENT, 'Firefox', '203.0.113']) {
      expect(everything).not.toContain(secret);
    }
    const [row] = await hashes();
    const plain = createHash('sha256').update(`hearth.test\n${IP}\n${AGENT}`).digest();
    expect(row?.hash).not.toBe(plain.subarray(0, 16).toString('base64url'));
    // Without the salt the hash cannot be recomputed; with it, it can (hence deleted at midnight).
    const [salt] = await salts();
    expect(visitorHash(Buffer.from(salt?.salt ?? '', 'base64url'), visitor())).toBe(row?.hash);
  });

  it('P29 two processes share the day’s salt, so a visitor seen by both counts once', async () => {
    const other = current().openAnother();
    const clock = { now: new Date('2026-11-28T09:00:00Z') };
    const first = recorderAt(current().db, clock);
    const second = recorderAt(other.db, clock);
    await both(
      () => first.record({ path: '/', at: clock.now, visitor: visitor() }),
      () => second.record({ path: '/', at: clock.now, visitor: visitor() }),
    );
    await first.flush();
    await second.flush();
    expect(await salts()).toHaveLength(1);
    expect(await hashes()).toHaveLength(1);
    expect(
      await typed().selectFrom('analytics_page_views').select('views').executeTakeFirst(),
    ).toEqual({ views: 2 });
  });

  it('P29 closing a day twice, or from two processes, never counts it twice', async () => {
    const clock = { now: new Date('2026-11-28T09:00:00Z') };
    const recorder = recorderAt(current().db, clock);
    await recorder.record({ path: '/', at: clock.now, visitor: visitor() });
    await recorder.record({ path: '/', at: clock.now, visitor: visitor('198.51.100.2') });
    await recorder.flush();
    const other = current().openAnother();
    const now = new Date('2026-11-29T02:00:00Z');
    await both(
      () => closeDays(current().db, { timezone: TIMEZONE, now }),
      () => closeDays(other.db, { timezone: TIMEZONE, now }),
    );
    await closeDays(current().db, { timezone: TIMEZONE, now });
    expect(
      await typed().selectFrom('analytics_daily_visitors').select(['visitors']).execute(),
    ).toEqual([{ visitors: 2 }]);
  });

  it('P29 drops hashes that reach a flush after their day was counted, and forgets the old salt', async () => {
    const clock = { now: new Date('2026-11-28T23:59:59Z') };
    const recorder = recorderAt(current().db, clock);
    await recorder.record({ path: '/', at: clock.now, visitor: visitor() });
    // The process stalls past midnight and the grace period before it flushes.
    clock.now = new Date('2026-11-29T00:30:00Z');
    await closeDays(current().db, { timezone: TIMEZONE, now: clock.now });
    await recorder.flush();
    expect(await hashes()).toEqual([]);
    // The view itself still counts: a count of a page is about nobody.
    expect(
      await typed().selectFrom('analytics_page_views').select(['day', 'views']).execute(),
    ).toEqual([{ day: '2026-11-28', views: 1 }]);
    expect(await salts()).toEqual([]);
  });

  it('P29 retention deletes visitor hashes older than two days if the job ever missed them, and keeps recent ones', async () => {
    await typed()
      .insertInto('analytics_visitor_hashes')
      .values(
        ['2026-11-26', '2026-11-27', '2026-11-28', '2026-11-29'].map((day) => ({
          day,
          hash: `hash-${day}`,
        })),
      )
      .execute();
    const registry = createPrivacyRegistry([{ owner: 'analytics', tables: analyticsDataMap }]);
    await runRetention(current().db, registry, {
      asOf: new Date('2026-11-29T12:00:00Z'),
      dryRun: false,
    });
    // Days that began more than two days before go; yesterday and today stay.
    expect((await hashes()).map((row) => row.day)).toEqual(['2026-11-28', '2026-11-29']);
  });
});
