import { useMemo, useState, type ReactNode } from "react";
import { parseMarkdown, type Align, type Block, type Inline } from "../markdown.js";

/** Past this size, parsing on every streamed word costs more than formatting is worth. */
const MAX_FORMATTED_CHARS = 60_000;

const HEADINGS = ["h3", "h4", "h5", "h6", "h6", "h6"] as const;

function renderInline(nodes: readonly Inline[]): ReactNode[] {
  return nodes.map((node, index) => {
    switch (node.type) {
      case "text":
        return node.text;
      case "break":
        return <br key={index} />;
      case "code":
        return <code key={index}>{node.text}</code>;
      case "strong":
        return <strong key={index}>{renderInline(node.children)}</strong>;
      case "em":
        return <em key={index}>{renderInline(node.children)}</em>;
      case "del":
        return <del key={index}>{renderInline(node.children)}</del>;
      case "link":
        return (
          <a key={index} href={node.href} target="_blank" rel="noopener noreferrer nofollow">
            {renderInline(node.children)}
          </a>
        );
    }
  });
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
  return (
    <div className="md-code">
      <div className="md-code-bar">
        <span className="md-code-lang">{lang ?? "code"}</span>
        <button type="button" className="link-button" onClick={copy} aria-label="Copy code to clipboard">
          {copied ? "Copied" : "Copy"}
        </button>
      </div>
      <pre>
        <code>{text}</code>
      </pre>
    </div>
  );
}

const alignClass = (align: Align): string | undefined => (align === null ? undefined : `align-${align}`);

function BlockView({ block }: { block: Block }) {
  switch (block.type) {
    case "paragraph":
      return <p>{renderInline(block.children)}</p>;
    case "heading": {
      // Answers sit inside the page's own headings, so "#" starts at h3.
      const Tag = HEADINGS[Math.min(block.level, 6) - 1] ?? "h6";
      return <Tag className="md-heading">{renderInline(block.children)}</Tag>;
    }
    case "code":
      return <CodeBlock text={block.text} lang={block.lang} />;
    case "rule":
      return <hr />;
    case "quote":
      return (
        <blockquote>
          {block.children.map((child, index) => (
            <BlockView key={index} block={child} />
          ))}
        </blockquote>
      );
    case "list": {
      const items = block.items.map((item, index) => (
        <li key={index}>
          {item.map((child, childIndex) => (
            <BlockView key={childIndex} block={child} />
          ))}
        </li>
      ));
      return block.ordered ? <ol start={block.start === 1 ? undefined : block.start}>{items}</ol> : <ul>{items}</ul>;
    }
    case "table":
      return (
        <div className="md-table-wrap">
          <table>
            <thead>
              <tr>
                {block.header.map((cell, index) => (
                  <th key={index} scope="col" className={alignClass(block.align[index] ?? null)}>
                    {renderInline(cell)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {block.rows.map((row, rowIndex) => (
                <tr key={rowIndex}>
                  {row.map((cell, index) => (
                    <td key={index} className={alignClass(block.align[index] ?? null)}>
                      {renderInline(cell)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      );
  }
}

/**
 * Agent text as formatted, inert React elements: no HTML from the text ever reaches the DOM, and
 * links only go to http(s) addresses, in a new tab, without an opener.
 */
export function Markdown({ text }: { text: string }) {
  const blocks = useMemo(() => (text.length > MAX_FORMATTED_CHARS ? undefined : parseMarkdown(text)), [text]);
  if (blocks === undefined) return <div className="markdown markdown-plain">{text}</div>;
  return (
    <div className="markdown">
      {blocks.map((block, index) => (
        <BlockView key={index} block={block} />
      ))}
    </div>
  );
}
