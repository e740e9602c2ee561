import { describe, expect, it } from "vitest";
import { parseInline, parseMarkdown, safeHref, type Block, type Inline } from "../src/markdown.js";

/** All text of a tree, to check nothing was lost or invented. */
function text(nodes: readonly (Inline | Block)[]): string {
  return nodes
    .map((node) => {
      switch (node.type) {
        case "text":
        case "code":
          return node.text;
        case "break":
          return "\n";
        case "rule":
          return "---";
        case "list":
          return node.items.map((item) => text(item)).join("|");
        case "table":
          return [...node.header, ...node.rows.flat()].map((cell) => text(cell)).join("|");
        default:
          return text(node.children);
      }
    })
    .join("");
}

describe("safety", () => {
  it("keeps HTML as literal text", () => {
    const source = "<img src=x onerror=alert(1)> and <script>alert(2)</script>";
    expect(parseMarkdown(source)).toEqual([{ type: "paragraph", children: [{ type: "text", text: source }] }]);
  });

  it("links only to http(s)", () => {
    expect(safeHref("https://example.com/a?b=1")).toBe("https://example.com/a?b=1");
    for (const bad of ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,x", "/relative", "vbscript:x", "//evil.com"]) {
      expect(safeHref(bad)).toBeUndefined();
    }
    expect(parseInline("[x](javascript:alert(1))")).toEqual([{ type: "text", text: "[x](javascript:alert(1))" }]);
  });
});

describe("inline", () => {
  it("parses emphasis, code, strike and links", () => {
    expect(parseInline("**bold** *it* `a*b` ~~no~~ [site](https://a.dev)")).toEqual([
      { type: "strong", children: [{ type: "text", text: "bold" }] },
      { type: "text", text: " " },
      { type: "em", children: [{ type: "text", text: "it" }] },
      { type: "text", text: " " },
      { type: "code", text: "a*b" },
      { type: "text", text: " " },
      { type: "del", children: [{ type: "text", text: "no" }] },
      { type: "text", text: " " },
      { type: "link", href: "https://a.dev/", children: [{ type: "text", text: "site" }] },
    ]);
  });

  it("leaves arithmetic, snake_case and lone markers alone", () => {
    for (const source of ["2 * 3 * 4 = 24", "use snake_case_names here", "a ** b", "price: $5 * 2", "unclosed `tick"]) {
      expect(parseInline(source)).toEqual([{ type: "text", text: source }]);
    }
  });

  it("links bare URLs without the sentence's punctuation", () => {
    const nodes = parseInline("See https://example.com/pi. Or (https://a.dev/x_(y)).");
    const links = nodes.filter((node) => node.type === "link");
    expect(links.map((node) => node.type === "link" && node.href)).toEqual(["https://example.com/pi", "https://a.dev/x_(y)"]);
    expect(text(nodes)).toBe("See https://example.com/pi. Or (https://a.dev/x_(y)).");
  });

  it("honours backslash escapes", () => {
    expect(parseInline("\\*not em\\*")).toEqual([{ type: "text", text: "*not em*" }]);
  });
});

describe("blocks", () => {
  it("parses headings, fenced code, quotes and rules", () => {
    const blocks = parseMarkdown("# Title\n\n```ts\nconst x = 1 < 2;\n```\n\n> quoted\n\n---");
    expect(blocks.map((block) => block.type)).toEqual(["heading", "code", "quote", "rule"]);
    expect(blocks[1]).toEqual({ type: "code", lang: "ts", text: "const x = 1 < 2;" });
  });

  it("runs an unclosed fence (a streaming answer) to the end", () => {
    expect(parseMarkdown("Code:\n```\nline 1\nline 2")).toEqual([
      { type: "paragraph", children: [{ type: "text", text: "Code:" }] },
      { type: "code", lang: undefined, text: "line 1\nline 2" },
    ]);
  });

  it("parses nested and ordered lists", () => {
    const [list] = parseMarkdown("1. one\n2. two\n   - a\n   - b\n3. three");
    expect(list?.type).toBe("list");
    if (list?.type !== "list") return;
    expect(list.ordered).toBe(true);
    expect(list.items).toHaveLength(3);
    expect(list.items[1]?.map((block) => block.type)).toEqual(["paragraph", "list"]);
  });

  it("keeps a soft line break as a break", () => {
    expect(parseMarkdown("line one\nline two")[0]).toEqual({
      type: "paragraph",
      children: [{ type: "text", text: "line one" }, { type: "break" }, { type: "text", text: "line two" }],
    });
  });

  it("parses a table", () => {
    const [table] = parseMarkdown("| a | b |\n|:--|--:|\n| 1 | `x|y` |");
    expect(table?.type).toBe("table");
    if (table?.type !== "table") return;
    expect(table.align).toEqual(["left", "right"]);
    expect(text(table.rows[0]?.[1] ?? [])).toBe("x|y");
  });

  it("survives hostile nesting", () => {
    const blocks = parseMarkdown(`${"> ".repeat(5000)}deep`);
    expect(text(blocks)).toContain("deep");
    expect(() => parseInline("*".repeat(20_000))).not.toThrow();
    expect(() => parseInline("[".repeat(5000))).not.toThrow();
  });
});
