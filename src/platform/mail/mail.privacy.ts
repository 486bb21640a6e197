/**
 * The mail tables' data map: the outbox (every message the service sends) and the mail catcher
 * (copies of messages kept instead of sent when no SMTP relay is configured). Both hold the
 * recipient's address, name and the message text.
 */
import type { ColumnDeclaration, DataMap } from '../datamap.js';

const messageColumns: Record<string, ColumnDeclaration> = {
  id: 'system.id',
  recipient_id: 'user.id',
  to_address: 'user.contact.email',
  to_name: 'user.name',
  subject: 'user.content.private',
  text_body: 'user.content.private',
  html_body: 'user.content.private',
  headers: {
    category: 'user.content.private',
    description: 'Extra header lines such as the one-click unsubscribe link.',
  },
  category: 'system.operational',
  message_id: 'system.id',
};

export const mailDataMap: DataMap = {
  outbox: {
    subjects: [{ column: 'recipient_id', role: 'recipient' }],
    purpose: 'account',
    source: 'system',
    description: 'Messages the service sends you, kept until they are delivered and a month after.',
    columns: {
      ...messageColumns,
      status: 'system.state',
      created_at: 'system.time',
      sent_at: 'system.time',
    },
    erasure: 'delete',
    retention: [
      {
        after: 'P30D',
        from: 'sent_at',
        action: 'delete',
        where: { status: 'sent' },
        reason: 'A sent message is kept a month to answer "did you send it?" questions.',
      },
      {
        after: 'P90D',
        from: 'created_at',
        action: 'delete',
        reason: 'A message that could not be delivered is kept three months for investigation.',
      },
    ],
  },
  mail_catcher: {
    subjects: [{ column: 'recipient_id', role: 'recipient' }],
    purpose: 'account',
    source: 'system',
    description:
      'Copies of messages held for administrators instead of being sent, when no mail relay is set up.',
    columns: {
      ...messageColumns,
      outbox_id: 'system.id',
      from_address: 'system.config',
      raw_message: {
        category: 'user.content.private',
        description: 'The whole message as it would have been sent, including the address.',
      },
      caught_at: 'system.time',
    },
    erasure: 'delete',
    retention: [
      {
        after: 'P30D',
        from: 'caught_at',
        action: 'delete',
        reason: 'Caught mail is for testing and support; a month is enough.',
      },
    ],
  },
};
