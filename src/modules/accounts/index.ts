/**
 * Accounts and identity: registration, verification, log-in, profile, anonymous username,
 * roles, two-factor log-in for staff and social log-in. Other modules use only what this file
 * exports.
 */
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import type { HearthModule } from '../../platform/module.js';
import { accountsDataMap } from './accounts.privacy.js';
import { accountsPages } from './accounts.pages.js';
import { accountsRoutes } from './accounts.routes.js';
import { locationsRoutes } from './accounts.locations.routes.js';
import { oidcRoutes } from './accounts.oidc.routes.js';
import { accountsActivityPlugin } from './accounts.activity.js';
import {
  enqueueInactivityWarning,
  INACTIVITY_WARNING_JOB,
  sendInactivityWarning,
} from './accounts.jobs.js';
import { seedDemoMembers } from './accounts.seed.js';
import { revokeSessionsForErasure } from './accounts.service.js';

export {
  getCurrentMember,
  forgetCurrentMember,
  requireMember,
  memberOnly,
  rolesOnly,
  SECOND_FACTOR_KEY,
  type CurrentMember,
} from './accounts.guards.js';
export { ROLES, STAFF_ROLES, type Role, type AccountsTables } from './accounts.tables.js';
export { hashPassword, verifyPassword } from './passwords.js';
export { totpCode, verifyTotp, generateTotpSecret, totpUri } from './totp.js';
export { encryptTotpSecret, decryptTotpSecret } from './totp-secret.js';
export { twoFactorRoutes, TWO_FACTOR_PAGE } from './accounts.two-factor.js';
export { findLocation, searchLocations, type Place } from './locations.js';
export { countMembersByRegion, MEMBER_REGIONS } from './accounts.aggregates.js';
export {
  authorNameForNewContent,
  acceptTotpCode,
  insertAccount,
  loadProfile,
  revokeSessionsForErasure,
  type NewAccount,
} from './accounts.service.js';
export { requireRecentAuthentication, reauthenticationMethod } from './reauthentication.js';

/**
 * Skips encapsulation (`fastify-plugin`) so that the activity hook (P35) lands on the root
 * instance and sees every module's routes: a hook added inside an encapsulated plugin sees
 * only that plugin's routes. The routes and pages stay in their own encapsulated child.
 */
const plugin: FastifyPluginAsync = fp(
  async (app) => {
    await app.register(accountsActivityPlugin);
    await app.register(async (child) => {
      await child.register(locationsRoutes);
      await child.register(accountsRoutes);
      await child.register(accountsPages);
      await child.register(oidcRoutes);
    });
  },
  { name: 'hearth-accounts-module', fastify: '5.x' },
);

export const accounts: HearthModule = {
  name: 'accounts',
  dataMap: accountsDataMap,
  plugin,
  jobs: { [INACTIVITY_WARNING_JOB]: sendInactivityWarning },
  privacy: {
    // sessions.user_id has no foreign key (sessions belong to the platform): erasure logs the
    // member out everywhere here. Linked identities, roles, tokens and failures cascade.
    async eraseFor(db, subjectId) {
      return { removed: await revokeSessionsForErasure(db, subjectId), retained: [] };
    },
    // P35: the retention run warns 30 days ahead; the job writes the mail (see accounts.jobs.ts).
    warnBeforeErasure: enqueueInactivityWarning,
  },
  seedDemo: seedDemoMembers,
};
