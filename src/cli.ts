/**
 * `hearth <command>`: the one program of DESIGN.md §6. Commands share the server's
 * environment-based configuration.
 */
import { ConfigError } from './config/config.js';
import { UsageError, parseCommandArgs, type CliCommand, type CommandIo } from './cli/command.js';
import { COMMANDS } from './cli/commands.js';

function findCommand(argv: string[]): { command: CliCommand; rest: string[] } | undefined {
  let best: { command: CliCommand; rest: string[] } | undefined;
  for (const command of COMMANDS) {
    const matches = command.name.every((word, index) => argv[index] === word);
    if (matches && (!best || command.name.length > best.command.name.length)) {
      best = { command, rest: argv.slice(command.name.length) };
    }
  }
  return best;
}

function overview(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.join(' ').length));
  return [
    'Usage: hearth <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((command) => `  ${command.name.join(' ').padEnd(width)}  ${command.summary}`),
    '',
    'Run `hearth <command> --help` for a command’s options. Configuration comes from the',
    'environment (see the README).',
  ].join('\n');
}

export async function runCli(argv: string[], io: CommandIo): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    io.out(overview());
    return argv.length === 0 ? 1 : 0;
  }
  const found = findCommand(argv);
  if (!found) {
    io.err(`hearth: unknown command "${argv.join(' ')}"\n`);
    io.err(overview());
    return 2;
  }
  const { command, rest } = found;
  const usage = () =>
    `Usage: hearth ${command.name.join(' ')} [options]\n${command.summary}\n\n${command.usage}`;
  try {
    const parsed = parseCommandArgs(command, rest);
    if (parsed.values.help === true) {
      io.out(usage());
      return 0;
    }
    return await command.run(parsed, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`hearth ${command.name.join(' ')}: ${error.message}\n\n${usage()}`);
      return 2;
    }
    if (error instanceof ConfigError) {
      io.err(`hearth: ${error.message}`);
      return 78;
    }
    throw error;
  }
}
