/**
 * Rights and the privacy center (DESIGN.md §5.5): access, portability, rectification, erasure,
 * restriction, objection and withdrawal requests with UK deadlines, the member's privacy center
 * and the DPO's desk. It puts the privacy engine in members' and the DPO's hands.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { HearthModule } from '../../platform/module.js';
import { centerPages } from './rights.center.pages.js';
import { DESK_NAV } from './rights.dpo.pages.js';
import { rightsJobs, rightsSchedules } from './rights.jobs.js';
import { rightsDataMap } from './rights.privacy.js';
import { requestsRoutes } from './rights.requests.routes.js';
import { selfServiceRoutes } from './rights.self-service.routes.js';

const plugin: FastifyPluginAsync = async (app) => {
  await app.register(requestsRoutes);
  await app.register(selfServiceRoutes);
  await app.register(centerPages);
};

export const rights: HearthModule = {
  name: 'rights',
  dataMap: rightsDataMap,
  plugin,
  jobs: rightsJobs,
  // Daily: held erasures are tried again once their hold is lifted or has expired.
  schedules: rightsSchedules,
  adminNav: DESK_NAV,
};
