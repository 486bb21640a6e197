/**
 * The newsletters data map (the notice's "Newsletters"). A subscription is kept until the member
 * unsubscribes (P38) and goes with the account; the due date is health data (a pregnancy) kept
 * only while subscribed to Pregnancy Weekly, the birth dates only while subscribed to Baby
 * Monthly (P06). Every row is deleted on erasure: nothing here must outlive the member.
 *
 * P38's "three years without engagement removes it" needs engagement to be recorded (sends,
 * opens, clicks), which arrives with the sending of editions; its retention rule is declared
 * then, on the column that records the last engagement. Until then no letter is sent, so no
 * engagement can lapse.
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
    },
    erasure: 'delete',
    retention: [
      {
        keep: 'while-account',
        reason:
          'A subscription lasts until you unsubscribe (P38) and is deleted with your account; unsubscribing deletes it and its dates at once (P06).',
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
