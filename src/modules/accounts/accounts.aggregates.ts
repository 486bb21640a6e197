/**
 * Members by region, for aggregate reports (P32): counts only, never ids. A member's region is
 * the region of the place they chose (data/uk-places.json gives every place its nation, or for
 * England its region). Only active accounts count, and only members who have not objected to,
 * or restricted, processing for advertising (`filterAllowed`): the report is made for
 * advertisers, so whoever said no to that purpose is left out even of a count.
 */
import type { Kysely } from 'kysely';
import { tablesOf, type DbExecutor } from '../../platform/db/database.js';
import { filterAllowed } from '../../privacy/consent/index.js';
import type { AccountsTables } from './accounts.tables.js';
import { findLocation } from './locations.js';

/** The fixed regions of the shipped place list, in the order reports show them. */
export const MEMBER_REGIONS: readonly string[] = [
  'North East England',
  'North West England',
  'Yorkshire and the Humber',
  'East Midlands',
  'West Midlands',
  'East of England',
  'London',
  'South East England',
  'South West England',
  'Wales',
  'Scotland',
  'Northern Ireland',
];

/** The purpose the counts are made for; members who objected to it are not counted. */
export const AGGREGATE_PURPOSE = 'advertising';

/** Members read per batch: one `filterAllowed` statement each. */
const BATCH = 5000;

function tables(db: DbExecutor): Kysely<AccountsTables> {
  return tablesOf<AccountsTables>(db);
}

/** Active members per region, in `MEMBER_REGIONS` order (a region with none counts 0). */
export async function countMembersByRegion(
  db: DbExecutor,
): Promise<{ region: string; members: number }[]> {
  const counts = new Map(MEMBER_REGIONS.map((region) => [region, 0]));
  let after = '';
  for (;;) {
    const batch = await tables(db)
      .selectFrom('accounts_users')
      .select(['id', 'location_id'])
      .where('status', '=', 'active')
      .where('id', '>', after)
      .orderBy('id')
      .limit(BATCH)
      .execute();
    if (batch.length === 0) break;
    const allowed = await filterAllowed(
      db,
      batch.map((row) => row.id),
      AGGREGATE_PURPOSE,
    );
    for (const row of batch) {
      if (!allowed.has(row.id)) continue;
      const region = findLocation(row.location_id)?.region;
      const current = region === undefined ? undefined : counts.get(region);
      if (region !== undefined && current !== undefined) counts.set(region, current + 1);
    }
    after = batch[batch.length - 1]?.id ?? after;
    if (batch.length < BATCH) break;
  }
  return MEMBER_REGIONS.map((region) => ({ region, members: counts.get(region) ?? 0 }));
}
