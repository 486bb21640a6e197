/** Process entry of the `hearth` bin (bin/hearth.js loads the compiled copy). */
import { runCli } from './cli.js';

runCli(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
}).then(
  (code) => {
    // Commands that leave nothing running end here; `serve` and `worker` never resolve.
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `hearth: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
