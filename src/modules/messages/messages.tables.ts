/** Kysely types of the messages tables (migration 20261129_0060_messages). */

export interface ConversationsTable {
  id: string;
  created_at: string;
  last_message_at: string;
  /** How many messages were ever sent: the `seq` of the latest one. */
  message_count: number;
}

export interface ParticipantsTable {
  conversation_id: string;
  member_id: string;
  joined_at: string;
  /** The `seq` of the last message this member has seen. */
  last_read_seq: number;
  /** Deleting the conversation hides every message up to this `seq` for this member. */
  cleared_through_seq: number;
}

export interface MessagesTable {
  id: string;
  conversation_id: string;
  seq: number;
  sender_id: string;
  body: string;
  created_at: string;
}

export interface HiddenMessagesTable {
  message_id: string;
  member_id: string;
  hidden_at: string;
}

export interface BlocksTable {
  blocker_id: string;
  blocked_id: string;
  created_at: string;
}

export type SupportStatus = 'waiting' | 'open' | 'closed';

export interface SupportCasesTable {
  id: string;
  member_id: string;
  topic: string;
  status: SupportStatus;
  supporter_id: string | null;
  created_at: string;
  claimed_at: string | null;
  closed_at: string | null;
  last_message_at: string;
  member_read_at: string | null;
  escalated_at: string | null;
  escalated_by: string | null;
  hold_id: string | null;
}

export interface SupportMessagesTable {
  id: string;
  case_id: string;
  author_id: string;
  from_supporter: number;
  body: string;
  created_at: string;
}

export type StaffAccessReason = 'report' | 'support-case';

export interface StaffAccessTable {
  id: string;
  staff_id: string;
  reason: StaffAccessReason;
  conversation_id: string | null;
  message_id: string | null;
  case_id: string | null;
  accessed_at: string;
}

export interface SupportStatisticsTable {
  period: string;
  k: number;
  published_table: string;
  published_at: string;
}

export interface MessagesTables {
  messages_conversations: ConversationsTable;
  messages_participants: ParticipantsTable;
  messages_messages: MessagesTable;
  messages_hidden: HiddenMessagesTable;
  messages_blocks: BlocksTable;
  messages_support_cases: SupportCasesTable;
  messages_support_messages: SupportMessagesTable;
  messages_staff_access: StaffAccessTable;
  messages_support_statistics: SupportStatisticsTable;
}
