import { beforeAll, expect, it } from 'vitest';
import { collectOwners } from '../../app.js';
import { tablesOf, type Database } from '../../platform/db/database.js';
import { newId } from '../../platform/db/ids.js';
import {
  FIXTURE_COMMUNITY,
  FIXTURE_MIGRATIONS,
  FIXTURE_UPLOADS,
  FixtureFileStore,
  attachFile,
  fixtureOwners,
  makeChild,
  makeInvoice,
  makeMember,
  makePost,
  makeUpload,
  sendMessage,
  type FixtureTables,
} from '../../../test/fixtures/privacy-owner/index.js';
import { makeTempDir } from '../../../test/helpers/config.js';
import { describeEachDialect } from '../../../test/helpers/dialects.js';
import { appendAudit, verifyAuditChain } from '../audit/audit.service.js';
import type { AuditTables } from '../audit/audit.tables.js';
import { liftHold, placeHold } from '../holds/holds.service.js';
import { createPrivacyRegistry, type PrivacyRegistry } from '../registry.js';
import { ErasureInterruptedError, eraseSubject } from './erasure.engine.js';
import type { ErasureTables } from './erasure.tables.js';

const FIXTURE_TABLES = [
  'fixture_members',
  'fixture_children',
  'fixture_messages',
  'fixture_message_attachments',
  'fixture_posts',
  'fixture_invoices',
  'fixture_uploads',
] as const;

/** Every fixture row, for "nothing changed" comparisons. */
async function snapshot(db: Database): Promise<Record<string, unknown[]>> {
  const result: Record<string, unknown[]> = {};
  for (const table of FIXTURE_TABLES) {
    result[table] = await db.selectFrom(table).selectAll().orderBy('id').execute();
  }
  return result;
}

function fixture(db: Database) {
  return tablesOf<FixtureTables>(db);
}

/** A member with something in every fixture table, and the people around them. */
async function makeWorld(db: Database, files: FixtureFileStore) {
  const subject = await makeMember(db);
  const friend = await makeMember(db);
  const stranger = await makeMember(db);
  const children = [
    await makeChild(db, subject.id),
    await makeChild(db, subject.id, { nickname: 'Pip' }),
  ];
  const friendsChild = await makeChild(db, friend.id);
  const sent = await sendMessage(db, subject.id, friend.id, { body: 'Coffee on Thursday?' });
  const sentAttachment = await attachFile(db, sent.id, { file_name: 'map.png' });
  const received = await sendMessage(db, friend.id, subject.id, { body: 'Yes please!' });
  const receivedAttachment = await attachFile(db, received.id, { file_name: 'menu.pdf' });
  const toSelf = await sendMessage(db, subject.id, subject.id, { body: 'Note to self' });
  const unrelated = await sendMessage(db, friend.id, stranger.id);
  const posts = [
    await makePost(db, subject.id),
    await makePost(db, subject.id, { body: 'Second' }),
  ];
  const friendsPost = await makePost(db, friend.id, { author_display: 'friend' });
  const invoice = await makeInvoice(db, subject.id);
  const friendsInvoice = await makeInvoice(db, friend.id);
  const upload = await makeUpload(db, files, subject.id, Buffer.from('subject scan'));
  const friendsUpload = await makeUpload(db, files, friend.id, Buffer.from('friend scan'));
  await appendAudit(db, { action: 'consent.granted', actorId: subject.id, subjectId: subject.id });
  await appendAudit(db, { action: 'data.viewed', actorId: subject.id, subjectId: friend.id });
  return {
    subject,
    friend,
    stranger,
    children,
    friendsChild,
    sent,
    sentAttachment,
    received,
    receivedAttachment,
    toSelf,
    unrelated,
    posts,
    friendsPost,
    invoice,
    friendsInvoice,
    upload,
    friendsUpload,
  };
}

describeEachDialect(
  'erasure engine',
  (current) => {
    let files: FixtureFileStore;
    let registry: PrivacyRegistry;
    beforeAll(() => {
      files = new FixtureFileStore(makeTempDir('hearth-uploads-'));
      registry = createPrivacyRegistry([...collectOwners(), ...fixtureOwners({ files })]);
    });

    it('applies each table’s declaration in foreign-key order and reports what it removed and kept', async () => {
      const { db } = current();
      const world = await makeWorld(db, files);
      const outcome = await eraseSubject(db, registry, world.subject.id, {
        actorId: world.subject.id,
        reason: 'Self-service erasure request',
      });
      expect(outcome.status).toBe('completed');

      // delete: the member, their children (via), the messages they sent and their attachments
      // (via the message), their uploads and the files behind them (hook).
      const members = await fixture(db).selectFrom('fixture_members').select('id').execute();
      expect(members.map((row) => row.id)).not.toContain(world.subject.id);
      expect(members.map((row) => row.id)).toEqual(
        expect.arrayContaining([world.friend.id, world.stranger.id]),
      );
      const children = await fixture(db).selectFrom('fixture_children').select('id').execute();
      expect(children.map((row) => row.id)).toContain(world.friendsChild.id);
      expect(children.map((row) => row.id)).not.toContain(world.children[0]?.id);
      const messages = await fixture(db).selectFrom('fixture_messages').selectAll().execute();
      const byId = new Map(messages.map((row) => [row.id, row]));
      expect(byId.has(world.sent.id)).toBe(false);
      expect(byId.has(world.toSelf.id)).toBe(false);
      // The friend's message to the subject stays the friend's; only the link to the subject goes.
      expect(byId.get(world.received.id)).toMatchObject({
        sender_id: world.friend.id,
        recipient_id: null,
        body: 'Yes please!',
      });
      expect(byId.get(world.unrelated.id)).toEqual(world.unrelated);
      const attachments = await fixture(db)
        .selectFrom('fixture_message_attachments')
        .select('id')
        .execute();
      expect(attachments.map((row) => row.id)).toContain(world.receivedAttachment.id);
      expect(attachments.map((row) => row.id)).not.toContain(world.sentAttachment.id);
      const uploads = await fixture(db).selectFrom('fixture_uploads').select('id').execute();
      expect(uploads.map((row) => row.id)).toEqual([world.friendsUpload.id]);
      expect(files.has(world.upload.storage_key)).toBe(false);
      expect(files.has(world.friendsUpload.storage_key)).toBe(true);

      // anonymise: posts stay, without the author.
      const posts = await fixture(db)
        .selectFrom('fixture_posts')
        .selectAll()
        .where(
          'id',
          'in',
          world.posts.map((post) => post.id),
        )
        .orderBy('id')
        .execute();
      expect(posts).toEqual(
        world.posts.map((post) => ({
          ...post,
          author_id: null,
          author_display: 'former member',
          ip_address: null,
        })),
      );
      expect(
        await fixture(db)
          .selectFrom('fixture_posts')
          .selectAll()
          .where('id', '=', world.friendsPost.id)
          .executeTakeFirst(),
      ).toEqual(world.friendsPost);

      // retain: invoices stay whole, with the reason reported.
      expect(
        await fixture(db)
          .selectFrom('fixture_invoices')
          .selectAll()
          .where('id', '=', world.invoice.id)
          .executeTakeFirst(),
      ).toEqual(world.invoice);
      const retainedIn = (table: string) => outcome.retained.filter((item) => item.table === table);
      expect(retainedIn('fixture_invoices')).toEqual([
        { table: 'fixture_invoices', count: 1, reason: expect.any(String) as string },
      ]);
      expect(retainedIn('fixture_invoices')[0]?.reason).toContain('HMRC');
      expect(retainedIn('fixture_messages')).toEqual([
        { table: 'fixture_messages', count: 1, reason: expect.any(String) as string },
      ]);
      expect(retainedIn('fixture_messages')[0]?.reason).toContain('other person');
      expect(outcome.removedByTable).toEqual(
        expect.arrayContaining([
          { table: 'fixture_members', count: 1, action: 'deleted' },
          { table: 'fixture_children', count: 2, action: 'deleted' },
          { table: 'fixture_messages', count: 2, action: 'deleted' },
          { table: 'fixture_message_attachments', count: 1, action: 'deleted' },
          { table: 'fixture_posts', count: 2, action: 'anonymised' },
          { table: 'fixture_uploads', count: 1, action: 'deleted' },
          { table: FIXTURE_UPLOADS, count: 1, action: 'hook' },
          { table: 'audit_subject_refs', count: 1, action: 'deleted' },
        ]),
      );
      expect(outcome.removed).toBe(
        outcome.removedByTable.reduce((sum, item) => sum + item.count, 0),
      );

      // The audit log: the subject's details and pseudonym are gone, the chain is whole, and
      // the completion entry names the run, not the person.
      const audit = tablesOf<AuditTables>(db);
      expect(
        await audit
          .selectFrom('audit_subject_refs')
          .select('ref')
          .where('subject_id', '=', world.subject.id)
          .execute(),
      ).toEqual([]);
      expect(
        await audit
          .selectFrom('audit_details')
          .select('seq')
          .where('subject_id', '=', world.subject.id)
          .execute(),
      ).toEqual([]);
      const actedOnFriend = await audit
        .selectFrom('audit_details')
        .selectAll()
        .where('subject_id', '=', world.friend.id)
        .execute();
      expect(actedOnFriend).toHaveLength(1);
      expect(actedOnFriend[0]?.actor_id).toBeNull();
      expect((await verifyAuditChain(db)).ok).toBe(true);
      const completed = await audit
        .selectFrom('audit_chain')
        .innerJoin('audit_details', 'audit_details.seq', 'audit_chain.seq')
        .select(['audit_chain.subject_ref', 'audit_details.detail', 'audit_details.subject_id'])
        .where('audit_chain.action', '=', 'erasure.completed')
        .orderBy('audit_chain.seq', 'desc')
        .executeTakeFirstOrThrow();
      expect(completed.subject_ref).toBeNull();
      expect(completed.subject_id).toBeNull();
      expect(completed.detail).not.toContain(world.subject.id);
      expect(JSON.parse(completed.detail)).toMatchObject({
        runId: outcome.runId,
        removed: outcome.removed,
      });

      const run = await tablesOf<ErasureTables>(db)
        .selectFrom('privacy_erasure_runs')
        .selectAll()
        .where('id', '=', outcome.runId)
        .executeTakeFirstOrThrow();
      expect(run).toMatchObject({
        status: 'completed',
        open_subject_id: null,
        subject_id: world.subject.id,
        reason: 'Self-service erasure request',
      });

      // A second run finds nothing more to remove and changes nothing.
      const before = await snapshot(db);
      const again = await eraseSubject(db, registry, world.subject.id);
      expect(again.status).toBe('completed');
      expect(again.removed).toBe(0);
      expect(again.retained).toContainEqual(
        expect.objectContaining({ table: 'fixture_invoices', count: 1 }),
      );
      expect(await snapshot(db)).toEqual(before);
    });

    it('resumes after an interruption between owners and completes on the rerun', async () => {
      const { db } = current();
      const world = await makeWorld(db, files);
      const interrupted = eraseSubject(db, registry, world.subject.id, {
        interruptAfterOwner: FIXTURE_UPLOADS,
      });
      await expect(interrupted).rejects.toBeInstanceOf(ErasureInterruptedError);
      const error = (await interrupted.catch(
        (caught: unknown) => caught,
      )) as ErasureInterruptedError;

      // The uploads owner (which references members, so goes first) is done; the rest is not.
      expect(
        await fixture(db)
          .selectFrom('fixture_uploads')
          .select('id')
          .where('member_id', '=', world.subject.id)
          .execute(),
      ).toEqual([]);
      expect(
        await fixture(db)
          .selectFrom('fixture_members')
          .select('id')
          .where('id', '=', world.subject.id)
          .execute(),
      ).toHaveLength(1);
      const steps = await tablesOf<ErasureTables>(db)
        .selectFrom('privacy_erasure_steps')
        .select('owner')
        .where('run_id', '=', error.runId)
        .execute();
      // Owners with no foreign-key tie to the fixture (the application's own) may come before
      // it; what matters is that the uploads step is done and the members' owner's is not.
      const done = steps.map((step) => step.owner);
      expect(done).toContain(FIXTURE_UPLOADS);
      expect(done).not.toContain(FIXTURE_COMMUNITY);

      const resumed = await eraseSubject(db, registry, world.subject.id);
      expect(resumed.status).toBe('completed');
      expect(resumed.runId).toBe(error.runId);
      expect(
        await fixture(db)
          .selectFrom('fixture_members')
          .select('id')
          .where('id', '=', world.subject.id)
          .execute(),
      ).toEqual([]);
      // The whole run's report, both halves included.
      expect(resumed.removedByTable).toEqual(
        expect.arrayContaining([
          { table: 'fixture_uploads', count: 1, action: 'deleted' },
          { table: 'fixture_members', count: 1, action: 'deleted' },
        ]),
      );
      const finalSteps = await tablesOf<ErasureTables>(db)
        .selectFrom('privacy_erasure_steps')
        .select('owner')
        .where('run_id', '=', error.runId)
        .execute();
      const owners = finalSteps.map((step) => step.owner);
      expect(owners).toEqual(
        expect.arrayContaining([FIXTURE_UPLOADS, FIXTURE_COMMUNITY, 'privacy']),
      );
      expect(new Set(owners).size).toBe(owners.length);
      expect((await verifyAuditChain(db)).ok).toBe(true);
    });

    it('P34 refuses to erase while a hold applies, changing nothing, and erases once it is lifted', async () => {
      const { db } = current();
      const world = await makeWorld(db, files);
      const staffId = newId();
      const hold = await placeHold(db, {
        subjectId: world.subject.id,
        kind: 'legal',
        reason: 'Police request under Schedule 2, reference 44/2026.',
        placedBy: staffId,
      });
      const before = await snapshot(db);
      const refused = await eraseSubject(db, registry, world.subject.id, {
        actorId: world.subject.id,
      });
      expect(refused).toMatchObject({ status: 'held', removed: 0, retained: [] });
      expect(await snapshot(db)).toEqual(before);
      expect(files.has(world.upload.storage_key)).toBe(true);
      const run = await tablesOf<ErasureTables>(db)
        .selectFrom('privacy_erasure_runs')
        .selectAll()
        .where('id', '=', refused.runId)
        .executeTakeFirstOrThrow();
      expect(run.status).toBe('refused');

      await liftHold(db, { holdId: hold.id, liftedBy: staffId, reason: 'Request withdrawn.' });
      const erased = await eraseSubject(db, registry, world.subject.id);
      expect(erased.status).toBe('completed');
      expect(erased.runId).not.toBe(refused.runId);
      // The lifted hold's record is kept, as declared, and reported.
      expect(erased.retained).toContainEqual(
        expect.objectContaining({ table: 'privacy_holds', count: 1 }),
      );
    });

    it('P34 a hold placed during a run stops it before the next owner; the run resumes after', async () => {
      const { db } = current();
      const world = await makeWorld(db, files);
      await expect(
        eraseSubject(db, registry, world.subject.id, { interruptAfterOwner: FIXTURE_UPLOADS }),
      ).rejects.toBeInstanceOf(ErasureInterruptedError);
      const hold = await placeHold(db, {
        subjectId: world.subject.id,
        kind: 'safeguarding',
        reason: 'Concern raised by a Parent Supporter.',
        placedBy: newId(),
      });
      const before = await snapshot(db);
      const paused = await eraseSubject(db, registry, world.subject.id);
      expect(paused.status).toBe('held');
      expect(await snapshot(db)).toEqual(before);

      await liftHold(db, { holdId: hold.id, liftedBy: newId(), reason: 'No further concern.' });
      const done = await eraseSubject(db, registry, world.subject.id);
      expect(done).toMatchObject({ status: 'completed', runId: paused.runId });
    });

    it('P24 P34 keeps whole a message that names someone under a hold, with what it refers to', async () => {
      const { db } = current();
      const sender = await makeMember(db);
      const heldRecipient = await makeMember(db);
      const otherRecipient = await makeMember(db);
      const evidence = await sendMessage(db, sender.id, heldRecipient.id, {
        body: 'You must not tell anyone.',
      });
      const ordinary = await sendMessage(db, sender.id, otherRecipient.id);
      const hold = await placeHold(db, {
        subjectId: heldRecipient.id,
        kind: 'safeguarding',
        reason: 'Child protection referral.',
        placedBy: newId(),
      });

      const outcome = await eraseSubject(db, registry, sender.id);
      expect(outcome.status).toBe('completed');
      const messages = await fixture(db)
        .selectFrom('fixture_messages')
        .selectAll()
        .where('id', 'in', [evidence.id, ordinary.id])
        .execute();
      expect(messages).toEqual([evidence]);
      // The sender's member row is still referenced by the kept message, so it stays too.
      expect(
        await fixture(db)
          .selectFrom('fixture_members')
          .select('id')
          .where('id', '=', sender.id)
          .execute(),
      ).toHaveLength(1);
      expect(outcome.retained).toEqual(
        expect.arrayContaining([
          {
            table: 'fixture_messages',
            count: 1,
            reason: expect.stringContaining('hold') as unknown as string,
          },
          {
            table: 'fixture_members',
            count: 1,
            reason: expect.stringContaining('refers') as unknown as string,
          },
        ]),
      );

      // When the hold ends, erasing again finishes the job.
      await liftHold(db, { holdId: hold.id, liftedBy: newId(), reason: 'Case closed.' });
      const finished = await eraseSubject(db, registry, sender.id);
      expect(finished.status).toBe('completed');
      expect(
        await fixture(db)
          .selectFrom('fixture_messages')
          .select('id')
          .where('id', '=', evidence.id)
          .execute(),
      ).toEqual([]);
      expect(
        await fixture(db)
          .selectFrom('fixture_members')
          .select('id')
          .where('id', '=', sender.id)
          .execute(),
      ).toEqual([]);
    });

    it('keeps a message that another member’s kept reply still refers to, and reports it', async () => {
      const { db } = current();
      const subject = await makeMember(db);
      const friend = await makeMember(db);
      const question = await sendMessage(db, subject.id, friend.id, { body: 'Any tips?' });
      const answer = await sendMessage(db, friend.id, subject.id, {
        body: 'Plenty!',
        reply_to_id: question.id,
      });
      const thanks = await sendMessage(db, subject.id, friend.id, {
        body: 'Thank you',
        reply_to_id: answer.id,
      });
      const ownThread = await sendMessage(db, subject.id, friend.id, { body: 'First' });
      const ownFollowUp = await sendMessage(db, subject.id, friend.id, {
        body: 'And another thing',
        reply_to_id: ownThread.id,
      });

      const outcome = await eraseSubject(db, registry, subject.id);
      expect(outcome.status).toBe('completed');
      const left = await fixture(db)
        .selectFrom('fixture_messages')
        .select(['id', 'sender_id', 'recipient_id'])
        .where('id', 'in', [question.id, answer.id, thanks.id, ownThread.id, ownFollowUp.id])
        .orderBy('id')
        .execute();
      // The friend's answer stays (unlinked from the subject) and keeps the question it answers;
      // the subject's own reply to their own message goes with it in the same statement.
      expect(left).toEqual([
        { id: question.id, sender_id: subject.id, recipient_id: friend.id },
        { id: answer.id, sender_id: friend.id, recipient_id: null },
      ]);
      expect(
        outcome.retained
          .filter((item) => item.table === 'fixture_messages')
          .map((item) => item.count),
      ).toEqual(expect.arrayContaining([1, 1]));
      expect(outcome.retained.map((item) => item.reason)).toContainEqual(
        expect.stringContaining('refers') as string,
      );
    });

    it('refuses a missing subject id with a 400', async () => {
      const { db } = current();
      await expect(eraseSubject(db, registry, '')).rejects.toMatchObject({ statusCode: 400 });
    });
  },
  { extraMigrationFolders: [FIXTURE_MIGRATIONS] },
);
