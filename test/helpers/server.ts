/**
 * Starts the REAL built server (`node bin/hearth.js serve`, as an operator would) on a free
 * loopback port with a fresh DATA_DIR (SQLite), and waits until `/healthz` answers. Browser
 * journeys run against it, so they see exactly the headers, assets and pages of a deployment.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BUILT_ENTRY = path.join(ROOT, 'dist/main.js');

export interface StartedServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  dataDir: string;
  /** What the server printed so far (for failure messages). */
  output(): string;
  /** SIGTERM, then SIGKILL if it has not exited in time; removes the data folder. */
  stop(): Promise<void>;
}

export interface StartServerOptions {
  /** Extra environment (configuration) for the server. */
  env?: Record<string, string>;
  /** How long to wait for `/healthz`. */
  readyTimeoutMs?: number;
}

/** A port that was free a moment ago (the server binds it right after). */
export async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not read the probe port'));
      });
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function isHealthy(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
    await response.body?.cancel();
    return response.status === 200;
  } catch {
    return false;
  }
}

export async function startBuiltServer(options: StartServerOptions = {}): Promise<StartedServer> {
  if (!fs.existsSync(BUILT_ENTRY)) {
    throw new Error('dist/ is missing: run `node scripts/build.mjs` before the browser journeys');
  }
  const port = await findFreePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-e2e-'));
  const url = `http://127.0.0.1:${port}`;
  // Only what the server needs: a DATABASE_URL or SMTP_URL in the caller's environment must
  // not leak into the server under test.
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? os.tmpdir(),
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_URL: url,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    ...options.env,
  };
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/hearth.js'), 'serve'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    // Keep the tail only: a chatty server must not grow the test process without bound.
    output = (output + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited(child);
      clearTimeout(timer);
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  while (!(await isHealthy(url))) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(`the server exited before it was ready:\n${output}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the server did not answer /healthz in time:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { url, dataDir, output: () => output, stop };
}
