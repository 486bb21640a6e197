/**
 * Thread pages as a visitor who is not logged in sees them, kept rendered so that reading one
 * again costs the thread row's lookup and no rendering.
 *
 * Each kept page carries a stamp made from the thread row (its page version, which database
 * triggers move on whenever a post, a like or a quoted post on it changes, plus the title, the
 * category, the post count and the hidden flag). A page is served again only while the row read
 * for this request gives the same stamp, so a change made by any process (the worker's erasure,
 * the command line, another server) shows at once. Pages for members are never kept: they
 * carry the member's likes and edit links.
 *
 * Least recently used pages go first once the kept HTML passes the byte budget
 * (`FORUM_PAGE_CACHE_MB`).
 */
import type { ThreadRow } from './forum.queries.js';

interface KeptPage {
  stamp: string;
  /** UTF-8: half the memory of a JavaScript string holding any character beyond Latin-1. */
  html: Buffer;
  bytes: number;
}

export class RenderedPageCache {
  readonly #pages = new Map<string, KeptPage>();
  #bytes = 0;

  constructor(readonly budgetBytes: number) {}

  get size(): number {
    return this.#pages.size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** The kept HTML for `key`, if it was rendered from the same state of the thread. */
  get(key: string, stamp: string): string | undefined {
    const kept = this.#pages.get(key);
    if (kept === undefined) return undefined;
    this.#pages.delete(key);
    if (kept.stamp !== stamp) {
      this.#bytes -= kept.bytes;
      return undefined;
    }
    // Most recently used last: Map keeps insertion order.
    this.#pages.set(key, kept);
    return kept.html.toString('utf8');
  }

  set(key: string, stamp: string, html: string): void {
    const encoded = Buffer.from(html, 'utf8');
    const bytes = encoded.length + key.length + stamp.length;
    if (bytes > this.budgetBytes) return;
    const previous = this.#pages.get(key);
    if (previous) {
      this.#pages.delete(key);
      this.#bytes -= previous.bytes;
    }
    this.#pages.set(key, { stamp, html: encoded, bytes });
    this.#bytes += bytes;
    for (const [oldest, page] of this.#pages) {
      if (this.#bytes <= this.budgetBytes) break;
      this.#pages.delete(oldest);
      this.#bytes -= page.bytes;
    }
  }
}

/** What a visitor's page of the thread shows from the thread row itself, and its page version. */
export function threadStamp(thread: ThreadRow): string {
  return [
    thread.page_version,
    thread.post_count,
    thread.is_hidden,
    thread.last_posted_at,
    thread.category_slug,
    thread.category_name,
    thread.title,
  ].join('\u0000');
}
