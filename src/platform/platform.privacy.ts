/**
 * The platform's data map: every table the platform owns, declared with the vocabulary of
 * datamap.ts. Each platform piece declares its tables beside its code; this file joins them.
 */
import type { DataMap, OwnedDataMap } from './datamap.js';
import { jobsDataMap } from './jobs/jobs.privacy.js';
import { mailDataMap } from './mail/mail.privacy.js';
import { sessionsDataMap } from './http/sessions.privacy.js';

const settingsMap: DataMap = {
  platform_settings: {
    personal: false,
    description: 'Settings the operator never types, such as the generated secret key.',
    columns: { key: 'system.config', value: 'system.secret', updated_at: 'system.time' },
  },
  // Kysely's migration bookkeeping.
  kysely_migration: { system: true },
  kysely_migration_lock: { system: true },
};

export const platformDataMap: OwnedDataMap = {
  owner: 'platform',
  tables: { ...settingsMap, ...jobsDataMap, ...mailDataMap, ...sessionsDataMap },
};
