/**
 * IAB TCF v2.2 for the cookie platform (DESIGN.md §5.9, issue 6 point 6, P49): the server
 * encodes the visitor's cookie choices as a TC string (`euconsent-v2`) with `@iabtcf/core`, and
 * `/cookies/tc-data` hands it, decoded, to the `__tcfapi` script (client entry `tcf.ts`).
 * Without TCF_CMP_ID everything here is off: `tcfSettings` answers null.
 */
export { TCF_COOKIE, type CookieChoices } from './tcf.choices.js';
export { tcfSettings, type TcfSettings, type TcfVendor } from './tcf.settings.js';
export { encodeTcString, describeTcString, type TcStringContents } from './tcf.encode.js';
export { tcfRoutes, TC_DATA_PATH } from './tcf.routes.js';
