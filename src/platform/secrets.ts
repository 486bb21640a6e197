/**
 * The secret that signs links and CSRF tokens. From SECRET_KEY when set; otherwise generated
 * once and kept in the database, so every process on every machine reads the same one.
 */
import { randomBytes } from 'node:crypto';
import type { Config } from '../config/config.js';
import { tablesOf, type Database } from './db/database.js';
import { nowTime } from './db/portable.js';
import type { PlatformTables } from './platform.tables.js';

const SECRET_SETTING = 'secret_key';

export async function resolveSecretKey(database: Database, config: Config): Promise<string> {
  if (config.secretKey !== null) return config.secretKey;
  const db = tablesOf<PlatformTables>(database);
  // Two processes starting at once may both generate one; the key's primary key lets only the
  // first insert win, and both then read the winner.
  await db
    .insertInto('platform_settings')
    .values({
      key: SECRET_SETTING,
      value: randomBytes(48).toString('base64url'),
      updated_at: nowTime(),
    })
    .onConflict((conflict) => conflict.column('key').doNothing())
    .execute();
  const row = await db
    .selectFrom('platform_settings')
    .select('value')
    .where('key', '=', SECRET_SETTING)
    .executeTakeFirstOrThrow();
  return row.value;
}
