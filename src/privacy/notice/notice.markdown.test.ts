import { describe, expect, it } from 'vitest';
import { isSafeHref, renderMarkdown } from './notice.markdown.js';

describe('notice Markdown', () => {
  it('shows raw HTML as text', () => {
    const html = renderMarkdown('Hello <script>alert(1)</script> and <b onclick="x()">bold</b>');
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<b onclick');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('keeps web, mail and same-site links and drops the rest', () => {
    const html = renderMarkdown(
      '[web](https://ico.org.uk) [mail](mailto:dpo@example.org) [here](/cookies) [bad](javascript:alert(1)) [data](data:text/html,x) [other](//evil.example)',
    );
    expect(html).toContain('<a href="https://ico.org.uk">web</a>');
    expect(html).toContain('<a href="mailto:dpo@example.org">mail</a>');
    expect(html).toContain('<a href="/cookies">here</a>');
    expect(html).not.toMatch(/javascript:|data:text|\/\/evil/);
    expect(html).toContain('bad');
    expect(isSafeHref(' JAVASCRIPT:alert(1)')).toBe(false);
  });

  it('moves headings one level down and leaves out images', () => {
    const html = renderMarkdown('## Sub\n\n![tracking pixel](https://ads.example/p.gif)');
    expect(html).toContain('<h3>Sub</h3>');
    expect(html).not.toContain('<img');
    expect(html).toContain('tracking pixel');
  });
});
