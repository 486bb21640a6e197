/**
 * The servers a benchmark run measures, in one child process of bench/run.ts (so the load
 * generator and the servers do not share a thread):
 *   json   a bare Fastify JSON route: the floor of what Node + Fastify cost per request;
 *   page   a bare Fastify route rendering the same Preact markup as Hearth's home page (same
 *          layout, same content, fresh nonce per request): adds only the rendering;
 *   hearth Hearth's home page through buildApp on a temp SQLite database, with every platform
 *          hook (security headers, sessions, rate limit, logging) as deployed. Rate limits are
 *          raised through configuration (RATE_LIMIT_MAX), never NODE_ENV.
 * Prints one JSON line with the three ports, then serves until SIGTERM.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config/config.js';
import {
  buildHomeView,
  HOME_DESCRIPTION,
  HOME_TITLE,
  HomePage,
} from '../src/modules/home/home.pages.js';
import { openDatabase } from '../src/platform/db/database.js';
import { migrateToLatest } from '../src/platform/db/migrator.js';
import { loadAssetCatalogue } from '../src/platform/views/assets.js';
import { buildNavigation, renderDocument } from '../src/platform/views/layout.js';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-bench-'));
const config = loadConfig({
  DATA_DIR: dataDir,
  LOG_LEVEL: 'info',
  RATE_LIMIT_MAX: '10000000',
  WORKER_IN_SERVE: 'false',
});
const handle = openDatabase(config.database);
await migrateToLatest(handle.db);
// Request logs are produced and serialised as in production, then dropped: printing them would
// measure the terminal.
const hearth = await buildApp(config, { database: handle, logStream: { write() {} } });
await hearth.listen({ host: '127.0.0.1', port: 0 });

const json = Fastify();
json.get('/', () => ({ status: 'ok', service: 'hearth-bench', items: [1, 2, 3] }));
await json.listen({ host: '127.0.0.1', port: 0 });

// The reference page renders what Hearth renders: the same pages are known to exist, so the
// same navigation and the same home view, hence the same markup and size.
await loadAssetCatalogue();
const hasPage = (pagePath: string) => hearth.hasPage(pagePath);
const navigation = buildNavigation(hasPage);
const view = buildHomeView(hasPage);
const page = Fastify();
page.get('/', async (_request, reply) => {
  const html = renderDocument(
    {
      title: HOME_TITLE,
      description: HOME_DESCRIPTION,
      nonce: randomBytes(16).toString('base64'),
      path: '/',
      nav: navigation,
    },
    <HomePage view={view} />,
  );
  return reply.type('text/html; charset=utf-8').send(html);
});
await page.listen({ host: '127.0.0.1', port: 0 });

function portOf(app: { server: { address(): unknown } }): number {
  const address = app.server.address();
  if (address && typeof address === 'object' && 'port' in address) return Number(address.port);
  throw new Error('server has no port');
}

process.stdout.write(
  `${JSON.stringify({ json: portOf(json), page: portOf(page), hearth: portOf(hearth) })}\n`,
);

process.once('SIGTERM', () => {
  void Promise.all([json.close(), page.close(), hearth.close()]).finally(() => {
    void handle.destroy().finally(() => {
      fs.rmSync(dataDir, { recursive: true, force: true });
      process.exit(0);
    });
  });
});
