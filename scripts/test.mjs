// `npm test`: everything CI runs (DESIGN.md §7): typecheck, lint, every test on SQLite and, when
// TEST_DATABASE_URL is set, on PostgreSQL, then the browser journeys when Chromium is present.
// Under CI=true a missing PostgreSQL or Chromium fails the run instead of skipping.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

const isCi = process.env.CI === 'true';
const e2eOnly = process.argv.includes('--e2e-only');
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

function step(title, command, args) {
  process.stderr.write(`\n▶ ${title}\n`);
  const started = Date.now();
  const result = spawnSync(command, args, { stdio: 'inherit', env: process.env });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (result.status !== 0) {
    process.stderr.write(`✗ ${title} failed after ${seconds}s\n`);
    process.exit(result.status ?? 1);
  }
  process.stderr.write(`✓ ${title} (${seconds}s)\n`);
}

const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';

if (!e2eOnly) {
  if (!process.env.TEST_DATABASE_URL) {
    if (isCi) {
      process.stderr.write(
        'CI=true but TEST_DATABASE_URL is not set: PostgreSQL tests are required.\n',
      );
      process.exit(1);
    }
    process.stderr.write('TEST_DATABASE_URL is not set: database tests run on SQLite only.\n');
  }
  step('typecheck', npx, ['tsc', '-p', 'tsconfig.json', '--noEmit']);
  step('lint', npx, ['eslint', '.']);
  step('format', npx, ['prettier', '--check', '.']);
  step('tests (SQLite' + (process.env.TEST_DATABASE_URL ? ' and PostgreSQL)' : ')'), npx, [
    'vitest',
    'run',
  ]);
}

if (fs.existsSync(chromium)) {
  step('build', process.execPath, ['scripts/build.mjs']);
  step('browser journeys', npx, ['vitest', 'run', '--config', 'vitest.e2e.config.ts']);
} else if (isCi) {
  process.stderr.write(
    `CI=true but Chromium is missing at ${chromium}: browser journeys are required.\n`,
  );
  process.exit(1);
} else {
  process.stderr.write(`Chromium not found at ${chromium}: browser journeys skipped.\n`);
}
