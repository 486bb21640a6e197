/**
 * The demo ad partner (registry id `demo-ads`): a stand-in advertising partner served from
 * Hearth's own origin, so that the cookie settings can be seen, and tested, gating a real tag
 * without any third party. It is off unless the operator sets `DEMO_ADS=true` (a fresh install
 * shows no demo adverts); when on, its registry entry gives it its switch in the cookie
 * settings, and its routes and tag exist. Operators leave it off on a live site.
 *
 * What it does, like a real ad server would:
 * - without consent to advertising partners (`advertising-cookies`) and to this partner, no tag
 *   loads and no request reaches it; the slot keeps Hearth's house advert, chosen by the page
 *   alone (P31: adverts still show, not personalised);
 * - with both, `/demo-ads/ad.js` loads, fills the slot and requests `/demo-ads/pixel.gif`;
 * - with personalised advertising too, the tag keeps the sections read in the first-party
 *   cookie `hearth_demo_ads` and picks the advert from them.
 */
import type { FastifyInstance } from 'fastify';
import { DEMO_ADS_PARTNER_ID } from '../../privacy/partners.js';
import { CHOICE_LIFETIME_SECONDS } from './cookies.choice-cookie.js';

export const DEMO_ADS_PARTNER = DEMO_ADS_PARTNER_ID;
export const DEMO_ADS_COOKIE = 'hearth_demo_ads';
export const DEMO_ADS_SCRIPT = '/demo-ads/ad.js';
export const DEMO_ADS_PIXEL = '/demo-ads/pixel.gif';

/**
 * The partner's tag, as a third party would serve it: a classic script that reads its own URL
 * for the consent it was given. It writes text only (no markup) into the slots Hearth rendered.
 */
const TAG_SOURCE = `(function () {
  'use strict';
  var script = document.currentScript;
  var personalised = !!script && /[?&]personalised=1(?:&|$)/.test(script.src);
  var section = (location.pathname.split('/')[1] || 'home').replace(/[^a-z0-9-]/g, '') || 'home';
  var interests = [];
  if (personalised) {
    var match = document.cookie.match(/(?:^|; )${DEMO_ADS_COOKIE}=([^;]*)/);
    interests = match ? decodeURIComponent(match[1]).split('.').filter(Boolean) : [];
    interests = [section].concat(interests.filter(function (each) { return each !== section; })).slice(0, 5);
    document.cookie = '${DEMO_ADS_COOKIE}=' + encodeURIComponent(interests.join('.')) +
      '; path=/; max-age=${CHOICE_LIFETIME_SECONDS}; samesite=lax';
  }
  function fill() {
    var slots = document.querySelectorAll('[data-ad-slot]');
    for (var index = 0; index < slots.length; index++) {
      var slot = slots[index];
      var headline = slot.querySelector('[data-ad-headline]');
      var note = slot.querySelector('[data-ad-note]');
      if (headline) {
        headline.textContent = personalised
          ? 'Picked for you from what you read (' + interests.join(', ') + '): family days out'
          : 'Demo partner advert for this page: family days out';
      }
      if (note) {
        note.textContent = personalised
          ? 'Personalised by the demo ad partner, as you allowed.'
          : 'Not personalised: chosen by the page (demo ad partner).';
      }
      slot.setAttribute('data-ad-filled', personalised ? 'personalised' : 'contextual');
      var pixel = new Image(1, 1);
      pixel.src = '${DEMO_ADS_PIXEL}?slot=' + encodeURIComponent(slot.getAttribute('data-ad-slot') || '') +
        '&personalised=' + (personalised ? '1' : '0');
    }
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', fill);
  else fill();
})();
`;

/** A transparent 1×1 GIF. */
const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

export function demoAdsRoutes(app: FastifyInstance): void {
  app.get(DEMO_ADS_SCRIPT, { config: { rateLimit: false } }, async (_request, reply) => {
    void reply.header('cache-control', 'no-cache');
    return reply.type('text/javascript; charset=utf-8').send(TAG_SOURCE);
  });
  app.get(DEMO_ADS_PIXEL, { config: { rateLimit: false } }, async (_request, reply) => {
    void reply.header('cache-control', 'no-store');
    return reply.type('image/gif').send(PIXEL);
  });
}
