import type { Kysely } from 'kysely';

/**
 * Private messages and the Parent Supporter service (issue 7, points 5 and 6).
 *
 * - Conversations hold no one's data themselves; participants, messages, per-member hidden
 *   messages and blocks name members and go with their accounts (foreign keys cascade from
 *   accounts_users, and the module's erasure hook removes them first).
 * - `messages_messages.seq` numbers a conversation's messages 1, 2, 3…: the next number comes
 *   from `messages_conversations.message_count`, incremented in the sending transaction, so two
 *   replies at once take turns on the conversation row instead of colliding.
 * - Parent Supporter cases and their messages, and the log of staff reading private messages,
 *   outlive an account on purpose (safeguarding, accountability): no foreign key to accounts.
 * - Published statistics are frozen snapshots: a quarter, once published, never changes.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('messages_conversations')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('created_at', 'text', (column) => column.notNull())
    .addColumn('last_message_at', 'text', (column) => column.notNull())
    .addColumn('message_count', 'integer', (column) => column.notNull().defaultTo(0))
    .execute();

  await db.schema
    .createTable('messages_participants')
    .addColumn('conversation_id', 'text', (column) =>
      column.notNull().references('messages_conversations.id').onDelete('cascade'),
    )
    .addColumn('member_id', 'text', (column) =>
      column.notNull().references('accounts_users.id').onDelete('cascade'),
    )
    .addColumn('joined_at', 'text', (column) => column.notNull())
    .addColumn('last_read_seq', 'integer', (column) => column.notNull().defaultTo(0))
    .addColumn('cleared_through_seq', 'integer', (column) => column.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('messages_participants_pk', ['conversation_id', 'member_id'])
    .execute();
  // The inbox, the export and erasure find a member's conversations.
  await db.schema
    .createIndex('messages_participants_member')
    .on('messages_participants')
    .columns(['member_id', 'conversation_id'])
    .execute();

  await db.schema
    .createTable('messages_messages')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('conversation_id', 'text', (column) =>
      column.notNull().references('messages_conversations.id').onDelete('cascade'),
    )
    .addColumn('seq', 'integer', (column) => column.notNull())
    .addColumn('sender_id', 'text', (column) =>
      column.notNull().references('accounts_users.id').onDelete('cascade'),
    )
    .addColumn('body', 'text', (column) => column.notNull())
    .addColumn('created_at', 'text', (column) => column.notNull())
    .addUniqueConstraint('messages_messages_conversation_seq', ['conversation_id', 'seq'])
    .execute();
  // Export and erasure find a member's own messages by sender, in key order.
  await db.schema
    .createIndex('messages_messages_sender')
    .on('messages_messages')
    .columns(['sender_id', 'id'])
    .execute();

  await db.schema
    .createTable('messages_hidden')
    .addColumn('message_id', 'text', (column) =>
      column.notNull().references('messages_messages.id').onDelete('cascade'),
    )
    .addColumn('member_id', 'text', (column) =>
      column.notNull().references('accounts_users.id').onDelete('cascade'),
    )
    .addColumn('hidden_at', 'text', (column) => column.notNull())
    .addPrimaryKeyConstraint('messages_hidden_pk', ['message_id', 'member_id'])
    .execute();
  await db.schema
    .createIndex('messages_hidden_member')
    .on('messages_hidden')
    .columns(['member_id', 'message_id'])
    .execute();

  await db.schema
    .createTable('messages_blocks')
    .addColumn('blocker_id', 'text', (column) =>
      column.notNull().references('accounts_users.id').onDelete('cascade'),
    )
    .addColumn('blocked_id', 'text', (column) =>
      column.notNull().references('accounts_users.id').onDelete('cascade'),
    )
    .addColumn('created_at', 'text', (column) => column.notNull())
    .addPrimaryKeyConstraint('messages_blocks_pk', ['blocker_id', 'blocked_id'])
    .execute();
  await db.schema
    .createIndex('messages_blocks_blocked')
    .on('messages_blocks')
    .columns(['blocked_id', 'blocker_id'])
    .execute();

  await db.schema
    .createTable('messages_support_cases')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('member_id', 'text', (column) => column.notNull())
    .addColumn('topic', 'text', (column) => column.notNull())
    .addColumn('status', 'text', (column) => column.notNull())
    .addColumn('supporter_id', 'text')
    .addColumn('created_at', 'text', (column) => column.notNull())
    .addColumn('claimed_at', 'text')
    .addColumn('closed_at', 'text')
    .addColumn('last_message_at', 'text', (column) => column.notNull())
    .addColumn('member_read_at', 'text')
    .addColumn('escalated_at', 'text')
    .addColumn('escalated_by', 'text')
    .addColumn('hold_id', 'text')
    .execute();
  // The supporters' queue: by status, oldest first.
  await db.schema
    .createIndex('messages_support_cases_queue')
    .on('messages_support_cases')
    .columns(['status', 'created_at', 'id'])
    .execute();
  await db.schema
    .createIndex('messages_support_cases_member')
    .on('messages_support_cases')
    .columns(['member_id', 'id'])
    .execute();
  await db.schema
    .createIndex('messages_support_cases_supporter')
    .on('messages_support_cases')
    .columns(['supporter_id', 'id'])
    .execute();

  await db.schema
    .createTable('messages_support_messages')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('case_id', 'text', (column) =>
      column.notNull().references('messages_support_cases.id').onDelete('cascade'),
    )
    .addColumn('author_id', 'text', (column) => column.notNull())
    .addColumn('from_supporter', 'integer', (column) => column.notNull())
    .addColumn('body', 'text', (column) => column.notNull())
    .addColumn('created_at', 'text', (column) => column.notNull())
    .execute();
  await db.schema
    .createIndex('messages_support_messages_case')
    .on('messages_support_messages')
    .columns(['case_id', 'created_at', 'id'])
    .execute();
  await db.schema
    .createIndex('messages_support_messages_author')
    .on('messages_support_messages')
    .columns(['author_id', 'id'])
    .execute();

  await db.schema
    .createTable('messages_staff_access')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('staff_id', 'text', (column) => column.notNull())
    .addColumn('reason', 'text', (column) => column.notNull())
    .addColumn('conversation_id', 'text')
    .addColumn('message_id', 'text')
    .addColumn('case_id', 'text')
    .addColumn('accessed_at', 'text', (column) => column.notNull())
    .execute();
  await db.schema
    .createIndex('messages_staff_access_time')
    .on('messages_staff_access')
    .columns(['accessed_at', 'id'])
    .execute();
  await db.schema
    .createIndex('messages_staff_access_staff')
    .on('messages_staff_access')
    .columns(['staff_id', 'id'])
    .execute();

  await db.schema
    .createTable('messages_support_statistics')
    .addColumn('period', 'text', (column) => column.primaryKey())
    .addColumn('k', 'integer', (column) => column.notNull())
    .addColumn('published_table', 'text', (column) => column.notNull())
    .addColumn('published_at', 'text', (column) => column.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('messages_support_statistics').execute();
  await db.schema.dropTable('messages_staff_access').execute();
  await db.schema.dropTable('messages_support_messages').execute();
  await db.schema.dropTable('messages_support_cases').execute();
  await db.schema.dropTable('messages_blocks').execute();
  await db.schema.dropTable('messages_hidden').execute();
  await db.schema.dropTable('messages_messages').execute();
  await db.schema.dropTable('messages_participants').execute();
  await db.schema.dropTable('messages_conversations').execute();
}
