/** `hearth newsletters send-due` end to end on both engines: counts, once only, bad options. */
import { expect, it } from 'vitest';
import { runCli } from '../cli.js';
import type { CommandIo } from './command.js';
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
