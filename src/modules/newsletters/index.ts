/**
 * Newsletters: the list catalogue, members' subscriptions and their consent. Registration and
 * the account pages subscribe through this file; the sending of editions (a later issue) builds
 * on the subscriptions and asks `can()` with `consentPurposeFor(kind)` and `consentScopeFor`.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { HearthModule } from '../../platform/module.js';
import { newslettersPages } from './newsletters.pages.js';
import { newslettersDataMap } from './newsletters.privacy.js';
import { newslettersRoutes } from './newsletters.routes.js';

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
export type { NewsletterKind, NewslettersTables } from './newsletters.tables.js';

const plugin: FastifyPluginAsync = async (app) => {
  await app.register(newslettersRoutes);
  await app.register(newslettersPages);
};

export const newsletters: HearthModule = {
  name: 'newsletters',
  dataMap: newslettersDataMap,
  plugin,
};
