/**
 * Cookies: the consent management platform (DESIGN.md §5.9, issue 6). The banner and the
 * settings page, choices recorded server-side in the consent ledger under a pseudonymous
 * visitor id and kept in a signed cookie for 13 months, Global Privacy Control, server-side
 * gating of partner tags, the demo ad partner, and IAB TCF v2.2 (in `tcf/`) when configured.
 *
 * Other modules' pages ask `cookieStateOf(request)` and `mayRunPartner(…)` before rendering a
 * partner's tag: nothing is allowed unless the visitor's choice says so.
 */
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { HearthModule } from '../../platform/module.js';
import { assetUrl } from '../../platform/views/assets.js';
import { browserPartners, partnersInUse } from '../../privacy/partners.js';
import { buildCookieCatalogue } from './cookies.catalogue.js';
import { CHOICE_LIFETIME_SECONDS } from './cookies.choice-cookie.js';
import { cookiesChrome } from './cookies.chrome.js';
import { DEMO_ADS_PARTNER, demoAdsRoutes } from './cookies.demo-ads.js';
import { cookiesDataMap } from './cookies.privacy.js';
import { cookiesRoutes } from './cookies.routes.js';
import { CookieSettings } from './cookies.state.js';
import { encodeTcString, TCF_COOKIE, tcfRoutes, tcfSettings } from './tcf/index.js';

export { cookieStateOf } from './cookies.chrome.js';
export { mayRunPartner, type CookieState } from './cookies.state.js';
export { COOKIE_PURPOSE_KEYS, GPC_PURPOSE_KEYS } from './cookies.catalogue.js';
export { CHOICE_COOKIE, CHOICE_LIFETIME_SECONDS } from './cookies.choice-cookie.js';
export { COOKIES_PAGE } from './cookies.pages.js';

/** When TCF is on: the TC string cookie follows every recorded choice, and `__tcfapi` loads first. */
async function enableTcf(app: FastifyInstance, settings: CookieSettings): Promise<string[]> {
  const tcf = tcfSettings(app);
  if (!tcf) return [];
  settings.afterRecord.push(async (choice, reply) => {
    const tcString = await encodeTcString(app, {
      purposes: choice.purposes,
      partners: choice.partners,
      at: choice.at,
    });
    // Read by TCF-aware tags in the page, so not httpOnly; it holds only the choices.
    reply.setCookie(TCF_COOKIE, tcString, {
      path: '/',
      sameSite: 'lax',
      secure: app.config.secureCookies,
      maxAge: CHOICE_LIFETIME_SECONDS,
    });
  });
  // The TC data follows the choice in force after Global Privacy Control, as pages do.
  await app.register(tcfRoutes, {
    choiceOf: async (request, reply) => {
      const state = await settings.applyGpc(request, reply);
      return state.choice
        ? { purposes: [...state.purposes], partners: [...state.partners], at: state.choice.at }
        : null;
    },
  });
  return [assetUrl('js/tcf.js')];
}

const plugin: FastifyPluginAsync = async (app) => {
  // The demo ad partner is in the catalogue, with its routes and tag, only with DEMO_ADS on.
  const settings = new CookieSettings(
    app,
    buildCookieCatalogue(browserPartners(partnersInUse(app.config))),
  );
  const tcfScripts = await enableTcf(app, settings);
  const tcf = tcfSettings(app);
  cookiesRoutes(app, settings, () => (tcf ? { cmpId: tcf.cmpId } : null));
  if (settings.catalogue.partners.some((partner) => partner.id === DEMO_ADS_PARTNER)) {
    demoAdsRoutes(app);
  }
  // assetUrl is fingerprinted once the catalogue is loaded, which happens at boot.
  app.addPageChrome(cookiesChrome(settings, () => tcfScripts));
};

export const cookies: HearthModule = {
  name: 'cookies',
  dataMap: cookiesDataMap,
  plugin,
};
