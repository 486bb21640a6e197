/**
 * Test schemas on PostgreSQL are dropped after the whole run, not by each test file: Kysely's
 * migrator scans every schema, and a schema dropped by one file while another file is migrating
 * makes that scan fail ("schema … does not exist"). Schema names carry the run id
 * (`t_<run>_<random>`), so a run drops only its own, plus leftovers older than a day from runs
 * that were killed.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

async function dropSchemas(url: string, runId: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ nspname: string }>(
      `select nspname from pg_namespace where nspname ~ '^t_[0-9a-z]+_[0-9a-f]+$'`,
    );
    const dayAgo = Math.floor(Date.now() / 1000) - 86_400;
    for (const { nspname } of rows) {
      const run = nspname.split('_')[1] ?? '';
      const startedAt = parseInt(run.slice(0, -4), 36);
      if (run === runId || startedAt < dayAgo) {
        await client.query(`drop schema if exists ${nspname} cascade`);
      }
    }
  } finally {
    await client.end();
  }
}

export default function setup(): () => Promise<void> {
  // Seconds since the epoch in base 36, then 4 random characters.
  const runId = Math.floor(Date.now() / 1000).toString(36) + randomBytes(2).toString('hex');
  process.env.HEARTH_TEST_RUN = runId;
  const url = process.env.TEST_DATABASE_URL;
  return async () => {
    if (url) await dropSchemas(url, runId);
  };
}
