import type { FastifyInstance } from 'fastify';
import { buildApp, type BuildOptions } from '../../src/app.js';
import type { Config } from '../../src/config/config.js';
import { testConfig } from './config.js';
import type { TestDatabase } from './dialects.js';

/** Builds the app on a test database. The caller closes it (the database stays open). */
export async function buildTestApp(
  database: TestDatabase,
  options: Omit<BuildOptions, 'database'> & { env?: Record<string, string>; config?: Config } = {},
): Promise<FastifyInstance> {
  const config = options.config ?? testConfig(options.env);
  const app = await buildApp(
    { ...config, database: database.databaseConfig },
    { ...options, database: { ...database.handle, destroy: async () => {} } },
  );
  await app.ready();
  return app;
}
