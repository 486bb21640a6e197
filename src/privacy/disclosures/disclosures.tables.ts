/** Kysely types of the disclosure log. */

/** What allows a release: the person's consent, or a duty or emergency recorded with a reference. */
export type DisclosureBasis = 'consent' | 'legal-obligation' | 'vital-interests';

/** Who released the data: a staff member (required for legal bases), or a job acting on consent. */
export type DisclosureActorKind = 'staff' | 'system';

export interface DisclosuresTable {
  id: string;
  subject_id: string;
  /** The recipient's id: a partner id from the registry, or an authority's slug. */
  recipient: string;
  purpose: string;
  /** JSON array of data categories (datamap.ts `DataCategory`). */
  categories: string;
  basis: DisclosureBasis;
  /** The consent scope relied on (consent basis only). */
  scope: string | null;
  /** Court order, request number or incident reference (legal bases). */
  reference: string | null;
  actor_id: string;
  actor_kind: DisclosureActorKind;
  at: string;
}

export interface DisclosureTables {
  privacy_disclosures: DisclosuresTable;
}
