/**
 * The shared page layout: header with navigation, main content, footer linking the privacy
 * notice and the cookie settings. Rendered on the server; escapes by default.
 */
import type { ComponentChildren } from 'preact';
import { renderToString } from 'preact-render-to-string';

export interface NavLink {
  href: string;
  label: string;
}

export interface PageContext {
  title: string;
  /** The request's CSP nonce: every script and style tag carries it. */
  nonce: string;
  /** The current path, to mark the active navigation entry. */
  path: string;
  user?: { displayName: string; isStaff: boolean } | null;
}

export const MAIN_NAV: readonly NavLink[] = [
  { href: '/', label: 'Home' },
  { href: '/forum', label: 'Coffeehouse' },
];

export function Layout(props: PageContext & { children: ComponentChildren }) {
  return (
    <html lang="en-GB">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} · Hearth`}</title>
        <link rel="stylesheet" href="/assets/hearth.css" nonce={props.nonce} />
      </head>
      <body>
        <a class="skip-link" href="#main">
          Skip to content
        </a>
        <header class="site-header">
          <a class="brand" href="/">
            Hearth
          </a>
          <nav aria-label="Main">
            <ul>
              {MAIN_NAV.map((link) => (
                <li key={link.href}>
                  <a href={link.href} aria-current={props.path === link.href ? 'page' : undefined}>
                    {link.label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
        </header>
        <main id="main">{props.children}</main>
        <footer class="site-footer">
          <ul>
            <li>
              <a href="/privacy">Privacy notice</a>
            </li>
            <li>
              <a href="/cookies">Cookie settings</a>
            </li>
          </ul>
        </footer>
        <script type="module" src="/assets/js/app.js" nonce={props.nonce}></script>
      </body>
    </html>
  );
}

/** A whole HTML document for a page. */
export function renderDocument(context: PageContext, body: ComponentChildren): string {
  return `<!doctype html>${renderToString(<Layout {...context}>{body}</Layout>)}`;
}
