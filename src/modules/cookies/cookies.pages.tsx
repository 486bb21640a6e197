/**
 * The cookie banner and the cookie settings page. Both are plain server-rendered forms that
 * post to `/cookies` with a CSRF token, so they work without JavaScript; the client bundle only
 * adds keyboard niceties and the `navigator.globalPrivacyControl` signal.
 *
 * The banner is a non-modal `role="dialog"` rendered in the page flow above the header: it is
 * in the first paint, so it shifts nothing (CLS 0), and the page stays usable without choosing.
 * Its three buttons are the same element with the same style: refusing is as easy as agreeing.
 */
import type { Partner } from '../../privacy/partners.js';
import type { Purpose } from '../../privacy/purposes.js';
import { Button, Checkbox, Fieldset, Form } from '../../platform/views/forms.js';
import { cookiePurposesOf, type CookieCatalogue } from './cookies.catalogue.js';
import type { CookieState } from './cookies.state.js';

export const COOKIES_PAGE = '/cookies';

/** The cookies that need no consent (PECR reg. 6(4)): what they do and how long they last. */
export const ESSENTIAL_COOKIES: readonly { name: string; purpose: string; lasts: string }[] = [
  {
    name: 'hearth_session',
    purpose: 'Keeps you signed in as you move from page to page; only set when you log in.',
    lasts: 'Until you sign out, or at most 30 days',
  },
  {
    name: 'hearth_csrf',
    purpose:
      'Proves that a form you send really came from our site. A random value checked and forgotten: it identifies nobody.',
    lasts: 'Until you close your browser',
  },
  {
    name: 'hearth_cookie_choices',
    purpose:
      'Remembers the choices on this page, with a random id under which we keep the record of them. Set only once you choose.',
    lasts: '13 months',
  },
];

export interface BannerProps {
  csrfToken: string;
  /** Where to come back to after choosing. */
  returnTo: string;
  hasGpcSignal: boolean;
}

export function CookieBanner(props: BannerProps) {
  return (
    <div
      class="cookie-banner"
      role="dialog"
      aria-modal="false"
      aria-labelledby="cookie-banner-title"
      aria-describedby="cookie-banner-text"
      data-cookie-banner=""
    >
      <div class="cookie-banner__inner">
        <h2 id="cookie-banner-title" class="cookie-banner__title">
          Cookies on Hearth
        </h2>
        <p id="cookie-banner-text">
          We use a few essential cookies to make the site work. With your agreement, analytics and
          advertising partners may also use cookies, including to personalise adverts. We count page
          views without cookies; if you refuse analytics we do not count you as a visitor. Nothing
          optional is set until you choose, and you can change your mind at any time in{' '}
          <a href="/cookies">Cookie settings</a>.
        </p>
        {props.hasGpcSignal ? (
          <p>
            Your browser sends a Global Privacy Control signal, so advertising cookies stay off,
            even if you accept all. You can still allow them yourself under Manage.
          </p>
        ) : null}
        <Form action={COOKIES_PAGE} csrfToken={props.csrfToken} label="Your cookie choice">
          <input type="hidden" name="return" value={props.returnTo} />
          <div class="cookie-banner__actions" data-cookie-form="">
            <Button name="action" value="accept-all" variant="secondary">
              Accept all
            </Button>
            <Button name="action" value="reject-all" variant="secondary">
              Reject all
            </Button>
            <Button name="action" value="manage" variant="secondary">
              Manage
            </Button>
          </div>
        </Form>
      </div>
    </div>
  );
}

function formatDate(date: Date): string {
  return date.toLocaleDateString('en-GB', {
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    timeZone: 'UTC',
  });
}

function purposeHint(purpose: Purpose): string {
  return `${purpose.description} Only with your consent.`;
}

function partnerHint(partner: Partner, catalogue: CookieCatalogue): string {
  const titles = cookiePurposesOf(partner)
    .map((key) => catalogue.purposes.find((purpose) => purpose.key === key)?.title ?? key)
    .join(', ');
  const cookies = (partner.cookies ?? [])
    .map((cookie) => `${cookie.name} (${cookie.lasts}): ${cookie.description}`)
    .join(' ');
  return [
    partner.description,
    `For: ${titles}. Its tags run only when you allow both this partner and those purposes.`,
    cookies ? `Cookies: ${cookies}` : 'It sets no cookies on our site.',
  ].join(' ');
}

export interface SettingsPageProps {
  csrfToken: string;
  catalogue: CookieCatalogue;
  state: CookieState;
  isSaved: boolean;
  /** null when TCF is off. */
  tcf: { cmpId: number } | null;
  expiresAt: Date | null;
}

export function CookieSettingsPage(props: SettingsPageProps) {
  const { state, catalogue } = props;
  const choice = state.choice;
  return (
    <>
      <h1>Cookie settings</h1>
      {props.isSaved ? (
        <div class="panel cookie-saved" role="status" tabindex={-1} data-cookie-saved="">
          <p>Your cookie choices are saved.</p>
        </div>
      ) : null}
      <p class="lead">
        Choose which optional cookies and partners you allow. Essential cookies are always on;
        everything else stays off until you say yes, and the site works the same either way.
      </p>
      <p>
        {choice && props.expiresAt
          ? `You last chose on ${formatDate(choice.at)}. We will ask again after ${formatDate(props.expiresAt)}, or sooner if our purposes or partners change.`
          : 'You have not made a choice yet, so only essential cookies are set.'}
      </p>
      {state.isGpcHonoured ? (
        <p class="panel" data-gpc-honoured="">
          Your browser sends a Global Privacy Control signal. We have honoured it: advertising
          partners and personalised advertising are off. If you tick them below and save, that
          choice is yours and we will follow it.
        </p>
      ) : null}
      <p>
        {props.tcf
          ? `We take part in the IAB Europe Transparency and Consent Framework (CMP id ${props.tcf.cmpId}): your choices are passed to partners in that format too.`
          : 'The IAB Europe Transparency and Consent Framework (TCF) is off on this site: no TCF consent string is made or shared.'}
      </p>
      <Form action={COOKIES_PAGE} csrfToken={props.csrfToken} label="Cookie settings">
        <input type="hidden" name="return" value={COOKIES_PAGE} />
        <div data-cookie-form="">
          <Fieldset legend="Purposes">
            <div class="checkbox">
              <input
                id="purpose-essential"
                type="checkbox"
                class="checkbox__input"
                checked
                disabled
                aria-describedby="purpose-essential-hint"
              />
              <label class="checkbox__label" for="purpose-essential">
                Strictly necessary (always on)
              </label>
              <div id="purpose-essential-hint" class="field__hint">
                These make the site work and keep it secure, so they cannot be switched off. They
                hold no profile of you:
                <ul>
                  {ESSENTIAL_COOKIES.map((cookie) => (
                    <li key={cookie.name}>
                      <code>{cookie.name}</code> ({cookie.lasts}): {cookie.purpose}
                    </li>
                  ))}
                </ul>
              </div>
            </div>
            {catalogue.purposes.map((purpose) => (
              <Checkbox
                key={purpose.key}
                name="purposes"
                idSuffix={purpose.key}
                value={purpose.key}
                label={purpose.title}
                hint={purposeHint(purpose)}
                checked={state.purposes.has(purpose.key)}
              />
            ))}
            <p class="field__hint" data-contextual-adverts="">
              Whatever you choose, you still see adverts: Hearth chooses them from the page you are
              reading, not from who you are, and stores nothing on your device for them, so they
              have no switch here.
            </p>
          </Fieldset>
          <Fieldset legend="Partners">
            {catalogue.partners.map((partner) => (
              <Checkbox
                key={partner.id}
                name="partners"
                idSuffix={partner.id}
                value={partner.id}
                label={partner.name}
                hint={partnerHint(partner, catalogue)}
                checked={state.partners.has(partner.id)}
              />
            ))}
          </Fieldset>
          <div class="actions">
            <Button name="action" value="save">
              Save my choices
            </Button>
            <Button name="action" value="accept-all" variant="secondary">
              Accept all
            </Button>
            <Button name="action" value="reject-all" variant="secondary">
              Reject all
            </Button>
          </div>
        </div>
      </Form>
      <p>
        Withdrawing is as easy as agreeing: untick and save, or reject all. We then delete the
        optional cookies our partners set on this site. Read more in the{' '}
        <a href="/privacy">privacy notice</a>.
      </p>
    </>
  );
}
