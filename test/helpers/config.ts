import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/config/config.js';

/** A temp folder removed when the process exits. */
export function makeTempDir(prefix = 'hearth-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A configuration for tests: quiet logs, a temp DATA_DIR, a fixed secret, generous limits. */
export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    LOG_LEVEL: 'silent',
    DATA_DIR: makeTempDir(),
    SECRET_KEY: 'test-secret-key-that-is-long-enough-0123456789',
    WORKER_IN_SERVE: 'false',
    RATE_LIMIT_MAX: '100000',
    RATE_LIMIT_SENSITIVE_MAX: '100000',
    DEMO_ADS: 'true',
    ...env,
  });
}
