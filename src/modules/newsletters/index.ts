/**
 * Newsletters: the list catalogue, members' subscriptions and their consent. Registration and
 * the account pages subscribe through this file; the sending of editions (a later issue) builds
 * on the subscriptions and asks `can()` with `consentPurposeFor(kind)` and `consentScopeFor`.
 */
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import type { HearthModule } from '../../platform/module.js';
import { newslettersPages } from './newsletters.pages.js';
import { newslettersDataMap } from './newsletters.privacy.js';
import { newslettersRoutes } from './newsletters.routes.js';
import { editionsDataMap } from './newsletters.editions.tables.js';
import { editionsRoutes } from './newsletters.editions.routes.js';
import { EDITIONS_NAV, editionsAdminPages } from './newsletters.admin.js';
import { SEND_DUE_JOB, sendDueJob, sendingSchedules } from './newsletters.sending.js';
import {
  ENGAGEMENT_REVIEW_JOB,
  ENGAGEMENT_REVIEW_SCHEDULE,
  engagementDataMap,
  newslettersEngagementPlugin,
  reviewEngagementJob,
} from './newsletters.engagement.js';
import { bouncesDataMap, newslettersBounceRoutes } from './newsletters.bounces.js';
import { newslettersUnsubscribeRoutes } from './newsletters.unsubscribe.routes.js';

export {
  parseNewsletterPreferences,
  parseNewsletterForm,
  readNewsletterForm,
  newsletterFormErrors,
  newsletterFormValues,
  dueDateFieldName,
  birthDateFieldName,
  NEWSLETTERS_FIELD,
  MAX_BABIES,
  type NewsletterList,
  type NewsletterPreference,
  type NewsletterPreferences,
  type ParseOptions as NewsletterParseOptions,
} from './newsletters.preferences.js';
export {
  applyNewsletterPreferences,
  currentNewsletterPreferences,
  listNewsletterCatalogue,
  consentPurposeFor,
  consentScopeFor,
  type ApplyNewsletterOptions,
  type NewsletterChanges,
} from './newsletters.service.js';
export { NewsletterFields, type NewsletterFieldsProps } from './newsletters.fields.js';
export { NewsletterPreferencesSchema } from './newsletters.schemas.js';
export { NEWSLETTERS_PAGE } from './newsletters.pages.js';
export {
  listUnsubscribeHeaders,
  unsubscribeFooter,
  signedNewsletterLink,
  verifyNewsletterToken,
} from './newsletters.links.js';
export { recordBounce } from './newsletters.bounces.js';
export { countSubscribersByLifeStage, LIFE_STAGES } from './newsletters.aggregates.js';
export type { NewsletterKind, NewslettersTables } from './newsletters.tables.js';

/**
 * Skips encapsulation (`fastify-plugin`) so that the engagement hook (P38: "opening Hearth
 * logged in") lands on the root instance and sees every module's pages, not only this
 * module's. The routes and pages stay in their own encapsulated child.
 */
const plugin: FastifyPluginAsync = fp(
  async (app) => {
    await app.register(newslettersEngagementPlugin);
    await app.register(async (child) => {
      await child.register(newslettersRoutes);
      await child.register(newslettersPages);
      await child.register(editionsRoutes);
      await child.register(editionsAdminPages);
      await child.register(newslettersUnsubscribeRoutes);
      await child.register(newslettersBounceRoutes);
    });
  },
  { name: 'hearth-newsletters-module', fastify: '5.x' },
);

export const newsletters: HearthModule = {
  name: 'newsletters',
  dataMap: { ...newslettersDataMap, ...editionsDataMap, ...engagementDataMap, ...bouncesDataMap },
  jobs: { [SEND_DUE_JOB]: sendDueJob, [ENGAGEMENT_REVIEW_JOB]: reviewEngagementJob },
  schedules: [...sendingSchedules, ENGAGEMENT_REVIEW_SCHEDULE],
  adminNav: EDITIONS_NAV,
  plugin,
};
