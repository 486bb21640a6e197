/**
 * `hearth retention run` end to end on both engines: options, the printed table, progress on
 * stderr, and that a dry run changes nothing.
 */
import { expect, it } from 'vitest';
import { runCli } from '../cli.js';
import type { CommandIo } from './command.js';
import { describeEachDialect } from '../../test/helpers/dialects.js';
import { cliEnv } from '../../test/fixtures/retention-owner/cli-env.js';
import { parseAsOf } from './retention.js';

function capture(env: Record<string, string>) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CommandIo = { out: (line) => out.push(line), err: (line) => err.push(line), env };
  return { io, out, err };
}

describeEachDialect('hearth retention run', (current) => {
  const warningIds = async () =>
    (
      await current()
        .db.selectFrom('privacy_retention_warnings')
        .select('id')
        .orderBy('id')
        .execute()
    ).map((row) => row.id);

  it('reports per rule with --dry-run and changes nothing, then applies the rules for real', async () => {
    // The retention engine's own table: warnings are deleted a year after they were sent.
    await current()
      .db.insertInto('privacy_retention_warnings')
      .values(
        [
          ['w-old', '2029-06-01T00:00:00.000Z'],
          ['w-edge', '2029-06-15T00:00:00.000Z'],
          ['w-new', '2029-06-15T00:00:00.001Z'],
        ].map(([id, warnedAt], index) => ({
          id,
          table_name: 'accounts',
          rule_index: 0,
          subject_id: `member-${index}`,
          basis_time: '2026-01-01T00:00:00.000Z',
          warned_at: warnedAt,
          erases_at: '2029-07-15T00:00:00.000Z',
        })),
      )
      .execute();

    const dry = capture(cliEnv(current()));
    expect(await runCli(['retention', 'run', '--dry-run', '--as-of', '2030-06-15'], dry.io)).toBe(
      0,
    );
    expect(await warningIds()).toEqual(['w-edge', 'w-new', 'w-old']);
    expect(dry.out[0]).toBe(
      'Retention run as of 2030-06-15T00:00:00.000Z (dry run: nothing was changed)',
    );
    expect(dry.out[1]).toMatch(
      /^table\s+rule\s+action\s+matched\s+applied\s+held\s+warned\s+waiting$/,
    );
    expect(dry.out).toContainEqual(
      expect.stringMatching(/^privacy_retention_warnings\s+0\s+delete\s+2\s+2\s+0\s+0\s+0$/),
    );
    expect(dry.err.join('\n')).toMatch(/retention: rows examined: \d+/);

    const real = capture(cliEnv(current()));
    expect(
      await runCli(['retention', 'run', '--as-of', '2030-06-15', '--batch-size', '1'], real.io),
    ).toBe(0);
    expect(await warningIds()).toEqual(['w-new']);
    expect(real.out[0]).toBe('Retention run as of 2030-06-15T00:00:00.000Z');
  });

  it('refuses a date that does not exist, a bad batch size or a stray argument, with exit 2', async () => {
    for (const args of [
      ['--as-of', '2030-02-30'],
      ['--as-of', 'yesterday'],
      ['--batch-size', '0'],
      ['--batch-size', 'lots'],
      ['now'],
    ]) {
      const io = capture(cliEnv(current()));
      expect(await runCli(['retention', 'run', ...args], io.io)).toBe(2);
      expect(io.err.join('\n')).toContain('Usage: hearth retention run');
    }
  });
});

it('reads --as-of as a UTC date or time', () => {
  expect(parseAsOf('2031-01-31').toISOString()).toBe('2031-01-31T00:00:00.000Z');
  expect(parseAsOf('2031-01-31T10:15:00Z').toISOString()).toBe('2031-01-31T10:15:00.000Z');
  expect(() => parseAsOf('2031-13-01')).toThrow(/not a calendar date/);
  expect(() => parseAsOf('2031-02-29T10:00:00Z')).toThrow(/YYYY-MM-DD/);
});
