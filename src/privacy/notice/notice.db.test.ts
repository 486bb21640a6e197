/**
 * Publishing versions of the notice on both engines: numbering, race safety with several
 * processes, and reading versions back.
 */
import { expect, it } from 'vitest';
import { collectOwners } from '../../app.js';
import { createPrivacyRegistry } from '../registry.js';
import { describeEachDialect } from '../../../test/helpers/dialects.js';
import { loadNoticeProse } from './notice.prose.js';
import {
  FIRST_VERSION_SUMMARY,
  NoticeInputError,
  currentNotice,
  currentNoticeVersion,
  ensureNoticePublished,
  findNoticeVersion,
  latestMaterialNotice,
  listNoticeVersions,
  publishNotice,
} from './notice.service.js';

describeEachDialect('published notice versions', (current) => {
  const registry = createPrivacyRegistry(collectOwners());
  const prose = loadNoticeProse();

  it('publishes version 1 once, even when several processes start at the same time', async () => {
    const others = [current().openAnother(), current().openAnother()];
    expect(await currentNotice(current().db)).toBeNull();

    const results = await Promise.all([
      ensureNoticePublished(current().db, registry, prose),
      ...others.map((other) => ensureNoticePublished(other.db, registry, prose)),
    ]);

    expect(results.filter((result) => result.published)).toHaveLength(1);
    expect(results.every((result) => result.version === 1)).toBe(true);
    const versions = await listNoticeVersions(current().db);
    expect(versions).toEqual([
      expect.objectContaining({ version: 1, summary: FIRST_VERSION_SUMMARY, material: false }),
    ]);
    // Starting again publishes nothing more.
    expect(await ensureNoticePublished(current().db, registry, prose)).toEqual({
      published: false,
      version: 1,
    });
  });

  it('P57 each publication is the next version, with its date and summary; concurrent ones never collide', async () => {
    const second = await publishNotice(current().db, registry, {
      summary: '  Added the survey platform   to our partners. ',
      material: true,
      prose,
      at: new Date('2027-02-01T10:00:00.000Z'),
    });
    expect(second).toMatchObject({
      version: 2,
      summary: 'Added the survey platform to our partners.',
      material: true,
      publishedAt: '2027-02-01T10:00:00.000Z',
    });

    const others = [current().openAnother(), current().openAnother()];
    const concurrent = await Promise.all(
      [current().db, ...others.map((other) => other.db), current().db].map((db, index) =>
        publishNotice(db, registry, {
          summary: `Concurrent change ${index}`,
          material: false,
          prose,
        }),
      ),
    );
    expect(concurrent.map((version) => version.version).sort()).toEqual([3, 4, 5, 6]);

    const listed = await listNoticeVersions(current().db);
    expect(listed.map((version) => version.version)).toEqual([6, 5, 4, 3, 2, 1]);
    expect(await currentNoticeVersion(current().db)).toBe(6);
    expect((await currentNotice(current().db))?.version).toBe(6);
    expect(await latestMaterialNotice(current().db)).toMatchObject({ version: 2, material: true });
    const found = await findNoticeVersion(current().db, 2);
    expect(found?.content.partners.length).toBeGreaterThan(0);
    expect(await findNoticeVersion(current().db, 99)).toBeNull();
  });

  it('refuses an empty or overlong summary and publishes nothing', async () => {
    const before = await currentNoticeVersion(current().db);
    await expect(
      publishNotice(current().db, registry, { summary: '   ', material: false, prose }),
    ).rejects.toBeInstanceOf(NoticeInputError);
    await expect(
      publishNotice(current().db, registry, { summary: 'x'.repeat(501), material: false, prose }),
    ).rejects.toThrow(/longer than 500/);
    expect(await currentNoticeVersion(current().db)).toBe(before);
  });

  it('keeps each version as published: a later change to the prose does not alter it', async () => {
    const original = await findNoticeVersion(current().db, 2);
    const changed = {
      ...prose,
      sections: prose.sections.map((section) =>
        section.key === 'who-we-are' ? { ...section, markdown: 'Rewritten entirely.' } : section,
      ),
    };
    const next = await publishNotice(current().db, registry, {
      summary: 'Rewrote who we are.',
      material: false,
      prose: changed,
    });
    const who = (version: typeof original) =>
      version?.content.sections.find((section) => section.key === 'who-we-are')?.markdown;
    expect(who(next)).toBe('Rewritten entirely.');
    expect(who(await findNoticeVersion(current().db, 2))).toBe(who(original));
    expect(who(original)).toContain('controller');
  });
});
