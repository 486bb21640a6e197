/**
 * The shape of a `hearth` command. Each command lives in its own file under src/cli/ and is
 * listed in src/cli/commands.ts; `hearth <command> --help` prints its usage.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

export interface CommandIo {
  out(line: string): void;
  err(line: string): void;
  env: Record<string, string | undefined>;
}

export interface CliCommand {
  /** Words that select it: `['migrate']`, `['retention', 'run']`. */
  name: readonly string[];
  summary: string;
  /** Lines printed by `--help` after the usage line. */
  usage: string;
  options?: ParseArgsConfig['options'];
  /** Returns the process exit code. */
  run(
    input: { values: Record<string, unknown>; positionals: string[] },
    io: CommandIo,
  ): Promise<number>;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function parseCommandArgs(command: CliCommand, argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: { help: { type: 'boolean', short: 'h' }, ...(command.options ?? {}) },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/**
 * Shows progress of a long operation on stderr: a line every `everyMs`, and a last one at the
 * end, so an operator watching a migration or a retention run sees it moving.
 */
export function progressReporter(io: CommandIo, label: string, total?: number, everyMs = 1000) {
  let done = 0;
  let last = 0;
  const started = Date.now();
  const print = () => {
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    io.err(total ? `${label}: ${done}/${total} (${seconds}s)` : `${label}: ${done} (${seconds}s)`);
  };
  return {
    advance(count = 1): void {
      done += count;
      if (Date.now() - last >= everyMs) {
        last = Date.now();
        print();
      }
    },
    finish(): void {
      print();
    },
  };
}
