/**
 * The analytics data map (P29). Three tables hold counts and a random key: no personal data.
 * One holds, for one day at most, keyed hashes of visitors: while the day's key exists, whoever
 * holds it and a person's IP address and browser could test whether that person visited, so the
 * hashes are pseudonymous personal data (GDPR Recital 26) for that day, and are declared as
 * such. They cannot be matched to an account or a cookie consent id (GDPR Art. 11: Hearth cannot
 * identify whose they are), which is why no export or erasure ever finds one; they are deleted
 * when the day is counted, and the retention rule is the safety net if the job stopped.
 */
import type { DataMap } from '../../platform/datamap.js';

export const analyticsDataMap: DataMap = {
  analytics_page_views: {
    personal: false,
    description:
      'How many times each page (by address pattern, never a full address) was viewed each day: counts that name nobody.',
    columns: { day: 'system.time', path: 'system.config', views: 'system.state' },
  },
  analytics_daily_visitors: {
    personal: false,
    description: 'How many different visitors came each day, counted once the day is over.',
    columns: { day: 'system.time', visitors: 'system.state', counted_at: 'system.time' },
  },
  analytics_day_salts: {
    personal: false,
    description:
      'The random key of the current day that visitor hashes are made with; deleted when the day is over.',
    columns: { day: 'system.time', salt: 'system.secret', created_at: 'system.time' },
  },
  analytics_visitor_hashes: {
    primaryKey: ['day', 'hash'],
    // The hash stands for one browser on one network for one day. No account or visitor id is
    // ever equal to it, so requests about a person find nothing here, which is right (Art. 11).
    subjects: [{ column: 'hash', role: 'visitor' }],
    purpose: 'audience-measurement',
    source: 'derived',
    description:
      'A one-way code made from your IP address and browser with a key that changes every day, so that a visitor is counted once a day. The address and browser are never stored; the codes are deleted once the day is counted, and the key with the day.',
    columns: {
      day: 'system.time',
      hash: {
        category: 'user.device.ip',
        description:
          'HMAC-SHA256 of the site, IP address and user agent under the day’s random key, truncated to 128 bits; unlinkable once the key is deleted at midnight.',
      },
    },
    erasure: 'delete',
    retention: [
      {
        after: 'P2D',
        from: 'day',
        action: 'delete',
        reason:
          'Counted and deleted by the analytics.close-days job minutes after midnight; this rule only catches a day the job missed.',
      },
    ],
  },
};
