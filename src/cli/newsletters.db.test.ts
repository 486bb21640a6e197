/**
 * `hearth newsletters send-due` and `hearth newsletters bounce` end to end on both engines:
 * counts, once only, suspension, bad options.
 */
import { expect, it } from 'vitest';
import { runCli } from '../cli.js';
import { parseCommandArgs, UsageError, type CliCommand, type CommandIo } from './command.js';
import { newslettersBounceCommand } from './newsletters.js';
import { tablesOf } from '../platform/db/database.js';
import type { EngagementTables } from '../modules/newsletters/newsletters.engagement.js';
import { describeEachDialect } from '../../test/helpers/dialects.js';
import { makeMember } from '../../test/helpers/members.js';
import { makeIssuer } from '../../test/privacy/consent-factories.js';
import { cliEnv } from '../../test/fixtures/retention-owner/cli-env.js';
import { createEdition } from '../modules/newsletters/newsletters.editions.js';
import { todayIn } from '../modules/newsletters/newsletters.preferences.js';
import { pregnancyWeek } from '../modules/newsletters/newsletters.sending.js';
import { applyNewsletterPreferences } from '../modules/newsletters/newsletters.service.js';

function capture(env: Record<string, string>) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CommandIo = { out: (line) => out.push(line), err: (line) => err.push(line), env };
  return { io, out, err };
}

describeEachDialect('hearth newsletters send-due', (current) => {
  it('queues what is due as of a date and prints the counts; a second run queues nothing', async () => {
    const { db } = current();
    const today = todayIn('Europe/London');
    const dueDate = new Date(Date.parse(`${today}T00:00:00Z`) + 50 * 86_400_000)
      .toISOString()
      .slice(0, 10);
    await createEdition(db, {
      list: 'pregnancy-weekly',
      stage: pregnancyWeek(dueDate, today)!,
      subject: 'This week',
      body: 'Hello.',
      status: 'ready',
    });
    const member = await makeMember(db);
    await applyNewsletterPreferences(db, member.id, [{ list: 'pregnancy-weekly', dueDate }], {
      method: 'form',
      noticeVersion: 1,
      issuer: makeIssuer(),
    });

    const first = capture(cliEnv(current()));
    expect(await runCli(['newsletters', 'send-due', '--as-of', today], first.io)).toBe(0);
    expect(first.out[0]).toBe(`Newsletters due on ${today}`);
    expect(first.out).toContainEqual(expect.stringMatching(/^messages queued\s+1$/));

    const second = capture(cliEnv(current()));
    expect(await runCli(['newsletters', 'send-due', '--as-of', today], second.io)).toBe(0);
    expect(second.out).toContainEqual(expect.stringMatching(/^messages queued\s+0$/));
    expect(second.out).toContainEqual(expect.stringMatching(/^already sent before\s+1$/));
  });

  it('refuses a date that does not exist, a bad batch size or a stray argument, with exit 2', async () => {
    for (const args of [['--as-of', '2030-02-30'], ['--batch-size', '0'], ['now']]) {
      const io = capture(cliEnv(current()));
      expect(await runCli(['newsletters', 'send-due', ...args], io.io)).toBe(2);
      expect(io.err.join('\n')).toContain('Usage: hearth newsletters send-due');
    }
  });
});

/** Runs a command as `runCli` does: parsed options, usage errors exit 2 with the usage. */
async function runCommand(command: CliCommand, argv: string[], io: CommandIo): Promise<number> {
  try {
    return await command.run(parseCommandArgs(command, argv), io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`hearth ${command.name.join(' ')}: ${error.message}`);
      return 2;
    }
    throw error;
  }
}

describeEachDialect('hearth newsletters bounce', (current) => {
  it('records a hard bounce or a complaint and suspends the member’s subscriptions, like the API', async () => {
    const { db } = current();
    const member = await makeMember(db);
    await applyNewsletterPreferences(db, member.id, [{ list: 'general' }], {
      method: 'form',
      noticeVersion: 1,
      issuer: makeIssuer(),
    });
    const first = capture(cliEnv(current()));
    const code = await runCommand(
      newslettersBounceCommand,
      ['--email', member.email.toUpperCase(), '--kind', 'hard'],
      first.io,
    );
    expect(code).toBe(0);
    expect(first.out).toEqual(['Recorded a hard bounce; 1 subscription suspended.']);
    const typed = tablesOf<EngagementTables>(db);
    const subscriptions = await typed
      .selectFrom('newsletters_subscriptions')
      .select(['list_key', 'suspended_at'])
      .where('user_id', '=', member.id)
      .execute();
    expect(subscriptions).toEqual([
      { list_key: 'general', suspended_at: expect.any(String) as string },
    ]);
    const bounces = await typed
      .selectFrom('newsletters_bounces')
      .select('kind')
      .where('user_id', '=', member.id)
      .execute();
    expect(bounces).toEqual([{ kind: 'hard' }]);

    const complaint = capture(cliEnv(current()));
    expect(
      await runCommand(
        newslettersBounceCommand,
        ['--email', member.email, '--kind', 'complaint'],
        complaint.io,
      ),
    ).toBe(0);
    expect(complaint.out).toEqual(['Recorded a complaint; 0 subscriptions suspended.']);
  });

  it('says so with exit 1 for an address no member has, and exit 2 for bad options', async () => {
    const unknown = capture(cliEnv(current()));
    expect(
      await runCommand(
        newslettersBounceCommand,
        ['--email', 'nobody-here@example.com', '--kind', 'hard'],
        unknown.io,
      ),
    ).toBe(1);
    expect(unknown.err).toEqual(['No member has this email address.']);
    for (const args of [
      ['--email', 'a@example.com', '--kind', 'soft'],
      ['--email', 'not an address', '--kind', 'hard'],
      ['--kind', 'hard'],
      ['--email', 'a@example.com', '--kind', 'hard', 'extra'],
      ['--mail', 'a@example.com'],
    ]) {
      const io = capture(cliEnv(current()));
      expect(await runCommand(newslettersBounceCommand, args, io.io)).toBe(2);
      expect(io.err.join('\n')).toMatch(/^hearth newsletters bounce: /);
    }
  });
});
