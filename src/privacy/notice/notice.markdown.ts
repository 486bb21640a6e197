/**
 * Markdown of the operator's prose to HTML. The prose is trusted (the operator writes it) but
 * still goes through the same rules as anything else on a page: raw HTML is shown as text, links
 * may only be web, mail or same-site links, and images are left out (the CSP would block
 * third-party images, and a notice needs none). Headings move one level down, because each
 * section's own title is the page's second level.
 */
import { Marked, type Tokens } from 'marked';

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => ESCAPES[character] ?? character);
}

/** http(s), mailto, tel, same-site paths and in-page anchors; nothing that runs code. */
export function isSafeHref(href: string): boolean {
  const trimmed = href.trim();
  if (/^(https?:|mailto:|tel:)/i.test(trimmed)) return true;
  if (trimmed.startsWith('//')) return false;
  return trimmed.startsWith('/') || trimmed.startsWith('#');
}

const markdown = new Marked({
  gfm: true,
  async: false,
  renderer: {
    html({ text }: Tokens.HTML | Tokens.Tag): string {
      return escapeHtml(text);
    },
    link({ href, title, tokens }: Tokens.Link): string {
      const text = this.parser.parseInline(tokens);
      if (!isSafeHref(href)) return text;
      const titleAttribute = title ? ` title="${escapeHtml(title)}"` : '';
      return `<a href="${escapeHtml(href.trim())}"${titleAttribute}>${text}</a>`;
    },
    image({ text }: Tokens.Image): string {
      return escapeHtml(text);
    },
    heading({ tokens, depth }: Tokens.Heading): string {
      const level = Math.min(depth + 1, 6);
      return `<h${level}>${this.parser.parseInline(tokens)}</h${level}>\n`;
    },
  },
});

export function renderMarkdown(source: string): string {
  return markdown.parse(source) as string;
}
