import { PassThrough } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDuration } from '../../platform/datamap.js';
import { tablesOf } from '../../platform/db/database.js';
import { newId } from '../../platform/db/ids.js';
import type { MailTables } from '../../platform/mail/mail.tables.js';
import type { SessionTables } from '../../platform/http/sessions.tables.js';
import { eraseSubject } from '../../privacy/erasure/erasure.engine.js';
import { exportSubject } from '../../privacy/export/export.engine.js';
import { placeHold } from '../../privacy/holds/holds.service.js';
import { runRetention } from '../../privacy/retention/retention.engine.js';
import { readZip } from '../../../test/fixtures/privacy-owner/read-zip.js';
import { buildTestApp } from '../../../test/helpers/app.js';
import { describeEachDialect } from '../../../test/helpers/dialects.js';
import { loginAs, makeMember } from '../../../test/helpers/members.js';
import type { AccountsTables } from './accounts.tables.js';
import { generateTotpSecret } from './totp.js';

describeEachDialect('accounts privacy', (current) => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestApp(current());
  });
  afterAll(async () => {
    await app.close();
  });

  const accountExists = async (id: string) =>
    (await tablesOf<AccountsTables>(current().db)
      .selectFrom('accounts_users')
      .select('id')
      .where('id', '=', id)
      .executeTakeFirst()) !== undefined;
  const mailsTo = (address: string) =>
    tablesOf<MailTables>(current().db)
      .selectFrom('outbox')
      .selectAll()
      .where('to_address', '=', address)
      .where('category', '=', 'account.inactivity-warning')
      .execute();
  const retention = (asOf: Date) =>
    runRetention(current().db, app.privacyRegistry, { asOf, dryRun: false });

  describe('inactivity (P35)', () => {
    it('P35 P34 warns 30 days ahead, erases only 30 days after the warning, and keeps a held account', async () => {
      const now = new Date();
      // Due for its warning exactly now: erasure would fall 30 days from now.
      const edgeActiveAt = addDuration(addDuration(now, 'P30D'), 'P3Y', -1);
      const fresh = await makeMember(current().db, { lastActiveAt: addDuration(now, 'P2Y', -1) });
      const edge = await makeMember(current().db, { lastActiveAt: edgeActiveAt });
      const notYet = await makeMember(current().db, {
        lastActiveAt: new Date(edgeActiveAt.getTime() + 60_000),
      });
      const expired = await makeMember(current().db, { lastActiveAt: addDuration(now, 'P4Y', -1) });
      const held = await makeMember(current().db, { lastActiveAt: addDuration(now, 'P4Y', -1) });
      await placeHold(current().db, {
        subjectId: held.id,
        kind: 'legal',
        reason: 'Evidence in a court case',
        placedBy: newId(),
      });

      await retention(now);
      await app.runDueJobs();
      const warnedMails = await mailsTo(edge.email);
      expect(warnedMails).toHaveLength(1);
      const mail = warnedMails[0];
      expect(mail?.text_body).toContain(`${app.config.publicUrl}/login`);
      expect(mail?.text_body).toMatch(/will be deleted on \w+day,? \d{1,2} \w+ \d{4}\./);
      expect(await mailsTo(expired.email)).toHaveLength(1);
      for (const member of [fresh, notYet, held])
        expect(await mailsTo(member.email)).toHaveLength(0);

      // The account erased long after three years still gets its full 30 days.
      await retention(addDuration(now, 'P29D'));
      await app.runDueJobs();
      for (const member of [edge, expired]) expect(await accountExists(member.id)).toBe(true);
      // Warned once only, however often the run repeats.
      expect(await mailsTo(edge.email)).toHaveLength(1);

      await retention(new Date(addDuration(now, 'P30D').getTime() + 60_000));
      expect(await accountExists(edge.id)).toBe(false);
      expect(await accountExists(expired.id)).toBe(false);
      expect(await accountExists(fresh.id)).toBe(true);
      expect(await accountExists(notYet.id)).toBe(true);
      expect(await accountExists(held.id)).toBe(true);
      // Erasure takes the member's mails with the account.
      expect(await mailsTo(edge.email)).toHaveLength(0);
    });

    it('P35 does not warn a member who came back after the warning was queued', async () => {
      const now = new Date();
      const member = await makeMember(current().db, { lastActiveAt: addDuration(now, 'P4Y', -1) });
      await retention(now);
      await tablesOf<AccountsTables>(current().db)
        .updateTable('accounts_users')
        .set({ last_active_at: now.toISOString() })
        .where('id', '=', member.id)
        .execute();
      await app.runDueJobs();
      expect(await mailsTo(member.email)).toHaveLength(0);
    });
  });

  it('exports the account without password hash or TOTP secret', async () => {
    const member = await makeMember(current().db, {
      roles: ['moderator'],
      totpSecret: generateTotpSecret(),
      secretKey: app.secretKey,
    });
    const output = new PassThrough();
    const chunks: Buffer[] = [];
    output.on('data', (chunk: Buffer) => chunks.push(chunk));
    await exportSubject(current().db, app.privacyRegistry, member.id, output);
    const data = JSON.parse(
      readZip(Buffer.concat(chunks)).get('data.json')?.toString('utf8') ?? '{}',
    ) as {
      owners: Record<string, Record<string, Record<string, unknown>[]>>;
    };
    const users = data.owners.accounts?.accounts_users ?? [];
    expect(users).toHaveLength(1);
    expect(users[0]).toMatchObject({ email: member.email, username: member.username });
    for (const secret of ['password_hash', 'totp_secret', 'totp_last_step']) {
      expect(users[0]).not.toHaveProperty(secret);
    }
    expect(data.owners.accounts?.accounts_roles).toEqual([
      expect.objectContaining({ role: 'moderator' }),
    ]);
    expect(JSON.stringify(data)).not.toContain('$argon2id$');
  });

  it('erases the account with its sessions, roles, tokens and identities', async () => {
    const member = await makeMember(current().db, { roles: ['editor'] });
    const other = await makeMember(current().db);
    const session = await loginAs(app, member, { kind: 'bearer' });
    const otherSession = await loginAs(app, other);
    await app.inject({
      method: 'POST',
      url: '/api/v1/auth/password-reset',
      headers: { origin: app.config.publicUrl },
      payload: { email: member.email },
    });
    const accounts = tablesOf<AccountsTables>(current().db);
    await accounts
      .insertInto('accounts_identities')
      .values({
        id: newId(),
        user_id: member.id,
        provider: 'example',
        provider_subject: `sub-${member.id}`,
        email: member.email,
        created_at: new Date().toISOString(),
        last_used_at: null,
      })
      .execute();

    const outcome = await eraseSubject(current().db, app.privacyRegistry, member.id);
    expect(outcome.status).toBe('completed');
    expect(await accountExists(member.id)).toBe(false);
    for (const table of ['accounts_roles', 'accounts_tokens', 'accounts_identities'] as const) {
      const rows = await accounts
        .selectFrom(table)
        .select('user_id')
        .where('user_id', '=', member.id)
        .execute();
      expect(rows, table).toHaveLength(0);
    }
    const sessions = await tablesOf<SessionTables>(current().db)
      .selectFrom('sessions')
      .select('id')
      .where('user_id', 'in', [member.id, other.id])
      .execute();
    expect(sessions.map((row) => row.id)).toEqual([otherSession.sessionId]);
    expect((await app.inject({ url: '/api/v1/me', headers: session.headers })).statusCode).toBe(
      401,
    );
  });
});
