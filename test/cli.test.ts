import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../src/cli.js';
import type { CommandIo } from '../src/cli/command.js';
import { makeTempDir } from './helpers/config.js';

function capture(env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CommandIo = {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    env: { LOG_LEVEL: 'silent', ...env },
  };
  return { io, out, err };
}

describe('hearth CLI', () => {
  it('lists its commands', async () => {
    const { io, out } = capture();
    expect(await runCli(['--help'], io)).toBe(0);
    const text = out.join('\n');
    for (const command of ['serve', 'migrate', 'seed']) expect(text).toContain(command);
  });

  it('explains each command with --help', async () => {
    const { io, out } = capture();
    expect(await runCli(['migrate', '--help'], io)).toBe(0);
    expect(out.join('\n')).toContain('hearth migrate status');
  });

  it('refuses an unknown command or option with usage, exit 2', async () => {
    const unknown = capture();
    expect(await runCli(['frobnicate'], unknown.io)).toBe(2);
    expect(unknown.err.join('\n')).toContain('unknown command "frobnicate"');
    const badOption = capture();
    expect(await runCli(['migrate', 'up', '--nope'], badOption.io)).toBe(2);
    expect(badOption.err.join('\n')).toMatch(/Unknown option '--nope'/);
  });

  it('names the configuration key that is wrong, exit 78', async () => {
    const { io, err } = capture({ PORT: 'eighty' });
    expect(await runCli(['migrate', 'status'], io)).toBe(78);
    expect(err.join('\n')).toContain('Invalid configuration PORT');
  });

  it('migrates up, shows status, undoes one step', async () => {
    const env = { DATABASE_URL: `sqlite:${path.join(makeTempDir(), 'cli.sqlite')}` };
    const up = capture(env);
    expect(await runCli(['migrate', 'up'], up.io)).toBe(0);
    expect(up.out.at(-1)).toMatch(/^Applied \d+ migration\(s\)\.$/);

    const again = capture(env);
    expect(await runCli(['migrate', 'up'], again.io)).toBe(0);
    expect(again.out).toEqual(['Already up to date.']);

    const status = capture(env);
    expect(await runCli(['migrate', 'status'], status.io)).toBe(0);
    expect(status.out.every((line) => /^\d{4}-\d\d-\d\dT/.test(line))).toBe(true);

    const down = capture(env);
    expect(await runCli(['migrate', 'down'], down.io)).toBe(0);
    expect(down.out.at(-1)).toBe('Undid 1 migration(s).');
    const after = capture(env);
    await runCli(['migrate', 'status'], after.io);
    expect(after.out.filter((line) => line.startsWith('pending'))).toHaveLength(1);
  });

  it('seed insists on --demo', async () => {
    const { io, err } = capture();
    expect(await runCli(['seed'], io)).toBe(2);
    expect(err.join('\n')).toContain('say --demo');
  });
});
