/**
 * The staff area under /admin: role-guarded, two-factor, with navigation every module extends
 * (`adminNav`). Also serves the two-factor set-up staff need before it opens, and the one-time
 * link that creates the first admin.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { Database } from '../../platform/db/database.js';
import type { HearthModule } from '../../platform/module.js';
import { isAppError } from '../../platform/http/errors.js';
import { twoFactorRoutes } from '../accounts/index.js';
import { ADMIN_NAV, adminRoutes } from './admin.routes.js';
import { adminSetupRoutes } from './admin.setup.js';
import { createAdminAccount, DEFAULT_ADMIN_LOCATION } from './admin.service.js';

export {
  countAdmins,
  createAdminAccount,
  DEFAULT_ADMIN_LOCATION,
  grantRole,
  revokeRole,
  type NewAdminInput,
} from './admin.service.js';
export { navigationFor, sendAdminPage } from './admin.routes.js';
export { AdminShell } from './admin.pages.js';

export const DEMO_ADMIN_EMAIL = 'admin@demo.hearth.example';

const plugin: FastifyPluginAsync = async (app) => {
  await app.register(twoFactorRoutes);
  await app.register(adminSetupRoutes);
  await app.register(adminRoutes);
};

/**
 * A demo admin with a fresh random password, printed once. Two-factor log-in is not set up, so
 * the first log-in walks through setting it up, as a real admin's would.
 */
async function seedDemo(db: Database, log: (line: string) => void): Promise<void> {
  const password = randomBytes(12).toString('base64url');
  try {
    await createAdminAccount(
      db,
      {
        email: DEMO_ADMIN_EMAIL,
        password,
        firstName: 'Demo',
        surname: 'Admin',
        location: DEFAULT_ADMIN_LOCATION,
      },
      { via: 'demo' },
    );
  } catch (error) {
    if (isAppError(error) && error.code === 'conflict') {
      log(`Demo admin ${DEMO_ADMIN_EMAIL} already exists (its password was printed when made).`);
      return;
    }
    throw error;
  }
  log(`Demo admin: ${DEMO_ADMIN_EMAIL} / ${password} (set up two-factor log-in at first log-in)`);
}

export const admin: HearthModule = {
  name: 'admin',
  dataMap: {},
  plugin,
  adminNav: ADMIN_NAV,
  seedDemo,
};
