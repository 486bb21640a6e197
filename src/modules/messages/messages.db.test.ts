import { PassThrough } from 'node:stream';
import { expect, it } from 'vitest';
import { collectOwners } from '../../app.js';
import { readZip } from '../../../test/fixtures/privacy-owner/read-zip.js';
import { describeEachDialect } from '../../../test/helpers/dialects.js';
import { makeMember, type TestMember } from '../../../test/helpers/members.js';
import { tablesOf } from '../../platform/db/database.js';
import { newId } from '../../platform/db/ids.js';
import { toDbTime } from '../../platform/db/portable.js';
import { isAppError } from '../../platform/http/errors.js';
import { eraseSubject } from '../../privacy/erasure/erasure.engine.js';
import { exportSubject } from '../../privacy/export/export.engine.js';
import { isUnderHold } from '../../privacy/holds/holds.service.js';
import { createPrivacyRegistry } from '../../privacy/registry.js';
import { runRetention } from '../../privacy/retention/retention.engine.js';
import type { AuditTables } from '../../privacy/audit/audit.tables.js';
import { messagesDataMap } from './messages.privacy.js';
import { seedDemoMessages, seedMessagesForBench } from './messages.seed.js';
import {
  blockMember,
  countUnread,
  deleteConversationFor,
  deleteMessageFor,
  listConversations,
  readConversation,
  replyToConversation,
  reportMessage,
  startConversation,
  unblockMember,
} from './messages.service.js';
import { listStaffAccess, messageReportTarget } from './messages.staff-access.js';
import {
  claimCase,
  escalateCase,
  readCaseAsSupporter,
  replyAsSupporter,
  startSupportCase,
} from './messages.support.js';
import type { MessagesTables } from './messages.tables.js';

/** The code of the AppError `promise` rejects with. */
async function errorCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (isAppError(error)) return error.code;
    throw error;
  }
  throw new Error('expected the call to be refused');
}

describeEachDialect('private messages', (current) => {
  const db = () => current().db;
  const tables = () => tablesOf<MessagesTables>(db());
  const messageIds = async (conversationId: string) =>
    (
      await tables()
        .selectFrom('messages_messages')
        .select('id')
        .where('conversation_id', '=', conversationId)
        .orderBy('seq')
        .execute()
    ).map((row) => row.id);
  const conversationExists = async (id: string) =>
    (await tables()
      .selectFrom('messages_conversations')
      .select('id')
      .where('id', '=', id)
      .executeTakeFirst()) !== undefined;
  /** The audit actions recorded with `actorId` as the actor. */
  const auditActions = async (actorId: string) =>
    (
      await tablesOf<AuditTables>(db())
        .selectFrom('audit_chain as c')
        .innerJoin('audit_details as d', 'd.seq', 'c.seq')
        .select('c.action')
        .where('d.actor_id', '=', actorId)
        .orderBy('c.seq')
        .execute()
    ).map((row) => row.action);
  const pair = async (): Promise<[TestMember, TestMember]> => [
    await makeMember(db()),
    await makeMember(db()),
  ];

  it('sends, replies and counts unread messages per conversation and in total', async () => {
    const [alex, sam] = await pair();
    const { conversationId } = await startConversation(db(), {
      senderId: alex.id,
      to: [sam.username.toUpperCase()],
      body: 'Hello Sam',
    });
    expect(await countUnread(db(), sam.id)).toBe(1);
    expect(await countUnread(db(), alex.id)).toBe(0);
    await replyToConversation(db(), { senderId: alex.id, conversationId, body: 'Are you there?' });
    const inbox = await listConversations(db(), sam.id);
    expect(inbox.items).toEqual([
      expect.objectContaining({ id: conversationId, with: [alex.username], unread: 2 }),
    ]);

    const view = await readConversation(db(), sam.id, conversationId);
    expect(view.messages.map((message) => [message.senderName, message.body])).toEqual([
      [alex.username, 'Hello Sam'],
      [alex.username, 'Are you there?'],
    ]);
    expect(await countUnread(db(), sam.id)).toBe(0);
    await replyToConversation(db(), { senderId: sam.id, conversationId, body: 'Yes!' });
    expect(await countUnread(db(), alex.id)).toBe(1);
  });

  it('keeps conversations private: a non-participant gets a 404 for reading and replying', async () => {
    const [alex, sam] = await pair();
    const outsider = await makeMember(db());
    const { conversationId, messageId } = await startConversation(db(), {
      senderId: alex.id,
      to: [sam.username],
      body: 'Just us',
    });
    expect(await errorCode(readConversation(db(), outsider.id, conversationId))).toBe('not_found');
    expect(
      await errorCode(
        replyToConversation(db(), { senderId: outsider.id, conversationId, body: 'Hi' }),
      ),
    ).toBe('not_found');
    expect(
      await errorCode(deleteMessageFor(db(), { memberId: outsider.id, conversationId, messageId })),
    ).toBe('not_found');
  });

  it('allows small groups of up to 8 people, and refuses unknown names, oneself and empty messages', async () => {
    const alex = await makeMember(db());
    const others = await Promise.all(Array.from({ length: 8 }, () => makeMember(db())));
    const seven = others.slice(0, 7).map((member) => member.username);
    const { conversationId } = await startConversation(db(), {
      senderId: alex.id,
      to: seven,
      body: 'Group hello',
    });
    const participants = await tables()
      .selectFrom('messages_participants')
      .select('member_id')
      .where('conversation_id', '=', conversationId)
      .execute();
    expect(participants).toHaveLength(8);
    const refuse = (to: string[], body = 'Hi') =>
      errorCode(startConversation(db(), { senderId: alex.id, to, body }));
    expect(await refuse(others.map((member) => member.username))).toBe('validation_failed');
    expect(await refuse(['nobody-by-this-name'])).toBe('validation_failed');
    expect(await refuse([alex.username])).toBe('validation_failed');
    expect(await refuse([others[0]!.username], '   ')).toBe('validation_failed');
  });

  it('P43 a deleted message is hidden for its deleter at once and removed once every participant deleted it', async () => {
    const [alex, sam] = await pair();
    const { conversationId, messageId } = await startConversation(db(), {
      senderId: alex.id,
      to: [sam.username],
      body: 'Delete me',
    });
    const second = await replyToConversation(db(), {
      senderId: sam.id,
      conversationId,
      body: 'I stay a while',
    });

    await deleteMessageFor(db(), { memberId: alex.id, conversationId, messageId });
    expect(
      (await readConversation(db(), alex.id, conversationId)).messages.map((m) => m.id),
    ).toEqual([second.messageId]);
    expect((await readConversation(db(), sam.id, conversationId)).messages).toHaveLength(2);
    expect(await messageIds(conversationId)).toEqual([messageId, second.messageId]);

    await deleteMessageFor(db(), { memberId: sam.id, conversationId, messageId });
    expect(await messageIds(conversationId)).toEqual([second.messageId]);
    const hidden = await tables()
      .selectFrom('messages_hidden')
      .select('message_id')
      .where('message_id', '=', messageId)
      .execute();
    expect(hidden).toEqual([]);
  });

  it('P43 a deleted conversation leaves the deleter’s inbox at once and the database once everyone deleted it', async () => {
    const [alex, sam] = await pair();
    const { conversationId } = await startConversation(db(), {
      senderId: alex.id,
      to: [sam.username],
      body: 'First',
    });
    await replyToConversation(db(), { senderId: sam.id, conversationId, body: 'Second' });

    await deleteConversationFor(db(), { memberId: alex.id, conversationId });
    expect((await listConversations(db(), alex.id)).items).toEqual([]);
    expect((await listConversations(db(), sam.id)).items.map((item) => item.id)).toEqual([
      conversationId,
    ]);
    expect(await messageIds(conversationId)).toHaveLength(2);

    // A new message brings the conversation back for Alex, with that message only.
    const third = await replyToConversation(db(), {
      senderId: sam.id,
      conversationId,
      body: 'Third',
    });
    const back = await readConversation(db(), alex.id, conversationId);
    expect(back.messages.map((message) => message.body)).toEqual(['Third']);

    await deleteConversationFor(db(), { memberId: sam.id, conversationId });
    // Sam deleted everything; Alex still sees the third message, so only it is kept.
    expect(await messageIds(conversationId)).toEqual([third.messageId]);
    await deleteConversationFor(db(), { memberId: alex.id, conversationId });
    expect(await messageIds(conversationId)).toEqual([]);
    expect(await conversationExists(conversationId)).toBe(false);
  });

  it('a blocked member can neither start nor continue a conversation with the blocker, until unblocked', async () => {
    const [alex, sam] = await pair();
    const { conversationId } = await startConversation(db(), {
      senderId: sam.id,
      to: [alex.username],
      body: 'Hi Alex',
    });
    await blockMember(db(), { blockerId: alex.id, username: sam.username });
    expect(
      await errorCode(
        startConversation(db(), { senderId: sam.id, to: [alex.username], body: 'x' }),
      ),
    ).toBe('forbidden');
    expect(
      await errorCode(replyToConversation(db(), { senderId: sam.id, conversationId, body: 'x' })),
    ).toBe('forbidden');
    const view = await readConversation(db(), sam.id, conversationId);
    expect(view.canReply).toBe(false);
    // The blocker can still write.
    await replyToConversation(db(), { senderId: alex.id, conversationId, body: 'Please stop' });

    await unblockMember(db(), { blockerId: alex.id, username: sam.username });
    await replyToConversation(db(), { senderId: sam.id, conversationId, body: 'Sorry' });
    expect(
      await errorCode(unblockMember(db(), { blockerId: alex.id, username: sam.username })),
    ).toBe('not_found');
    expect(
      await errorCode(blockMember(db(), { blockerId: alex.id, username: alex.username })),
    ).toBe('validation_failed');
  });

  it('a suspended member cannot send', async () => {
    const [alex, sam] = await pair();
    const { conversationId } = await startConversation(db(), {
      senderId: alex.id,
      to: [sam.username],
      body: 'Before the suspension',
    });
    await db()
      .insertInto('forum_sanctions')
      .values({
        id: newId(),
        member_id: alex.id,
        kind: 'suspension',
        reason: 'Spam',
        created_at: toDbTime(new Date()),
        ends_at: toDbTime(new Date(Date.now() + 86_400_000)),
        lifted_at: null,
      })
      .execute();
    expect(
      await errorCode(replyToConversation(db(), { senderId: alex.id, conversationId, body: 'x' })),
    ).toBe('forbidden');
    expect(
      await errorCode(
        startConversation(db(), { senderId: alex.id, to: [sam.username], body: 'x' }),
      ),
    ).toBe('forbidden');
    // Others still can.
    await replyToConversation(db(), { senderId: sam.id, conversationId, body: 'Still here' });
  });

  it('pages the inbox with a cursor, latest conversation first', async () => {
    const alex = await makeMember(db());
    const friends = await Promise.all(Array.from({ length: 3 }, () => makeMember(db())));
    const ids: string[] = [];
    for (const friend of friends) {
      ids.push(
        (
          await startConversation(db(), {
            senderId: friend.id,
            to: [alex.username],
            body: `From ${friend.username}`,
          })
        ).conversationId,
      );
    }
    const first = await listConversations(db(), alex.id, { limit: 2 });
    expect(first.items).toHaveLength(2);
    expect(first.nextCursor).not.toBeNull();
    const second = await listConversations(db(), alex.id, {
      limit: 2,
      cursor: first.nextCursor ?? '',
    });
    expect([...first.items, ...second.items].map((item) => item.id).sort()).toEqual(
      [...ids].sort(),
    );
    expect(second.nextCursor).toBeNull();
    expect(await errorCode(listConversations(db(), alex.id, { cursor: 'not-a-cursor' }))).toBe(
      'validation_failed',
    );
  });

  it('staff read a private message only through a report, and each reading is logged and audited', async () => {
    const [alex, sam] = await pair();
    const moderator = await makeMember(db(), { roles: ['moderator'] });
    const { conversationId, messageId } = await startConversation(db(), {
      senderId: alex.id,
      to: [sam.username],
      body: 'Something nasty',
    });
    expect(
      await errorCode(
        reportMessage(db(), { memberId: alex.id, conversationId, messageId, reason: 'mine' }),
      ),
    ).toBe('validation_failed');
    const report = await reportMessage(db(), {
      memberId: sam.id,
      conversationId,
      messageId,
      reason: 'Abusive',
    });
    const filed = await db()
      .selectFrom('forum_reports')
      .select(['kind', 'target_id', 'reporter_id'])
      .where('id', '=', report.id)
      .executeTakeFirst();
    expect(filed).toEqual({ kind: 'message', target_id: messageId, reporter_id: sam.id });

    const shown = await messageReportTarget.describe(db(), messageId, { staffId: moderator.id });
    expect(shown).toEqual({
      excerpt: 'Something nasty',
      authorId: alex.id,
      authorName: alex.username,
    });
    const log = await listStaffAccess(db());
    expect(log.entries.find((entry) => entry.messageId === messageId)).toMatchObject({
      staffName: moderator.username,
      reason: 'report',
      conversationId,
    });
    expect(await auditActions(moderator.id)).toEqual(['messages.staff-read']);
  });

  it('P43 erasure deletes what the member wrote; the others keep their own messages; empty conversations go', async () => {
    const registry = createPrivacyRegistry(collectOwners());
    const [leaver, stayer] = await pair();
    const third = await makeMember(db());
    const onlyLeaver = await startConversation(db(), {
      senderId: leaver.id,
      to: [stayer.username],
      body: 'Only I wrote here',
    });
    const mixed = await startConversation(db(), {
      senderId: leaver.id,
      to: [stayer.username, third.username],
      body: 'From the leaver',
    });
    const kept = await replyToConversation(db(), {
      senderId: stayer.id,
      conversationId: mixed.conversationId,
      body: 'From the stayer',
    });
    await blockMember(db(), { blockerId: third.id, username: leaver.username });
    await deleteMessageFor(db(), {
      memberId: leaver.id,
      conversationId: mixed.conversationId,
      messageId: kept.messageId,
    });
    const supportCase = await startSupportCase(db(), {
      memberId: leaver.id,
      topic: 'sleep',
      body: 'I cannot sleep',
    });

    const outcome = await eraseSubject(db(), registry, leaver.id);
    expect(outcome.status).toBe('completed');
    expect(await conversationExists(onlyLeaver.conversationId)).toBe(false);
    expect(await messageIds(mixed.conversationId)).toEqual([kept.messageId]);
    const view = await readConversation(db(), stayer.id, mixed.conversationId);
    expect(view.messages.map((message) => message.body)).toEqual(['From the stayer']);
    expect(view.with).toEqual([third.username]);
    for (const table of ['messages_participants', 'messages_hidden'] as const) {
      const rows = await tables()
        .selectFrom(table)
        .select('member_id')
        .where('member_id', '=', leaver.id)
        .execute();
      expect(rows, table).toEqual([]);
    }
    expect(
      await tables()
        .selectFrom('messages_blocks')
        .selectAll()
        .where('blocked_id', '=', leaver.id)
        .execute(),
    ).toEqual([]);
    // P24: the Parent Supporter conversation is kept for safeguarding, and reported as kept.
    const retainedCase = await tables()
      .selectFrom('messages_support_cases')
      .select('id')
      .where('id', '=', supportCase.caseId)
      .executeTakeFirst();
    expect(retainedCase).toEqual({ id: supportCase.caseId });
    expect(outcome.retained.map((item) => item.table)).toContain('messages_support_cases');
  });

  it('P43 export: the member’s own and received messages, with the other people under a pseudonym only', async () => {
    const registry = createPrivacyRegistry(collectOwners());
    const me = await makeMember(db(), { firstName: 'Morgan', surname: 'Exporter' });
    const other = await makeMember(db(), { firstName: 'Quentin', surname: 'Otherperson' });
    const { conversationId } = await startConversation(db(), {
      senderId: other.id,
      to: [me.username],
      body: 'A message from the other person',
    });
    await replyToConversation(db(), { senderId: me.id, conversationId, body: 'My own reply' });
    const deleted = await replyToConversation(db(), {
      senderId: other.id,
      conversationId,
      body: 'One I deleted',
    });
    await deleteMessageFor(db(), { memberId: me.id, conversationId, messageId: deleted.messageId });

    const sink = new PassThrough();
    const chunks: Buffer[] = [];
    sink.on('data', (chunk: Buffer) => chunks.push(chunk));
    await exportSubject(db(), registry, me.id, sink);
    const files = readZip(Buffer.concat(chunks));
    const everything = [...files.values()].map((file) => file.toString('utf8')).join('\n');
    const data = JSON.parse(files.get('data.json')!.toString('utf8')) as {
      owners: Record<string, Record<string, Record<string, unknown>[]>>;
    };
    const rows = data.owners.messages?.messages_messages ?? [];
    expect(rows.map((row) => row.body).sort()).toEqual(
      ['A message from the other person', 'My own reply'].sort(),
    );
    const received = rows.find((row) => row.body === 'A message from the other person');
    expect(received?.sender_id).toMatch(/^person-[0-9a-f]{12}$/);
    expect(everything).not.toContain(other.id);
    expect(everything).not.toContain(other.username);
    expect(everything).not.toContain('Quentin');
    expect(everything).not.toContain(other.email);
    expect(everything).not.toContain('One I deleted');
  });

  it('P24 escalating a Parent Supporter conversation places a safeguarding hold that blocks erasure and retention', async () => {
    const member = await makeMember(db());
    const calm = await makeMember(db());
    const supporter = await makeMember(db(), { roles: ['parent_supporter'] });
    const old = new Date(Date.now() - 4 * 365 * 86_400_000);
    const escalated = await startSupportCase(db(), {
      memberId: member.id,
      topic: 'mental-health',
      body: 'I am not coping',
    });
    const ordinary = await startSupportCase(db(), {
      memberId: calm.id,
      topic: 'feeding',
      body: 'Bottle or breast?',
    });
    await claimCase(db(), { supporterId: supporter.id, caseId: escalated.caseId });
    await replyAsSupporter(db(), {
      supporterId: supporter.id,
      caseId: escalated.caseId,
      body: 'I am here. Can you tell me more?',
    });
    const viewed = await readCaseAsSupporter(db(), supporter.id, escalated.caseId);
    expect(viewed.messages).toHaveLength(2);
    expect(
      await errorCode(
        escalateCase(db(), { supporterId: supporter.id, caseId: escalated.caseId, reason: ' ' }),
      ),
    ).toBe('validation_failed');
    await escalateCase(db(), {
      supporterId: supporter.id,
      caseId: escalated.caseId,
      reason: 'Risk of harm',
    });
    expect(await isUnderHold(db(), member.id)).toBe(true);
    expect(
      await errorCode(
        escalateCase(db(), { supporterId: supporter.id, caseId: escalated.caseId, reason: 'x' }),
      ),
    ).toBe('conflict');

    // Both conversations are four years old: past the three years they are kept.
    for (const id of [escalated.caseId, ordinary.caseId]) {
      await tables()
        .updateTable('messages_support_cases')
        .set({ last_message_at: toDbTime(old), created_at: toDbTime(old) })
        .where('id', '=', id)
        .execute();
      await tables()
        .updateTable('messages_support_messages')
        .set({ created_at: toDbTime(old) })
        .where('case_id', '=', id)
        .execute();
    }
    const registry = createPrivacyRegistry([{ owner: 'messages', tables: messagesDataMap }]);
    await runRetention(db(), registry, { asOf: new Date(), dryRun: false });
    const cases = async (id: string) =>
      tables().selectFrom('messages_support_cases').select('id').where('id', '=', id).execute();
    expect(await cases(escalated.caseId)).toHaveLength(1);
    expect(await cases(ordinary.caseId)).toHaveLength(0);
    // The held conversation keeps every message, the supporter's replies included.
    const heldMessages = await tables()
      .selectFrom('messages_support_messages')
      .select('from_supporter')
      .where('case_id', '=', escalated.caseId)
      .execute();
    expect(heldMessages.map((row) => Number(row.from_supporter)).sort()).toEqual([0, 1]);

    const erasure = await eraseSubject(db(), createPrivacyRegistry(collectOwners()), member.id);
    expect(erasure.status).toBe('held');
    expect((await auditActions(supporter.id)).sort()).toEqual(
      [
        'hold.placed',
        'messages.staff-read',
        'messages.support.claimed',
        'messages.support.escalated',
        'messages.support.replied',
      ].sort(),
    );
  });

  it('the bench filler gives a member 1,000 messages that export and erasure handle in full', async () => {
    const me = await makeMember(db());
    const others = await Promise.all(Array.from({ length: 5 }, () => makeMember(db())));
    await seedMessagesForBench(
      db(),
      me.id,
      others.map((other) => other.id),
      1000,
    );
    const registry = createPrivacyRegistry(collectOwners());
    const sink = new PassThrough();
    const chunks: Buffer[] = [];
    sink.on('data', (chunk: Buffer) => chunks.push(chunk));
    await exportSubject(db(), registry, me.id, sink);
    const data = JSON.parse(readZip(Buffer.concat(chunks)).get('data.json')!.toString('utf8')) as {
      owners: Record<string, Record<string, unknown[]>>;
    };
    expect(data.owners.messages?.messages_messages).toHaveLength(1000);

    await eraseSubject(db(), registry, me.id);
    const left = await tables()
      .selectFrom('messages_participants')
      .select('conversation_id')
      .where(
        'member_id',
        'in',
        others.map((other) => other.id),
      )
      .execute();
    const remaining = await tables()
      .selectFrom('messages_messages')
      .select('sender_id')
      .where(
        'conversation_id',
        'in',
        left.length > 0 ? left.map((row) => row.conversation_id) : ['none'],
      )
      .execute();
    expect(remaining).toHaveLength(500);
    expect(remaining.every((row) => row.sender_id !== me.id)).toBe(true);
  });

  it('seed --demo adds conversations between the demo members, once', async () => {
    const emails = ['sarah', 'tom', 'priya'].map((name) => `${name}@demo.hearth.example`);
    const members = [];
    for (const email of emails) members.push(await makeMember(db(), { email }));
    const lines: string[] = [];
    await seedDemoMessages(db(), (line) => lines.push(line));
    await seedDemoMessages(db(), (line) => lines.push(line));
    expect(lines).toEqual([
      'Demo messages: two conversations between the demo members.',
      'Demo messages exist already.',
    ]);
    const sarah = members[0]!;
    const inbox = await listConversations(db(), sarah.id);
    expect(inbox.items).toHaveLength(2);
    expect(inbox.items.some((item) => item.with.length === 2)).toBe(true);
  });
});
