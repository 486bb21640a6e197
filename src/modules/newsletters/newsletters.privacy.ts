/**
 * The newsletters data map (the notice's "Newsletters"). A subscription is kept until the member
 * unsubscribes (P38) and goes with the account; the due date is health data (a pregnancy) kept
 * only while subscribed to Pregnancy Weekly, the birth dates only while subscribed to Baby
 * Monthly (P06). Every row is deleted on erasure: nothing here must outlive the member.
 *
 * P38's "three years without engagement removes it" rests on `last_engaged_at` (logged-in
 * visits and followed newsletter links, never opens); the removal and its warning mail are the
 * newsletters' own daily job (newsletters.engagement.ts), declared in the retention reason.
 */
import type { DataMap } from '../../platform/datamap.js';

export const newslettersDataMap: DataMap = {
  newsletters_lists: {
    personal: false,
    description: 'The newsletters on offer: titles and descriptions written by editors.',
    columns: {
      key: 'system.id',
      title: 'system.config',
      description: 'system.config',
      kind: 'system.config',
      active: 'system.state',
      position: 'system.config',
      created_at: 'system.time',
    },
  },
  newsletters_subscriptions: {
    subjects: [{ column: 'user_id', role: 'subscriber' }],
    purpose: 'newsletter',
    source: 'member',
    description:
      'The newsletters you subscribed to, and for Pregnancy Weekly your due date. Each subscription rests on your consent, recorded with a receipt.',
    columns: {
      id: 'system.id',
      user_id: 'user.id',
      list_key: 'user.preference',
      due_date: {
        category: 'user.health',
        special: true,
        description:
          'Your due date, asked only for Pregnancy Weekly with your explicit consent (Art. 9(2)(a)); deleted when you unsubscribe.',
      },
      created_at: 'system.time',
      updated_at: 'system.time',
      last_engaged_at: {
        category: 'user.behaviour',
        description:
          'The last day you opened Hearth logged in or followed a link in this newsletter (never whether you opened a letter).',
      },
      engagement_warned_at: 'system.time',
      suspended_at: 'system.state',
    },
    erasure: 'delete',
    retention: [
      {
        keep: 'while-account',
        reason:
          'A subscription lasts until you unsubscribe and is deleted with your account; unsubscribing deletes it and its dates at once (P06). After 3 years without engagement (last_engaged_at) the daily newsletters.engagement-review job removes it, 30 days after a mail that offers one click to stay (P38); the retention engine warns only before erasing a member, so the job does this itself.',
      },
    ],
  },
  newsletters_babies: {
    subjects: [],
    via: { table: 'newsletters_subscriptions', column: 'subscription_id' },
    purpose: 'newsletter-health',
    source: 'member',
    description:
      'Your baby’s date of birth, asked only for Baby Monthly so each letter matches their age.',
    columns: {
      id: 'system.id',
      subscription_id: 'system.id',
      // A date of birth is not an Art. 9 category, but it is a child's data: it is asked under
      // the same explicit consent as the due date, kept only while subscribed, never shared.
      birth_date: {
        category: 'user.childrens',
        description:
          'Your baby’s date of birth, kept only while you subscribe to Baby Monthly and deleted when you unsubscribe.',
      },
      created_at: 'system.time',
    },
    erasure: 'delete',
    retention: [
      {
        keep: 'while-account',
        reason: 'Kept while you subscribe to Baby Monthly; unsubscribing deletes it (P06).',
      },
    ],
  },
};
