/**
 * The shared page layout: a skip link, the header with the site name and navigation, the main
 * content, and the footer linking the privacy notice and the cookie settings. Rendered on the
 * server; Preact escapes every text and attribute value.
 *
 * Strict CSP (DESIGN.md §2): no inline script, no inline style, no `style` attribute. The only
 * script is the bundled client module, carrying the request's nonce; the stylesheet comes from
 * Hearth itself (`style-src 'self'`).
 */
import type { ComponentChildren } from 'preact';
import { renderToString } from 'preact-render-to-string';
import { assetUrl } from './assets.js';

export interface NavLink {
  href: string;
  label: string;
}

export interface PageUser {
  displayName: string;
  isStaff: boolean;
}

/** The links of the header, limited to pages that exist in the running app. */
export interface SiteNavigation {
  main: readonly NavLink[];
  /** Shown to visitors who are not logged in. */
  guest: readonly NavLink[];
  /** Shown to logged-in members. */
  member: readonly NavLink[];
  /** Shown, in addition, to staff. */
  staff: readonly NavLink[];
}

/**
 * What modules add around every page without the platform importing them (the cookie banner,
 * consented partner tags, ad slots). Filled per request by the providers registered with
 * `app.addPageChrome()`; every part is optional and rendered server-side.
 */
export interface PageChrome {
  /**
   * Classic scripts run before the app bundle, in this order: the IAB CMP API (`__tcfapi`,
   * which queues calls until its data arrives) must exist before any partner tag asks for it.
   */
  earlyScripts?: readonly string[];
  /** Scripts loaded after the app bundle (consented partner tags), deferred. */
  scripts?: readonly string[];
  /** `<meta>` name/content pairs for the client bundle to read. */
  meta?: readonly { name: string; content: string }[];
  /** Shown in the page flow before the site header (the cookie banner: no layout shift). */
  beforeHeader?: ComponentChildren;
  /** Shown after the main content, before the footer (an ad slot). */
  afterMain?: ComponentChildren;
}

export interface PageContext {
  title: string;
  /** The request's CSP nonce: the page's script tag carries it. */
  nonce: string;
  /** The current path, to mark the active navigation entry. */
  path: string;
  user?: PageUser | null;
  /** A one-sentence summary for search engines and link previews. */
  description?: string;
  /** The header links; by default those of the last app that finished booting in this process. */
  nav?: SiteNavigation;
  /** What modules add around the page for this request. */
  chrome?: PageChrome;
}

/**
 * The main sections, in header order. A module adds its section here; the header shows an
 * entry only once the app serves a GET route at exactly that path, so a planned section never
 * appears as a dead link.
 */
export const MAIN_NAV: readonly NavLink[] = [
  { href: '/', label: 'Home' },
  { href: '/forum', label: 'Coffeehouse' },
];

const GUEST_NAV: readonly NavLink[] = [
  { href: '/login', label: 'Log in' },
  { href: '/register', label: 'Join Hearth' },
];

const MEMBER_NAV: readonly NavLink[] = [
  { href: '/messages', label: 'Messages' },
  { href: '/account', label: 'Your account' },
];

const STAFF_NAV: readonly NavLink[] = [{ href: '/admin', label: 'Staff area' }];

/** The footer's links are always shown: the notice and cookie settings are legal duties. */
const FOOTER_LINKS: readonly NavLink[] = [
  { href: '/privacy', label: 'Privacy notice' },
  { href: '/cookies', label: 'Cookie settings' },
];

/** The navigation limited to the pages `hasPage` reports as served. */
export function buildNavigation(hasPage: (path: string) => boolean): SiteNavigation {
  const keep = (links: readonly NavLink[]) => links.filter((link) => hasPage(link.href));
  return {
    main: keep(MAIN_NAV),
    guest: keep(GUEST_NAV),
    member: keep(MEMBER_NAV),
    staff: keep(STAFF_NAV),
  };
}

/**
 * Error pages are rendered by the HTTP platform's error handler, which has no app at hand, so
 * the views plugin records its app's navigation here when the app is ready. One process serves
 * one app in production; before any app is ready only the home link is shown.
 */
let processNavigation: SiteNavigation = buildNavigation((path) => path === '/');

export function setProcessNavigation(navigation: SiteNavigation): void {
  processNavigation = navigation;
}

/** `page` for the exact page; `true` for a page inside a section (`/forum/…` under `/forum`). */
function currentMarker(linkPath: string, currentPath: string): 'page' | 'true' | undefined {
  if (linkPath === currentPath) return 'page';
  if (linkPath !== '/' && currentPath.startsWith(`${linkPath}/`)) return 'true';
  return undefined;
}

function NavList(props: { links: readonly NavLink[]; path: string; class?: string }) {
  if (props.links.length === 0) return null;
  return (
    <ul class={props.class}>
      {props.links.map((link) => (
        <li key={link.href}>
          <a href={link.href} aria-current={currentMarker(link.href, props.path)}>
            {link.label}
          </a>
        </li>
      ))}
    </ul>
  );
}

/**
 * A page's main content already rendered to HTML by the module (kept and served again, as the
 * forum does for visitors' thread pages). Only HTML that Hearth's own components rendered goes
 * in here: it is placed in the page as it is.
 */
export class RenderedHtml {
  constructor(readonly html: string) {}
}

/** Renders a component tree to HTML once, to keep as `RenderedHtml`. */
export function renderFragment(body: ComponentChildren): RenderedHtml {
  return new RenderedHtml(renderToString(<>{body}</>));
}

export function Layout(props: PageContext & { children: ComponentChildren | RenderedHtml }) {
  const navigation = props.nav ?? processNavigation;
  const chrome = props.chrome ?? {};
  const accountLinks = props.user
    ? [...navigation.member, ...(props.user.isStaff ? navigation.staff : [])]
    : navigation.guest;
  return (
    <html lang="en-GB">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} · Hearth`}</title>
        {props.description ? <meta name="description" content={props.description} /> : null}
        <link rel="icon" href={assetUrl('favicon.svg')} type="image/svg+xml" />
        <link rel="stylesheet" href={assetUrl('hearth.css')} />
        {(chrome.meta ?? []).map((entry) => (
          <meta key={entry.name} name={entry.name} content={entry.content} />
        ))}
        {(chrome.earlyScripts ?? []).map((src) => (
          <script key={src} src={src} nonce={props.nonce}></script>
        ))}
        <script type="module" src={assetUrl('js/app.js')} nonce={props.nonce}></script>
        {(chrome.scripts ?? []).map((src) => (
          <script key={src} src={src} nonce={props.nonce} defer></script>
        ))}
      </head>
      <body>
        <a class="skip-link" href="#main">
          Skip to main content
        </a>
        {chrome.beforeHeader}
        <header class="site-header">
          <div class="site-header__inner">
            <a class="brand" href="/">
              Hearth
            </a>
            <nav class="site-nav" aria-label="Main">
              <NavList links={navigation.main} path={props.path} class="site-nav__main" />
              <NavList links={accountLinks} path={props.path} class="site-nav__account" />
            </nav>
          </div>
        </header>
        {props.children instanceof RenderedHtml ? (
          <main
            id="main"
            class="page"
            tabindex={-1}
            dangerouslySetInnerHTML={{ __html: props.children.html }}
          />
        ) : (
          <main id="main" class="page" tabindex={-1}>
            {props.children}
          </main>
        )}
        {chrome.afterMain}
        <footer class="site-footer">
          <nav aria-label="Legal">
            <NavList links={FOOTER_LINKS} path={props.path} />
          </nav>
          <p>Hearth is a community for parents, run with care for your privacy.</p>
        </footer>
      </body>
    </html>
  );
}

/** A whole HTML document for a page. */
export function renderDocument(
  context: PageContext,
  body: ComponentChildren | RenderedHtml,
): string {
  return `<!doctype html>${renderToString(<Layout {...context}>{body}</Layout>)}`;
}
