/**
 * Demo conversations for `hearth seed --demo`, and the bench's bulk filler.
 */
import type { Database, DbExecutor } from '../../platform/db/database.js';
import { tablesOf } from '../../platform/db/database.js';
import { newId } from '../../platform/db/ids.js';
import { toDbTime } from '../../platform/db/portable.js';
import type { AccountsTables } from '../accounts/index.js';
import { replyToConversation, startConversation } from './messages.service.js';
import type { MessagesTables } from './messages.tables.js';

/** The demo members' emails (accounts' demo data), who write to each other. */
const DEMO_EMAILS = [
  'sarah@demo.hearth.example',
  'tom@demo.hearth.example',
  'priya@demo.hearth.example',
] as const;

const DEMO_MARKER = 'Hi! Saw your post about night feeds';

export async function seedDemoMessages(db: Database, log: (line: string) => void): Promise<void> {
  const users = await tablesOf<AccountsTables>(db)
    .selectFrom('accounts_users')
    .select(['id', 'email', 'username'])
    .where('email', 'in', [...DEMO_EMAILS])
    .execute();
  const byEmail = new Map(users.map((user) => [user.email, user]));
  const sarah = byEmail.get(DEMO_EMAILS[0]);
  const tom = byEmail.get(DEMO_EMAILS[1]);
  const priya = byEmail.get(DEMO_EMAILS[2]);
  if (!sarah || !tom || !priya) {
    log('Demo messages skipped: the demo members are missing.');
    return;
  }
  const already = await tablesOf<MessagesTables>(db)
    .selectFrom('messages_messages')
    .select('id')
    .where('sender_id', '=', sarah.id)
    .where('body', 'like', `${DEMO_MARKER}%`)
    .executeTakeFirst();
  if (already) {
    log('Demo messages exist already.');
    return;
  }
  await db.transaction().execute(async (trx) => {
    const first = await startConversation(trx, {
      senderId: sarah.id,
      to: [tom.username],
      body: `${DEMO_MARKER}. What helped you in the end?`,
    });
    await replyToConversation(trx, {
      senderId: tom.id,
      conversationId: first.conversationId,
      body: 'Honestly, taking turns with my partner and a dim night light. Hang in there!',
    });
    await replyToConversation(trx, {
      senderId: sarah.id,
      conversationId: first.conversationId,
      body: 'Thank you, we will try taking turns this week.',
    });
    const group = await startConversation(trx, {
      senderId: priya.id,
      to: [sarah.username, tom.username],
      body: 'Shall we meet at the park café on Saturday morning with the little ones?',
    });
    await replyToConversation(trx, {
      senderId: tom.id,
      conversationId: group.conversationId,
      body: 'Count us in, 10 o’clock?',
    });
  });
  log('Demo messages: two conversations between the demo members.');
}

/**
 * Gives `memberId` `count` messages quickly, for benchmarks of export and erasure: spread over
 * conversations of 20 messages with `otherIds` in turn, half sent by the member, inserted in
 * batches. Returns the conversation ids.
 */
export async function seedMessagesForBench(
  db: DbExecutor,
  memberId: string,
  otherIds: readonly string[],
  count: number,
): Promise<string[]> {
  if (otherIds.length === 0)
    throw new Error('seedMessagesForBench needs at least one other member');
  const perConversation = 20;
  const tables = tablesOf<MessagesTables>(db);
  const start = Date.now() - count * 60_000;
  const conversationIds: string[] = [];
  let written = 0;
  for (let index = 0; written < count; index += 1) {
    const otherId = otherIds[index % otherIds.length]!;
    const size = Math.min(perConversation, count - written);
    const conversationId = newId();
    const first = toDbTime(new Date(start + written * 60_000));
    const last = toDbTime(new Date(start + (written + size - 1) * 60_000));
    await tables
      .insertInto('messages_conversations')
      .values({ id: conversationId, created_at: first, last_message_at: last, message_count: size })
      .execute();
    await tables
      .insertInto('messages_participants')
      .values([
        {
          conversation_id: conversationId,
          member_id: memberId,
          joined_at: first,
          last_read_seq: size,
          cleared_through_seq: 0,
        },
        {
          conversation_id: conversationId,
          member_id: otherId,
          joined_at: first,
          last_read_seq: size,
          cleared_through_seq: 0,
        },
      ])
      .execute();
    const rows = Array.from({ length: size }, (_, offset) => {
      const at = start + (written + offset) * 60_000;
      return {
        id: newId(at),
        conversation_id: conversationId,
        seq: offset + 1,
        sender_id: offset % 2 === 0 ? memberId : otherId,
        body: `Bench message ${written + offset + 1}: how are the nights going this week?`,
        created_at: toDbTime(new Date(at)),
      };
    });
    await tables.insertInto('messages_messages').values(rows).execute();
    conversationIds.push(conversationId);
    written += size;
  }
  return conversationIds;
}
