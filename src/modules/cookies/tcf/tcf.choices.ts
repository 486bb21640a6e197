/** What the TC string is encoded from, and the cookie it is kept in. */

/** The name the TCF gives the TC string's first-party cookie. */
export const TCF_COOKIE = 'euconsent-v2';

/** A visitor's cookie choice, as the cookie platform records it. */
export interface CookieChoices {
  /** Hearth purpose keys the visitor allowed (`analytics`, `advertising-cookies`, …). */
  purposes: readonly string[];
  /** Partner ids (from the partner registry) the visitor allowed. */
  partners: readonly string[];
  /** When the choice was made. */
  at: Date;
}
