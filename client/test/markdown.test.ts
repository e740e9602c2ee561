import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { Markdown } from "../src/components/markdown.js";
import { lexMarkdown, safeHref } from "../src/markdown.js";

/** The HTML React makes of `text`: what the page would get. */
const html = (text: string): string => renderToStaticMarkup(createElement(Markdown, { text }));

describe("safety", () => {
  it("keeps HTML as literal text, block and inline", () => {
    const out = html("<img src=x onerror=alert(1)> and <script>alert(2)</script>\n\n<div onclick=x>block</div>");
    expect(out).not.toMatch(/<(img|script|div onclick)/);
    expect(out).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(out).toContain("&lt;script&gt;alert(2)&lt;/script&gt;");
    expect(out).toContain("&lt;div onclick=x&gt;block&lt;/div&gt;");
  });

  it("links only to http(s), and keeps the source of any other link as text", () => {
    expect(safeHref("https://example.com/a?b=1")).toBe("https://example.com/a?b=1");
    for (const bad of ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,x", "/relative", "vbscript:x", "//evil.com"]) {
      expect(safeHref(bad)).toBeUndefined();
    }
    expect(html("[x](javascript:alert(1)) [y](data:text/html,z) [z](/here)")).toBe(
      "<div class=\"markdown\"><p>[x](javascript:alert(1)) [y](data:text/html,z) [z](/here)</p></div>",
    );
    expect(html("[ref][r]\n\n[r]: javascript:alert(1)")).toBe(
      '<div class="markdown"><p>[ref][r]</p><p>[r]: javascript:alert(1)</p></div>',
    );
    expect(html("[ref][r]\n\n[r]: https://a.dev")).toBe(
      '<div class="markdown"><p><a href="https://a.dev/" target="_blank" rel="noopener noreferrer nofollow">ref</a></p></div>',
    );
    expect(html("[site](https://a.dev)")).toBe(
      '<div class="markdown"><p><a href="https://a.dev/" target="_blank" rel="noopener noreferrer nofollow">site</a></p></div>',
    );
  });

  it("does not load images: an image is a link to it", () => {
    const out = html("![a chart](https://a.dev/c.png) ![x](javascript:alert(1))");
    expect(out).not.toContain("<img");
    expect(out).toContain('<a href="https://a.dev/c.png" target="_blank" rel="noopener noreferrer nofollow">a chart</a>');
    expect(out).toContain("![x](javascript:alert(1))");
  });

  it("survives hostile nesting", () => {
    expect(html(`${"> ".repeat(5000)}deep`)).toContain("deep");
    expect(html(`${"> ".repeat(40)}deep`)).toContain("deep");
    expect(() => html("*".repeat(20_000))).not.toThrow();
    expect(() => html("[".repeat(5000))).not.toThrow();
  });
});

describe("inline", () => {
  it("renders emphasis, code, strike, line breaks and links", () => {
    expect(html("**bold** *it* `a*b<c` ~~no~~\nnext https://example.com/pi.")).toBe(
      '<div class="markdown"><p><strong>bold</strong> <em>it</em> <code>a*b&lt;c</code> <del>no</del><br/>next ' +
        '<a href="https://example.com/pi" target="_blank" rel="noopener noreferrer nofollow">https://example.com/pi</a>.</p></div>',
    );
  });

  it("leaves arithmetic, snake_case and escapes alone", () => {
    for (const source of ["2 * 3 * 4 = 24", "use snake_case_names here", "price: $5 * 2"]) {
      expect(html(source)).toBe(`<div class="markdown"><p>${source}</p></div>`);
    }
    expect(html("\\*not em\\*")).toBe('<div class="markdown"><p>*not em*</p></div>');
  });
});

describe("blocks", () => {
  it("renders headings under the page's title, and a code block the keyboard can scroll", () => {
    const out = html("# Title\n\n```ts\nconst x = 1 < 2;\n```\n\n> quoted\n\n---");
    expect(out).toBe(
      '<div class="markdown"><h2 class="md-heading">Title</h2>' +
        '<div class="md-code"><div class="md-code-bar"><span class="md-code-lang">ts</span>' +
        '<button type="button" class="link-button" aria-label="Copy code to clipboard">Copy</button></div>' +
        '<pre tabindex="0" role="region" aria-label="ts block"><code>const x = 1 &lt; 2;</code></pre></div>' +
        "<blockquote><p>quoted</p></blockquote><hr/></div>",
    );
  });

  it("runs an unclosed fence (a streaming answer) to the end", () => {
    const out = html("Code:\n```\nline 1\nline 2");
    expect(out).toContain("<p>Code:</p>");
    expect(out).toContain("<code>line 1\nline 2</code>");
  });

  it("renders nested, ordered and task lists", () => {
    expect(html("3. one\n4. two\n   - a\n   - b\n5. three")).toBe(
      '<div class="markdown"><ol start="3"><li>one</li><li>two<ul><li>a</li><li>b</li></ul></li><li>three</li></ol></div>',
    );
    expect(html("- [x] done\n- [ ] not yet")).toBe(
      '<div class="markdown"><ul><li class="md-task-item"><span class="md-task" role="img" aria-label="done">☑ </span>done</li>' +
        '<li class="md-task-item"><span class="md-task" role="img" aria-label="not done">☐ </span>not yet</li></ul></div>',
    );
  });

  it("renders a table with its alignment, in a region the keyboard can scroll", () => {
    expect(html("| a | b |\n|:--|--:|\n| 1 | `x\\|y` |")).toBe(
      '<div class="markdown"><div class="md-table-wrap" tabindex="0" role="region" aria-label="Table"><table>' +
        '<thead><tr><th scope="col" class="align-left">a</th><th scope="col" class="align-right">b</th></tr></thead>' +
        '<tbody><tr><td class="align-left">1</td><td class="align-right"><code>x|y</code></td></tr></tbody></table></div></div>',
    );
  });

  it("shows very long text as it is, without lexing it", () => {
    const long = `**${"a".repeat(60_001)}**`;
    expect(html(long)).toBe(`<div class="markdown markdown-plain">${long}</div>`);
    expect(lexMarkdown("plain")?.[0]?.type).toBe("paragraph");
  });
});
