/**
 * Analytics: first-party page views and daily unique visitors counted without cookies (P29),
 * their chart in the staff area, and the k-anonymous aggregate report for advertisers (P32).
 * See CONTEXT.md for the words and for why counting needs no consent.
 */
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import type { HearthModule } from '../../platform/module.js';
import { CLOSE_DAYS_JOB, ANALYTICS_SCHEDULES, closeDaysJob } from './analytics.jobs.js';
import { ANALYTICS_NAV, analyticsPages } from './analytics.pages.js';
import { analyticsPlugin } from './analytics.plugin.js';
import { analyticsDataMap } from './analytics.privacy.js';
import { analyticsRoutes } from './analytics.routes.js';

export { buildAdvertiserReport, sectionOf, SECTIONS } from './analytics.advertisers.js';
export { closeDays } from './analytics.counting.js';

/**
 * Skips encapsulation (`fastify-plugin`) so that the counting hook lands on the root instance
 * and sees every route of every module: a hook registered inside an encapsulated module plugin
 * sees only that module's routes. The pages and API stay in their own encapsulated child.
 */
const plugin: FastifyPluginAsync = fp(
  async (app) => {
    await app.register(analyticsPlugin);
    await app.register(async (child) => {
      await child.register(analyticsPages);
      await child.register(analyticsRoutes);
    });
  },
  { name: 'hearth-analytics-module', fastify: '5.x' },
);

export const analytics: HearthModule = {
  name: 'analytics',
  dataMap: analyticsDataMap,
  plugin,
  adminNav: ANALYTICS_NAV,
  jobs: { [CLOSE_DAYS_JOB]: closeDaysJob },
  schedules: ANALYTICS_SCHEDULES,
};
