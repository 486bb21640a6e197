/**
 * The privacy hooks of private messages (P43).
 *
 * - `exportMessagesFor` adds the messages a member received (and has not deleted) to their
 *   export, as rows of `messages_messages`: the export engine shows every `user.id` that is not
 *   the member (the senders) as a pseudonym that is stable within one export and meaningless
 *   outside it, so other people appear as "person-…", never by name or id. The member's own
 *   messages come from the declarative engine.
 * - `eraseMessagesFor` deletes everything the member wrote, their participation, their hidden
 *   marks and blocks in both directions, then purges the conversations they were in: content
 *   nobody can see any more goes. A handful of set-based statements, whatever the volume.
 *
 * Both run inside the privacy core's transaction for this owner (erasure) or page by page
 * (export), with no query per message.
 */
import { tablesOf, type DbExecutor } from '../../platform/db/database.js';
import type { ErasureReport, ExportItem } from '../../platform/module.js';
import { purgeConversations } from './messages.service.js';
import type { MessagesTables } from './messages.tables.js';

export const EXPORT_PAGE_SIZE = 500;

export async function exportMessagesFor(
  db: DbExecutor,
  subjectId: string,
  cursor?: string,
): Promise<{ items: ExportItem[]; nextCursor?: string }> {
  let query = tablesOf<MessagesTables>(db)
    .selectFrom('messages_participants as p')
    .innerJoin('messages_messages as m', (join) =>
      join
        .onRef('m.conversation_id', '=', 'p.conversation_id')
        .onRef('m.seq', '>', 'p.cleared_through_seq'),
    )
    .select(['m.id', 'm.conversation_id', 'm.seq', 'm.sender_id', 'm.body', 'm.created_at'])
    .where('p.member_id', '=', subjectId)
    .where('m.sender_id', '<>', subjectId)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('messages_hidden as h')
            .select('h.message_id')
            .whereRef('h.message_id', '=', 'm.id')
            .where('h.member_id', '=', subjectId),
        ),
      ),
    );
  if (cursor !== undefined) query = query.where('m.id', '>', cursor);
  const rows = await query
    .orderBy('m.id')
    .limit(EXPORT_PAGE_SIZE + 1)
    .execute();
  const page = rows.slice(0, EXPORT_PAGE_SIZE);
  const last = page[page.length - 1];
  return {
    items: page.map((row) => ({ table: 'messages_messages', row: { ...row } })),
    ...(rows.length > EXPORT_PAGE_SIZE && last ? { nextCursor: last.id } : {}),
  };
}

export async function eraseMessagesFor(db: DbExecutor, subjectId: string): Promise<ErasureReport> {
  const tables = tablesOf<MessagesTables>(db);
  const conversations = await tables
    .selectFrom('messages_participants')
    .select('conversation_id')
    .where('member_id', '=', subjectId)
    .execute();
  const hidden = await tables
    .deleteFrom('messages_hidden')
    .where('member_id', '=', subjectId)
    .executeTakeFirst();
  const messages = await tables
    .deleteFrom('messages_messages')
    .where('sender_id', '=', subjectId)
    .executeTakeFirst();
  const blocks = await tables
    .deleteFrom('messages_blocks')
    .where((eb) => eb.or([eb('blocker_id', '=', subjectId), eb('blocked_id', '=', subjectId)]))
    .executeTakeFirst();
  const participants = await tables
    .deleteFrom('messages_participants')
    .where('member_id', '=', subjectId)
    .executeTakeFirst();
  const purged = await purgeConversations(
    db,
    conversations.map((row) => row.conversation_id),
  );
  return {
    removed:
      Number(hidden.numDeletedRows) +
      Number(messages.numDeletedRows) +
      Number(blocks.numDeletedRows) +
      Number(participants.numDeletedRows) +
      purged,
    retained: [],
  };
}
