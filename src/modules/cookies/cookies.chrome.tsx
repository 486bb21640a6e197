/**
 * What the cookie platform adds around every page (through the platform's `addPageChrome`):
 * the banner while no choice is in force, the ad slot with Hearth's house advert and, only with
 * consent to advertising partners and to the partner, the demo ad partner's tag when it is on
 * (P28, P31), the TCF API script first in the head when TCF is on, and a marker that asks the
 * client bundle to report `navigator.globalPrivacyControl` when it could matter.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { PageChromeProvider } from '../../platform/views/views.plugin.js';
import type { PageChrome } from '../../platform/views/layout.js';
import { GPC_PURPOSE_KEYS } from './cookies.catalogue.js';
import { AdSlot, hasAdSlot } from './cookies.ad-slot.js';
import { DEMO_ADS_PARTNER, DEMO_ADS_SCRIPT } from './cookies.demo-ads.js';
import { COOKIES_PAGE, CookieBanner } from './cookies.pages.js';
import { mayRunPartner, type CookieSettings, type CookieState } from './cookies.state.js';

/** The states worked out for page requests, for `cookieStateOf` (other modules' pages). */
const pageStates = new WeakMap<FastifyRequest, CookieState>();

const ESSENTIAL_ONLY: CookieState = {
  choice: null,
  purposes: new Set(),
  partners: new Set(),
  hasGpcSignal: false,
  isGpcHonoured: false,
};

/**
 * What a page may load for this request: its visitor's choice after GPC, or "essential only"
 * when the request is not a page request (nothing is ever allowed by default).
 */
export function cookieStateOf(request: FastifyRequest): CookieState {
  return pageStates.get(request) ?? ESSENTIAL_ONLY;
}

/** Paths that are not pages: the partner's own endpoints and well-known files. */
function isPagePath(path: string): boolean {
  return !path.startsWith('/demo-ads/') && !path.startsWith('/.well-known/');
}

export function cookiesChrome(
  settings: CookieSettings,
  earlyScripts: () => readonly string[],
): PageChromeProvider {
  const hasDemoAds = settings.catalogue.partners.some((partner) => partner.id === DEMO_ADS_PARTNER);
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0] ?? '/';
    if (!isPagePath(path)) return null;
    const state = await settings.applyGpc(request, reply);
    pageStates.set(request, state);
    const chrome: {
      -readonly [K in keyof PageChrome]: PageChrome[K];
    } = { earlyScripts: earlyScripts() };
    if (!state.choice && path !== COOKIES_PAGE) {
      // The token is asked for while the page renders: a GET that sends no page (a JSON or
      // file route) then sets no CSRF cookie.
      const Banner = () => (
        <CookieBanner
          csrfToken={request.csrfToken()}
          returnTo={request.url}
          hasGpcSignal={state.hasGpcSignal}
        />
      );
      chrome.beforeHeader = <Banner />;
    }
    if (hasAdSlot(path)) {
      chrome.afterMain = <AdSlot path={path} />;
      if (hasDemoAds && mayRunPartner(state, DEMO_ADS_PARTNER, ['advertising-cookies'])) {
        const personalised = mayRunPartner(state, DEMO_ADS_PARTNER, [
          'advertising-cookies',
          'personalised-advertising',
        ]);
        chrome.scripts = [`${DEMO_ADS_SCRIPT}?personalised=${personalised ? '1' : '0'}`];
      }
    }
    const choice = state.choice;
    if (
      choice &&
      choice.gpc !== 'opt-in' &&
      choice.purposes.some((key) => GPC_PURPOSE_KEYS.includes(key as never))
    ) {
      chrome.meta = [{ name: 'hearth-gpc-report', content: '/api/v1/cookies/gpc' }];
    }
    return chrome;
  };
}
