/**
 * The messages data map (the notice's private-message and Parent Supporter passages).
 *
 * - **Private messages** (P43) are stored until the account is deleted, and a member deletes
 *   them in their settings: hidden for them at once, the content removed from the database once
 *   every participant has deleted it. Erasure deletes every message the member wrote, their
 *   participation, hidden marks and blocks (in both directions); the other participants keep
 *   their own messages, and a conversation nobody can see any more is removed entirely. The
 *   module's `eraseFor` hook does this in a few set-based statements before the declarative
 *   pass, which then finds nothing left.
 * - In a member's export, other people in their conversations appear under a pseudonym, never
 *   a name or an id (the `exportFor` hook adds the messages they received).
 * - **Parent Supporter conversations** (P24) are collected "for the protection of individuals":
 *   kept for three years after the last message, also after the account is deleted, and never
 *   while a safeguarding hold applies. Statistics leave only as k-anonymous counts (P25).
 * - **Staff access** to private messages (through a report or a Parent Supporter case) is logged
 *   here and in the audit chain, for the DPO.
 */
import type { DataMap } from '../../platform/datamap.js';

const SUPPORT_RETENTION_REASON =
  'Parent Supporter conversations are kept for the protection of individuals (safeguarding), also after your account is deleted, and then deleted; a safeguarding hold keeps them longer while it lasts (P24).';

export const messagesDataMap: DataMap = {
  messages_conversations: {
    personal: false,
    description:
      'A private conversation’s bookkeeping: when it began, when the last message came and how many were sent. Who took part and what was said live in the tables below.',
    columns: {
      id: 'system.id',
      created_at: 'system.time',
      last_message_at: 'system.time',
      message_count: 'system.state',
    },
  },
  messages_participants: {
    primaryKey: ['conversation_id', 'member_id'],
    subjects: [{ column: 'member_id', role: 'participant' }],
    purpose: 'community',
    source: 'member',
    description:
      'The private conversations you take part in, how far you have read and which ones you deleted.',
    columns: {
      conversation_id: 'system.id',
      member_id: 'user.id',
      joined_at: 'system.time',
      last_read_seq: 'user.behaviour',
      cleared_through_seq: 'system.state',
    },
    erasure: 'delete',
    retention: [
      {
        keep: 'while-account',
        reason:
          'Kept while your account is open; when every participant has deleted a conversation it is removed.',
      },
    ],
  },
  messages_messages: {
    subjects: [{ column: 'sender_id', role: 'sender' }],
    purpose: 'community',
    source: 'member',
    description:
      'The private messages you wrote. Deleting one hides it from you at once; it is removed from our database once everyone in the conversation has deleted it.',
    columns: {
      id: 'system.id',
      conversation_id: 'system.id',
      seq: 'system.state',
      sender_id: 'user.id',
      body: {
        category: 'user.content.private',
        description: 'What you wrote in a private message; staff read it only through a report.',
      },
      created_at: 'system.time',
    },
    erasure: 'delete',
    retention: [
      {
        keep: 'while-account',
        reason:
          'Private messages are stored until your account is deleted, and you can delete them in Messages; a message is removed once every participant has deleted it (P43).',
      },
    ],
  },
  messages_hidden: {
    primaryKey: ['message_id', 'member_id'],
    subjects: [{ column: 'member_id', role: 'member' }],
    purpose: 'community',
    source: 'member',
    description: 'The private messages you deleted for yourself.',
    columns: {
      message_id: 'system.id',
      member_id: 'user.id',
      hidden_at: 'system.time',
    },
    erasure: 'delete',
    retention: [
      {
        keep: 'while-account',
        reason: 'Goes with the message once everyone has deleted it.',
      },
    ],
  },
  messages_blocks: {
    primaryKey: ['blocker_id', 'blocked_id'],
    subjects: [
      { column: 'blocker_id', role: 'blocker' },
      { column: 'blocked_id', role: 'blocked' },
    ],
    purpose: 'community',
    source: 'member',
    description: 'Members you blocked from sending you private messages.',
    columns: {
      blocker_id: 'user.id',
      blocked_id: 'user.id',
      created_at: 'system.time',
    },
    erasure: 'delete',
    retention: [
      {
        keep: 'while-account',
        reason: 'Until you unblock the member, or either account is deleted.',
      },
    ],
  },
  messages_support_cases: {
    subjects: [
      { column: 'member_id', role: 'member' },
      { column: 'supporter_id', role: 'supporter' },
      { column: 'escalated_by', role: 'escalated-by' },
    ],
    purpose: 'safeguarding',
    source: 'member',
    description:
      'Your conversations with our Parent Supporters: the topic you chose, who answered and when.',
    columns: {
      id: 'system.id',
      member_id: 'user.id',
      topic: {
        category: 'user.health',
        special: true,
        description:
          'The topic you chose (feeding, sleep, mental health, relationships, pregnancy, development, other): it can reveal health.',
      },
      status: 'system.state',
      supporter_id: 'user.id',
      created_at: 'system.time',
      claimed_at: 'system.time',
      closed_at: 'system.time',
      last_message_at: 'system.time',
      member_read_at: 'user.behaviour',
      escalated_at: 'system.time',
      escalated_by: 'user.id',
      hold_id: 'system.id',
    },
    erasure: {
      retain: {
        basis: 'legitimate-interests',
        reason:
          'Exchanges with Parent Supporters are kept for the protection of individuals (the notice’s Parent Supporter Service), also after your account is deleted.',
        for: 'P3Y',
      },
    },
    retention: [
      { after: 'P3Y', from: 'last_message_at', action: 'delete', reason: SUPPORT_RETENTION_REASON },
    ],
  },
  messages_support_messages: {
    subjects: [{ column: 'author_id', role: 'author' }],
    via: { table: 'messages_support_cases', column: 'case_id' },
    purpose: 'safeguarding',
    source: 'member',
    description: 'The messages you and the Parent Supporters exchanged.',
    columns: {
      id: 'system.id',
      case_id: 'system.id',
      author_id: 'user.id',
      from_supporter: 'system.state',
      body: {
        category: 'user.content.private',
        special: true,
        description:
          'What you wrote to a Parent Supporter or they to you; it may concern health or family life.',
      },
      created_at: 'system.time',
    },
    erasure: {
      retain: {
        basis: 'legitimate-interests',
        reason:
          'Exchanges with Parent Supporters are kept for the protection of individuals (the notice’s Parent Supporter Service), also after your account is deleted.',
        for: 'P3Y',
      },
    },
    retention: [
      { after: 'P3Y', from: 'created_at', action: 'delete', reason: SUPPORT_RETENTION_REASON },
    ],
  },
  messages_staff_access: {
    subjects: [{ column: 'staff_id', role: 'staff' }],
    purpose: 'legal-obligation',
    source: 'system',
    description:
      'Each time a member of staff read a private message (through a report) or a Parent Supporter conversation: who, when, which conversation and why. The DPO reviews it.',
    columns: {
      id: 'system.id',
      staff_id: 'user.id',
      reason: 'system.state',
      conversation_id: 'system.id',
      message_id: 'system.id',
      case_id: 'system.id',
      accessed_at: 'system.time',
    },
    erasure: {
      retain: {
        basis: 'legal-obligation',
        reason:
          'A record of staff access to private messages is how we show that they are read only when a report or a safeguarding case requires it (Art. 5(2) accountability).',
        for: 'P2Y',
      },
    },
    retention: [
      {
        after: 'P2Y',
        from: 'accessed_at',
        action: 'delete',
        reason: 'The access log is kept for two years for the DPO’s reviews, then deleted.',
      },
    ],
  },
  messages_support_statistics: {
    personal: false,
    description:
      'Published Parent Supporter statistics: counts by topic and month in which no figure describes fewer than k people (P25), frozen once published.',
    columns: {
      period: 'system.id',
      k: 'system.config',
      published_table: 'system.operational',
      published_at: 'system.time',
    },
  },
};
