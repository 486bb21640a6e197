/** Kysely table types of legal and safeguarding holds (migration 20261129_0011). */

export type HoldKind = 'legal' | 'safeguarding';

export interface PrivacyHoldsTable {
  id: string;
  subject_id: string;
  kind: HoldKind;
  /** Staff's reason; shown to staff only, never to the member held. */
  reason: string;
  placed_by: string;
  placed_at: string;
  /** When the hold ends by itself; null keeps it until lifted. */
  until: string | null;
  lifted_at: string | null;
  lifted_by: string | null;
  lift_reason: string | null;
}

export interface HoldsTables {
  privacy_holds: PrivacyHoldsTable;
}
