import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { buildApp } from '../../../src/app.js';
import type { HearthModule } from '../../../src/platform/module.js';
import { testConfig } from '../../helpers/config.js';
import { describeEachDialect } from '../../helpers/dialects.js';

/** Resolves once connecting to the port is refused (the listening socket is closed). */
async function waitUntilRefused(port: number, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const refused = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', (error: NodeJS.ErrnoException) =>
        resolve(error.code === 'ECONNREFUSED'),
      );
    });
    if (refused) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`port ${port} still accepts connections`);
}

describeEachDialect('graceful shutdown', (current) => {
  it('finishes the request in flight with 200 while refusing new connections', async () => {
    let markStarted: () => void = () => {};
    const started = new Promise<void>((resolve) => (markStarted = resolve));
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    const slowModule: HearthModule = {
      name: 'slow-fixture',
      dataMap: {},
      plugin: (app) => {
        app.get('/api/v1/slow', async () => {
          markStarted();
          await released;
          // The database must still be open: the app closes it only after requests finish.
          await sql`select 1`.execute(app.db);
          return { finished: true };
        });
        return Promise.resolve();
      },
    };
    // As `hearth serve` does: the app gets its own database handle and destroys it on close.
    const handle = current().openAnother();
    const app = await buildApp(testConfig(), { database: handle, modules: [slowModule] });
    app.addHook('onClose', async () => handle.destroy());
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as AddressInfo;

    const inFlight = fetch(`http://127.0.0.1:${port}/api/v1/slow`);
    await started;
    const closing = app.close();
    await waitUntilRefused(port);
    release();

    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ finished: true });
    // The kept-alive connection ends with its response, so closing does not wait for a timeout.
    expect(response.headers.get('connection')).toBe('close');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      closing,
      new Promise((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error('app.close() still waiting after 5 s')), 5000);
      }),
    ]).finally(() => clearTimeout(timer));
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });
});
