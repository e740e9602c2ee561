import { useMemo, useState, type ReactNode } from "react";
import { lexMarkdown, safeHref, type Token, type Tokens } from "../markdown.js";

/** Past this size, lexing on every streamed word costs more than formatting is worth. */
const MAX_FORMATTED_CHARS = 60_000;

/** Nesting deeper than this is shown as its source, so hostile input cannot exhaust React's stack. */
const MAX_DEPTH = 12;

const HEADINGS = ["h2", "h3", "h4", "h5", "h6", "h6"] as const;

type Align = "left" | "center" | "right" | null;
const alignClass = (align: Align | undefined): string | undefined => (align === null || align === undefined ? undefined : `align-${align}`);

// `Token` includes a generic `{ type: string }` member, so a switch on `type` cannot narrow it: each case casts.
function renderInline(tokens: readonly Token[] | undefined, depth: number): ReactNode[] {
  return (tokens ?? []).map((token, index) => <InlineToken key={index} token={token} depth={depth} />);
}

function InlineToken({ token, depth }: { token: Token; depth: number }): ReactNode {
  if (depth > MAX_DEPTH) return token.raw;
  switch (token.type) {
    case "text":
      return "tokens" in token && token.tokens !== undefined ? renderInline(token.tokens, depth + 1) : (token as Tokens.Text).text;
    case "escape":
      return (token as Tokens.Escape).text;
    case "codespan":
      return <code>{(token as Tokens.Codespan).text}</code>;
    case "strong":
      return <strong>{renderInline((token as Tokens.Strong).tokens, depth + 1)}</strong>;
    case "em":
      return <em>{renderInline((token as Tokens.Em).tokens, depth + 1)}</em>;
    case "del":
      return <del>{renderInline((token as Tokens.Del).tokens, depth + 1)}</del>;
    case "br":
      return <br />;
    case "link": {
      const link = token as Tokens.Link;
      const href = safeHref(link.href);
      // An unsafe target (javascript:, data:, a relative path) is not a link: its source stays as text.
      if (href === undefined) return link.raw;
      return (
        <a href={href} target="_blank" rel="noopener noreferrer nofollow">
          {renderInline(link.tokens, depth + 1)}
        </a>
      );
    }
    case "image": {
      // Images are not loaded (an answer must not make the browser fetch anything): a link to it instead.
      const image = token as Tokens.Image;
      const href = safeHref(image.href);
      if (href === undefined) return image.raw;
      return (
        <a href={href} target="_blank" rel="noopener noreferrer nofollow">
          {image.text.trim() === "" ? href : image.text}
        </a>
      );
    }
    default:
      // Raw HTML and anything else: its source, as text.
      return token.raw;
  }
}

function CodeBlock({ text, lang }: { text: string; lang: string | undefined }) {
  const [copied, setCopied] = useState(false);
  const copy = (): void => {
    navigator.clipboard?.writeText(text).then(
      () => {
        setCopied(true);
        setTimeout(() => setCopied(false), 1500);
      },
      () => setCopied(false),
    );
  };
  const label = lang ?? "code";
  return (
    <div className="md-code">
      <div className="md-code-bar">
        <span className="md-code-lang">{label}</span>
        <button type="button" className="link-button" onClick={copy} aria-label="Copy code to clipboard">
          {copied ? "Copied" : "Copy"}
        </button>
      </div>
      {/* It scrolls sideways: focusable, so the keyboard can scroll it too. */}
      <pre tabIndex={0} role="region" aria-label={`${label} block`}>
        <code>{text}</code>
      </pre>
    </div>
  );
}

function Blocks({ tokens, depth }: { tokens: readonly Token[]; depth: number }): ReactNode {
  return tokens.map((token, index) => <BlockToken key={index} token={token} depth={depth} />);
}

function BlockToken({ token, depth }: { token: Token; depth: number }): ReactNode {
  if (depth > MAX_DEPTH) return <p>{token.raw}</p>;
  switch (token.type) {
    case "space":
      return null;
    // A link reference definition: its links use it; one that is not a link stays as text.
    case "def":
      return safeHref((token as Tokens.Def).href) === undefined ? <p>{token.raw.trim()}</p> : null;
    case "paragraph":
      return <p>{renderInline((token as Tokens.Paragraph).tokens, depth + 1)}</p>;
    case "text": {
      // The text of a tight list item.
      const text = token as Tokens.Text;
      return text.tokens === undefined ? text.text : renderInline(text.tokens, depth + 1);
    }
    case "heading": {
      // Answers sit under the conversation's title (h1), so "#" is h2: no level is skipped.
      const heading = token as Tokens.Heading;
      const Tag = HEADINGS[Math.min(heading.depth, 6) - 1] ?? "h6";
      return <Tag className="md-heading">{renderInline(heading.tokens, depth + 1)}</Tag>;
    }
    case "code": {
      const code = token as Tokens.Code;
      return <CodeBlock text={code.text} lang={code.lang?.trim().split(/\s+/)[0] || undefined} />;
    }
    case "hr":
      return <hr />;
    // A task list item's box.
    case "checkbox":
      return (
        <span className="md-task" role="img" aria-label={(token as Tokens.Checkbox).checked ? "done" : "not done"}>
          {(token as Tokens.Checkbox).checked ? "☑ " : "☐ "}
        </span>
      );
    case "blockquote":
      return (
        <blockquote>
          <Blocks tokens={(token as Tokens.Blockquote).tokens} depth={depth + 1} />
        </blockquote>
      );
    case "list": {
      const list = token as Tokens.List;
      const items = list.items.map((item, index) => (
        <li key={index} className={item.task ? "md-task-item" : undefined}>
          <Blocks tokens={item.tokens} depth={depth + 1} />
        </li>
      ));
      const start = typeof list.start === "number" && list.start !== 1 ? list.start : undefined;
      return list.ordered ? <ol start={start}>{items}</ol> : <ul>{items}</ul>;
    }
    case "table": {
      const table = token as Tokens.Table;
      return (
        // It scrolls sideways on a narrow screen: focusable, so the keyboard can scroll it too.
        <div className="md-table-wrap" tabIndex={0} role="region" aria-label="Table">
          <table>
            <thead>
              <tr>
                {table.header.map((cell, index) => (
                  <th key={index} scope="col" className={alignClass(table.align[index])}>
                    {renderInline(cell.tokens, depth + 1)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {table.rows.map((row, rowIndex) => (
                <tr key={rowIndex}>
                  {row.map((cell, index) => (
                    <td key={index} className={alignClass(table.align[index])}>
                      {renderInline(cell.tokens, depth + 1)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      );
    }
    default:
      // Raw HTML and anything else: its source, as text.
      return <p>{token.raw}</p>;
  }
}

/**
 * Agent text as formatted, inert React elements built from `marked`'s tokens: no HTML from the
 * text ever reaches the DOM, and links only go to http(s) addresses, in a new tab, without an opener.
 */
export function Markdown({ text }: { text: string }) {
  const tokens = useMemo(() => (text.length > MAX_FORMATTED_CHARS ? undefined : lexMarkdown(text)), [text]);
  if (tokens === undefined) return <div className="markdown markdown-plain">{text}</div>;
  return (
    <div className="markdown">
      <Blocks tokens={tokens} depth={0} />
    </div>
  );
}
