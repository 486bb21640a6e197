/** Kysely types of the mail tables (migration 20261129_0003_jobs_mail). */
export type OutboxStatus = 'queued' | 'sent' | 'failed';

export interface OutboxTable {
  id: string;
  /** The member the message is for; null for someone without an account (a rights request by email). */
  recipient_id: string | null;
  to_address: string;
  to_name: string | null;
  subject: string;
  text_body: string;
  html_body: string | null;
  /** JSON object of extra header lines (`List-Unsubscribe`, …). */
  headers: string | null;
  /** What kind of message (`account.verify-email`, `newsletter`), for the operator and the notice. */
  category: string;
  status: OutboxStatus;
  message_id: string | null;
  created_at: string;
  sent_at: string | null;
}

export interface MailCatcherTable {
  id: string;
  outbox_id: string;
  recipient_id: string | null;
  from_address: string;
  to_address: string;
  to_name: string | null;
  subject: string;
  text_body: string;
  html_body: string | null;
  headers: string | null;
  category: string;
  message_id: string;
  /** The message exactly as it would have gone out (RFC 5322, DKIM-signed when configured). */
  raw_message: string;
  caught_at: string;
}

export interface MailTables {
  outbox: OutboxTable;
  mail_catcher: MailCatcherTable;
}
