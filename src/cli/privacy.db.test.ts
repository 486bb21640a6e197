/** `hearth privacy publish` and `hearth privacy ropa` end to end on both engines. */
import { expect, it } from 'vitest';
import { runCli } from '../cli.js';
import type { CommandIo } from './command.js';
import { describeEachDialect } from '../../test/helpers/dialects.js';
import { listNoticeVersions } from '../privacy/notice/notice.service.js';
import type { Ropa } from '../privacy/ropa.js';
import { cliEnv } from '../../test/fixtures/retention-owner/cli-env.js';

function capture(env: Record<string, string>) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CommandIo = { out: (line) => out.push(line), err: (line) => err.push(line), env };
  return { io, out, err };
}

describeEachDialect('hearth privacy', (current) => {
  it('P57 publish snapshots the next version with its summary, marking material changes', async () => {
    const first = capture(cliEnv(current()));
    expect(await runCli(['privacy', 'publish', '--summary', 'Our first notice.'], first.io)).toBe(
      0,
    );
    expect(first.out).toEqual(['Published version 1 of the privacy notice.']);

    const second = capture(cliEnv(current()));
    expect(
      await runCli(
        ['privacy', 'publish', '--material', '--summary', 'We now use a survey platform.'],
        second.io,
      ),
    ).toBe(0);
    expect(second.out).toEqual(['Published version 2 of the privacy notice (material change).']);

    expect(await listNoticeVersions(current().db)).toEqual([
      expect.objectContaining({
        version: 2,
        summary: 'We now use a survey platform.',
        material: true,
      }),
      expect.objectContaining({ version: 1, summary: 'Our first notice.', material: false }),
    ]);
  });

  it('publish refuses to run without a summary', async () => {
    for (const args of [[], ['--summary', '   '], ['--summary', 'x'.repeat(501)]]) {
      const io = capture(cliEnv(current()));
      expect(await runCli(['privacy', 'publish', ...args], io.io)).toBe(2);
      expect(io.err.join('\n')).toMatch(/--summary/);
    }
    expect(await listNoticeVersions(current().db)).toHaveLength(2);
  });

  it('ropa prints the record of processing as CSV by default, or JSON', async () => {
    const csv = capture(cliEnv(current()));
    expect(await runCli(['privacy', 'ropa'], csv.io)).toBe(0);
    const text = csv.out.join('\n');
    expect(text.startsWith('Processing activity,Owner,Tables,Purpose,')).toBe(true);
    expect(text).toContain('Your privacy choices and requests: Running your account');
    expect(text.endsWith('\r')).toBe(true);

    const json = capture(cliEnv(current()));
    expect(await runCli(['privacy', 'ropa', '--format', 'json'], json.io)).toBe(0);
    const ropa = JSON.parse(json.out.join('\n')) as Ropa;
    expect(ropa.activities).toContainEqual(
      expect.objectContaining({
        owner: 'privacy',
        tables: expect.arrayContaining(['privacy_retention_warnings']) as unknown,
      }),
    );

    const bad = capture(cliEnv(current()));
    expect(await runCli(['privacy', 'ropa', '--format', 'xml'], bad.io)).toBe(2);
  });
});
