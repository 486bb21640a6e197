/**
 * The client bundle every page loads (as a module, with the request's CSP nonce). Progressive
 * enhancement only: every page and form works without it.
 */
import { enhanceCookieChoices } from '../cookie-choices.js';
import { preventDoubleSubmit } from '../double-submit.js';
import { enhanceErrorSummary } from '../error-summary.js';

// Lets the stylesheet tell apart pages where the script runs (and the browser tests check
// that the bundle loaded and ran under the real Content-Security-Policy).
document.documentElement.classList.add('js-enabled');

enhanceErrorSummary(document);
preventDoubleSubmit(document, window);
enhanceCookieChoices(document, window);
