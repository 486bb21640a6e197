import { describe, expect, it } from 'vitest';
import { collectOwners } from '../../src/app.js';
import { tablesOf } from '../../src/platform/db/database.js';
import { can, currentConsents, recordConsent } from '../../src/privacy/consent/index.js';
import type { ConsentTables } from '../../src/privacy/consent/consent.tables.js';
import { eraseSubject } from '../../src/privacy/erasure/erasure.engine.js';
import { createPrivacyRegistry } from '../../src/privacy/registry.js';
import { describeEachDialect } from '../helpers/dialects.js';
import { makeIssuer, makeSubjectId } from './consent-factories.js';

describeEachDialect('erasure and the consent ledger', (current) => {
  it('P52 erasing a person stops processing on their consents and keeps the events as evidence', async () => {
    const { db } = current();
    const registry = createPrivacyRegistry(collectOwners());
    const subject = makeSubjectId();
    const bystander = makeSubjectId();
    for (const subjectId of [subject, bystander]) {
      await recordConsent(
        db,
        {
          subjectId,
          subjectKind: 'member',
          purpose: 'research-panel',
          granted: true,
          method: 'form',
          noticeVersion: 1,
        },
        makeIssuer(),
      );
    }
    expect(await can(db, subject, 'research-panel')).toBe(true);

    const outcome = await eraseSubject(db, registry, subject);
    expect(outcome.status).toBe('completed');

    expect(await can(db, subject, 'research-panel')).toBe(false);
    expect(await currentConsents(db, subject)).toEqual([]);
    const events = await tablesOf<ConsentTables>(db)
      .selectFrom('privacy_consent_events')
      .select(['subject_id', 'superseded_at'])
      .where('subject_id', 'in', [subject, bystander])
      .execute();
    const mine = events.filter((event) => event.subject_id === subject);
    expect(mine).toHaveLength(1);
    expect(mine[0]?.superseded_at).not.toBeNull();
    // Nobody else's choices change.
    expect(await can(db, bystander, 'research-panel')).toBe(true);
    expect(events.find((event) => event.subject_id === bystander)?.superseded_at).toBeNull();
  });
});

describe('the privacy core as an owner', () => {
  it('declares an erasure hook in the application registry', () => {
    const owner = createPrivacyRegistry(collectOwners()).owners.find((o) => o.owner === 'privacy');
    expect(typeof owner?.hooks?.eraseFor).toBe('function');
  });
});
