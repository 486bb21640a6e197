/** Kysely types of the editions and deliveries tables (migration 20261129_0040). */
import type { DataMap } from '../../platform/datamap.js';
import type { NewslettersTables } from './newsletters.tables.js';

export type EditionStatus = 'draft' | 'ready';

export const EDITION_STATUSES: readonly EditionStatus[] = ['draft', 'ready'];

export interface EditionsTable {
  id: string;
  list_key: string;
  /** The week of pregnancy or the month of age; null for a general issue. */
  stage: number | null;
  /** YYYY-MM-DD for a general issue; null for a life-stage edition. */
  send_on: string | null;
  subject: string;
  body: string;
  status: EditionStatus;
  created_at: string;
  updated_at: string;
}

export interface DeliveriesTable {
  id: string;
  user_id: string;
  /** The subscription's id, or the baby's id for Baby Monthly. */
  recipient_key: string;
  edition_id: string;
  created_at: string;
}

export interface EditionsTables extends NewslettersTables {
  newsletters_editions: EditionsTable;
  newsletters_deliveries: DeliveriesTable;
}

/**
 * The data map of editions and deliveries. Editions are what editors write for everyone: no
 * personal data (no author is recorded). A delivery records that one letter was queued for one
 * member, so it is never sent twice; it says nothing the subscription does not, and goes after a
 * year or with the account.
 */
export const editionsDataMap: DataMap = {
  newsletters_editions: {
    personal: false,
    description: 'The letters editors write: general issues, and one per week or month of age.',
    columns: {
      id: 'system.id',
      list_key: 'system.config',
      stage: 'system.config',
      send_on: 'system.config',
      subject: 'system.config',
      body: 'system.config',
      status: 'system.state',
      created_at: 'system.time',
      updated_at: 'system.time',
    },
  },
  newsletters_deliveries: {
    subjects: [{ column: 'user_id', role: 'recipient' }],
    purpose: 'newsletter',
    source: 'system',
    description:
      'Which newsletter letters we sent you, so that none is sent to you twice. Not whether you opened them.',
    columns: {
      id: 'system.id',
      user_id: 'user.id',
      recipient_key: 'system.id',
      edition_id: 'system.id',
      created_at: 'system.time',
    },
    erasure: 'delete',
    retention: [
      {
        after: 'P1Y',
        from: 'created_at',
        action: 'delete',
        reason:
          'A year covers every letter that could fall due again (a general issue is sent only within 180 days of its day); older records serve no purpose.',
      },
    ],
  },
};
