/**
 * Post bodies: Markdown in, sanitised HTML out, once, when the post is written (reading a page
 * renders nothing). Members write Markdown; anything that is not on the allow-list below is
 * removed after rendering, whatever Markdown or raw HTML produced it.
 *
 * Why an allow-list after rendering rather than escaping before: Markdown lets authors write
 * raw HTML and links, and `marked` passes both through. The sanitiser (sanitize-html, which
 * parses with htmlparser2 the way a browser tokenises) keeps only plain text structure: no
 * scripts, styles, frames, forms, media, SVG or MathML, no attribute but a link's `href`, and
 * only http(s) and mailto links. Images are left out on purpose: a remote image is a tracking
 * pixel and CSP allows only our own.
 */
import { Marked } from 'marked';
import sanitizeHtml from 'sanitize-html';

const markdown = new Marked({ gfm: true, breaks: true, async: false });

const HEADING_TAGS = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'] as const;

const POST_HTML: sanitizeHtml.IOptions = {
  allowedTags: [
    'p',
    'br',
    'strong',
    'b',
    'em',
    'i',
    'del',
    's',
    'code',
    'pre',
    'blockquote',
    'ul',
    'ol',
    'li',
    'a',
    'hr',
  ],
  // `rel` is set by the transform below (which runs before this filter), whatever was written.
  allowedAttributes: { a: ['href', 'rel'] },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesAppliedToAttributes: ['href'],
  allowProtocolRelative: false,
  // The text of these is dropped too, not just their tags.
  nonTextTags: ['script', 'style', 'textarea', 'option', 'noscript', 'template', 'title', 'xmp'],
  disallowedTagsMode: 'discard',
  transformTags: {
    // A post sits under the page's own headings: its headings become strong paragraphs, so the
    // page outline (and a screen reader's list of headings) stays the page's.
    ...Object.fromEntries(HEADING_TAGS.map((tag) => [tag, 'p'])),
    // Links written by members lead off Hearth: search engines are told so, and the opened
    // page gets no handle on ours.
    a: (tagName, attribs) => ({
      tagName,
      attribs: { ...attribs, rel: 'nofollow ugc noopener noreferrer' },
    }),
  },
};

export const MAX_BODY_LENGTH = 20_000;

/** The sanitised HTML of a post's Markdown. */
export function renderPostBody(source: string): string {
  const html = markdown.parse(source, { async: false });
  return sanitizeHtml(html, POST_HTML).trim();
}

/** Sanitises HTML from anywhere with the post allow-list (tests run XSS payloads through it). */
export function sanitisePostHtml(html: string): string {
  return sanitizeHtml(html, POST_HTML);
}

const ENTITIES: Record<string, string> = {
  '&amp;': '&',
  '&lt;': '<',
  '&gt;': '>',
  '&quot;': '"',
  '&#39;': "'",
  '&#x27;': "'",
  '&nbsp;': ' ',
};

/**
 * The plain text of sanitised post HTML: for the search index and for quote excerpts, which
 * are rendered as text (escaped by Preact), never as HTML.
 */
export function plainTextOf(html: string): string {
  return html
    .replace(/<\/(p|li|blockquote|pre)>|<br\s*\/?>/g, ' ')
    .replace(/<[^>]*>/g, '')
    .replace(/&(amp|lt|gt|quot|#39|#x27|nbsp);/g, (entity) => ENTITIES[entity] ?? entity)
    .replace(/\s+/g, ' ')
    .trim();
}

/** A short excerpt of plain text, cut at a word boundary. */
export function excerptOf(text: string, maxLength = 200): string {
  if (text.length <= maxLength) return text;
  const cut = text.slice(0, maxLength);
  const space = cut.lastIndexOf(' ');
  return `${(space > maxLength / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}
