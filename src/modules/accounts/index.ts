/**
 * Accounts and identity: registration, verification, log-in, profile, anonymous username,
 * roles, two-factor log-in for staff and social log-in. Other modules use only what this file
 * exports.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { HearthModule } from '../../platform/module.js';
import { accountsDataMap } from './accounts.privacy.js';
import { accountsPages } from './accounts.pages.js';
import { accountsRoutes } from './accounts.routes.js';
import { locationsRoutes } from './accounts.locations.routes.js';
import { oidcRoutes } from './accounts.oidc.routes.js';

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

const plugin: FastifyPluginAsync = async (app) => {
  await app.register(locationsRoutes);
  await app.register(accountsRoutes);
  await app.register(accountsPages);
  await app.register(oidcRoutes);
};

export const accounts: HearthModule = {
  name: 'accounts',
  dataMap: accountsDataMap,
  plugin,
};
