/**
 * A small Markdown parser for agent output. It produces a plain tree that `components/markdown.tsx`
 * turns into React elements, so agent text never reaches the DOM as HTML: a `<script>` or
 * `<img onerror>` in an answer stays literal text. Covered: paragraphs, line breaks, headings,
 * fenced code, bullet and numbered lists (nested), block quotes, rules, simple tables, **bold**,
 * *italic*, ~~strike~~, `code`, [links](https://…) and bare http(s) URLs.
 * Unsafe link targets (javascript:, data:, relative paths) are not links: the source stays as text.
 */

export type Inline =
  | { type: "text"; text: string }
  | { type: "code"; text: string }
  | { type: "strong"; children: Inline[] }
  | { type: "em"; children: Inline[] }
  | { type: "del"; children: Inline[] }
  | { type: "link"; href: string; children: Inline[] }
  | { type: "break" };

export type Align = "left" | "center" | "right" | null;

export type Block =
  | { type: "paragraph"; children: Inline[] }
  | { type: "heading"; level: number; children: Inline[] }
  | { type: "code"; lang: string | undefined; text: string }
  | { type: "list"; ordered: boolean; start: number; items: Block[][] }
  | { type: "quote"; children: Block[] }
  | { type: "rule" }
  | { type: "table"; align: Align[]; header: Inline[][]; rows: Inline[][][] };

/** Nesting beyond this is rendered flat, so hostile input ("> > > > …") cannot exhaust the stack. */
const MAX_DEPTH = 12;

/** Returns a normalised http(s) URL, or undefined for anything a link must not point to. */
export function safeHref(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return undefined;
  }
  return url.protocol === "http:" || url.protocol === "https:" ? url.href : undefined;
}

export function parseMarkdown(source: string): Block[] {
  const lines = source.replace(/\r\n?/g, "\n").replace(/\t/g, "    ").split("\n");
  return parseBlocks(lines, 0);
}

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)[^`]*$/;
const HEADING = /^ {0,3}(#{1,6})(?:\s+(.*?))?\s*#*\s*$/;
const RULE = /^ {0,3}([-*_])(?:\s*\1){2,}\s*$/;
const QUOTE = /^ {0,3}> ?(.*)$/;
const LIST_ITEM = /^( {0,12})([-*+]|\d{1,9}[.)])(\s+|$)(.*)$/;
const TABLE_SEPARATOR = /^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/;

const isBlank = (line: string): boolean => line.trim() === "";

interface ListMarker {
  indent: number;
  ordered: boolean;
  bullet: string;
  start: number;
  contentIndent: number;
  rest: string;
}

function listMarker(line: string): ListMarker | undefined {
  const match = LIST_ITEM.exec(line);
  if (!match) return undefined;
  const [, spaces = "", marker = "", gap = "", rest = ""] = match;
  const ordered = /\d/.test(marker.charAt(0));
  // A bullet line like "---" is a rule, not an empty item.
  if (!ordered && RULE.test(line)) return undefined;
  const indent = spaces.length;
  // Content that starts 5+ spaces after the marker would be indented code in CommonMark; treat the
  // marker width plus one space as the content column then, which is what people mean in chat.
  const gapWidth = gap.length === 0 || gap.length > 4 ? 1 : gap.length;
  return {
    indent,
    ordered,
    bullet: ordered ? marker.slice(-1) : marker,
    start: ordered ? Number.parseInt(marker, 10) : 1,
    contentIndent: indent + marker.length + gapWidth,
    rest: gap.length > 4 ? `${" ".repeat(gap.length - 1)}${rest}` : rest,
  };
}

function startsBlock(line: string): boolean {
  return FENCE.test(line) || HEADING.test(line) || RULE.test(line) || QUOTE.test(line) || listMarker(line) !== undefined;
}

function splitRow(line: string): string[] {
  let row = line.trim();
  if (row.startsWith("|")) row = row.slice(1);
  if (row.endsWith("|") && !row.endsWith("\\|")) row = row.slice(0, -1);
  const cells: string[] = [];
  let current = "";
  let inCode = false;
  for (let index = 0; index < row.length; index++) {
    const char = row.charAt(index);
    if (char === "\\" && row.charAt(index + 1) === "|") {
      current += "|";
      index++;
    } else if (char === "`") {
      inCode = !inCode;
      current += char;
    } else if (char === "|" && !inCode) {
      cells.push(current.trim());
      current = "";
    } else {
      current += char;
    }
  }
  cells.push(current.trim());
  return cells;
}

function alignment(cell: string): Align {
  const left = cell.startsWith(":");
  const right = cell.endsWith(":");
  if (left && right) return "center";
  if (right) return "right";
  if (left) return "left";
  return null;
}

function stripIndent(line: string, width: number): string {
  let index = 0;
  while (index < width && line.charAt(index) === " ") index++;
  return line.slice(index);
}

function parseBlocks(lines: string[], depth: number): Block[] {
  const blocks: Block[] = [];
  let index = 0;
  const at = (position: number): string => lines[position] ?? "";

  while (index < lines.length) {
    const line = at(index);
    if (isBlank(line)) {
      index++;
      continue;
    }

    const fence = FENCE.exec(line);
    if (fence) {
      const marker = fence[1] ?? "```";
      const closing = new RegExp(`^ {0,3}${marker.charAt(0) === "`" ? "`" : "~"}{${marker.length},}\\s*$`);
      const body: string[] = [];
      index++;
      while (index < lines.length && !closing.test(at(index))) body.push(at(index++));
      index++; // past the closing fence; an unclosed fence (a streaming answer) runs to the end
      blocks.push({ type: "code", lang: fence[2] || undefined, text: body.join("\n") });
      continue;
    }

    const heading = HEADING.exec(line);
    if (heading) {
      blocks.push({ type: "heading", level: (heading[1] ?? "#").length, children: parseInline(heading[2] ?? "") });
      index++;
      continue;
    }

    if (RULE.test(line)) {
      blocks.push({ type: "rule" });
      index++;
      continue;
    }

    if (depth < MAX_DEPTH && QUOTE.test(line)) {
      const body: string[] = [];
      while (index < lines.length && !isBlank(at(index))) {
        const quoted = QUOTE.exec(at(index));
        // Lines without ">" continue the quote's paragraph ("lazy" continuation).
        body.push(quoted ? (quoted[1] ?? "") : at(index));
        index++;
      }
      blocks.push({ type: "quote", children: parseBlocks(body, depth + 1) });
      continue;
    }

    const marker = depth < MAX_DEPTH ? listMarker(line) : undefined;
    if (marker) {
      const items: string[][] = [];
      let current: string[] = [marker.rest];
      let contentIndent = marker.contentIndent;
      index++;
      while (index < lines.length) {
        const next = at(index);
        if (isBlank(next)) {
          // A blank line continues the item only when the next text is indented under it or is
          // another item of this list.
          let ahead = index + 1;
          while (ahead < lines.length && isBlank(at(ahead))) ahead++;
          const following = at(ahead);
          const followingMarker = listMarker(following);
          const indented = following.length - following.trimStart().length >= contentIndent;
          const sibling =
            followingMarker !== undefined &&
            followingMarker.indent < contentIndent &&
            followingMarker.ordered === marker.ordered &&
            followingMarker.bullet === marker.bullet;
          if (ahead >= lines.length || (!indented && !sibling)) break;
          current.push("");
          index++;
          continue;
        }
        const nextMarker = listMarker(next);
        if (nextMarker && nextMarker.indent < contentIndent) {
          if (nextMarker.ordered !== marker.ordered || nextMarker.bullet !== marker.bullet) break;
          items.push(current);
          current = [nextMarker.rest];
          contentIndent = nextMarker.contentIndent;
          index++;
          continue;
        }
        const indentation = next.length - next.trimStart().length;
        if (indentation >= contentIndent) {
          current.push(stripIndent(next, contentIndent));
        } else if (!startsBlock(next) && !isBlank(at(index - 1))) {
          current.push(next.trimStart()); // lazy continuation of the item's paragraph
        } else {
          break;
        }
        index++;
      }
      items.push(current);
      blocks.push({
        type: "list",
        ordered: marker.ordered,
        start: marker.start,
        items: items.map((item) => parseBlocks(item, depth + 1)),
      });
      continue;
    }

    const separator = at(index + 1);
    if (line.includes("|") && TABLE_SEPARATOR.test(separator) && separator.includes("-")) {
      const header = splitRow(line);
      const align = splitRow(separator).map(alignment);
      const width = header.length;
      const rows: Inline[][][] = [];
      index += 2;
      while (index < lines.length && !isBlank(at(index)) && at(index).includes("|")) {
        const cells = splitRow(at(index));
        rows.push(Array.from({ length: width }, (_, column) => parseInline(cells[column] ?? "")));
        index++;
      }
      blocks.push({
        type: "table",
        align: Array.from({ length: width }, (_, column) => align[column] ?? null),
        header: header.map((cell) => parseInline(cell)),
        rows,
      });
      continue;
    }

    const paragraph: string[] = [line.trim()];
    index++;
    while (index < lines.length && !isBlank(at(index)) && !startsBlock(at(index))) {
      paragraph.push(at(index).trim());
      index++;
    }
    blocks.push({ type: "paragraph", children: parseInline(paragraph.join("\n")) });
  }
  return blocks;
}

const ESCAPABLE = "\\`*_{}[]()#+-.!|~<>\"'";
const URL_START = /^https?:\/\/[^\s<>"'`]+/;
const isWordChar = (char: string): boolean => /[\p{L}\p{N}]/u.test(char);
const isSpace = (char: string): boolean => char === "" || /\s/.test(char);

/** Length of the run of `char` starting at `from`. */
function runLength(text: string, from: number, char: string): number {
  let end = from;
  while (text.charAt(end) === char) end++;
  return end - from;
}

/** Where a code span opened at `from` with `length` backticks closes, or -1. */
function closingBackticks(text: string, from: number, length: number): number {
  let search = from;
  while (search < text.length) {
    const found = text.indexOf("`", search);
    if (found === -1) return -1;
    const run = runLength(text, found, "`");
    if (run === length) return found;
    search = found + run;
  }
  return -1;
}

/** Where an emphasis delimiter opened before `from` closes, skipping code spans; -1 if it does not. */
function closingDelimiter(text: string, from: number, delimiter: string): number {
  const char = delimiter.charAt(0);
  let index = from;
  while (index < text.length) {
    const current = text.charAt(index);
    if (current === "\\") {
      index += 2;
      continue;
    }
    if (current === "`") {
      const run = runLength(text, index, "`");
      const close = closingBackticks(text, index + run, run);
      index = close === -1 ? index + run : close + run;
      continue;
    }
    if (current === char) {
      const run = runLength(text, index, char);
      const before = text.charAt(index - 1);
      const after = text.charAt(index + delimiter.length);
      const fits = delimiter.length === 1 ? run === 1 || run >= 3 : run >= 2;
      const wordSafe = char !== "_" || !isWordChar(after);
      if (fits && index > from && !isSpace(before) && wordSafe) return index;
      index += run;
      continue;
    }
    index++;
  }
  return -1;
}

/** Index of the "]" matching the "[" at `open`, honouring nesting and escapes; -1 if none. */
function closingBracket(text: string, open: number): number {
  let depth = 0;
  for (let index = open; index < text.length; index++) {
    const char = text.charAt(index);
    if (char === "\\") index++;
    else if (char === "[") depth++;
    else if (char === "]" && --depth === 0) return index;
  }
  return -1;
}

/** Index of the ")" closing a link destination that starts after `open`; -1 if none. */
function closingParen(text: string, open: number): number {
  let depth = 0;
  for (let index = open; index < text.length; index++) {
    const char = text.charAt(index);
    if (char === "\\") index++;
    else if (char === "(") depth++;
    else if (char === ")" && --depth === 0) return index;
    else if (char === "\n") return -1;
  }
  return -1;
}

/** Trailing punctuation after a bare URL belongs to the sentence, not the link. */
function trimUrl(candidate: string): string {
  let url = candidate.replace(/[.,;:!?*_~]+$/, "");
  while (url.endsWith(")") && (url.match(/\(/g)?.length ?? 0) < (url.match(/\)/g)?.length ?? 0)) {
    url = url.slice(0, -1).replace(/[.,;:!?]+$/, "");
  }
  return url;
}

export function parseInline(text: string, depth = 0): Inline[] {
  const out: Inline[] = [];
  let buffer = "";
  const flush = (): void => {
    if (buffer !== "") out.push({ type: "text", text: buffer });
    buffer = "";
  };

  let index = 0;
  while (index < text.length) {
    const char = text.charAt(index);

    if (char === "\\" && ESCAPABLE.includes(text.charAt(index + 1)) && text.charAt(index + 1) !== "") {
      buffer += text.charAt(index + 1);
      index += 2;
      continue;
    }

    if (char === "\n") {
      flush();
      out.push({ type: "break" });
      index++;
      continue;
    }

    if (char === "`") {
      const run = runLength(text, index, "`");
      const close = closingBackticks(text, index + run, run);
      if (close === -1) {
        buffer += "`".repeat(run);
        index += run;
        continue;
      }
      let code = text.slice(index + run, close).replace(/\n/g, " ");
      if (code.length > 2 && code.startsWith(" ") && code.endsWith(" ") && code.trim() !== "") code = code.slice(1, -1);
      flush();
      out.push({ type: "code", text: code });
      index = close + run;
      continue;
    }

    if ((char === "*" || char === "_" || char === "~") && depth < MAX_DEPTH) {
      const run = runLength(text, index, char);
      const double = run >= 2;
      const delimiter = double ? char + char : char;
      const after = text.charAt(index + delimiter.length);
      const before = text.charAt(index - 1);
      const canOpen = !isSpace(after) && (char !== "_" || !isWordChar(before)) && (char !== "~" || double);
      const close = canOpen ? closingDelimiter(text, index + delimiter.length, delimiter) : -1;
      if (close !== -1) {
        flush();
        const children = parseInline(text.slice(index + delimiter.length, close), depth + 1);
        out.push(char === "~" ? { type: "del", children } : double ? { type: "strong", children } : { type: "em", children });
        index = close + delimiter.length;
        continue;
      }
      buffer += char.repeat(run);
      index += run;
      continue;
    }

    if (char === "[" && depth < MAX_DEPTH) {
      const close = closingBracket(text, index);
      if (close !== -1 && text.charAt(close + 1) === "(") {
        const end = closingParen(text, close + 1);
        if (end !== -1) {
          // [label](url "title"): the title is dropped, the label kept.
          const destination = text.slice(close + 2, end).trim().replace(/\s+["'(].*$/, "").replace(/^<(.*)>$/, "$1");
          const href = safeHref(destination);
          if (href !== undefined) {
            flush();
            out.push({ type: "link", href, children: parseInline(text.slice(index + 1, close), depth + 1) });
            index = end + 1;
            continue;
          }
          buffer += text.slice(index, end + 1);
          index = end + 1;
          continue;
        }
      }
    }

    if (char === "h" && !isWordChar(text.charAt(index - 1))) {
      const match = URL_START.exec(text.slice(index, index + 2048));
      if (match) {
        const candidate = trimUrl(match[0]);
        const href = safeHref(candidate);
        if (href !== undefined && candidate.length > "https://".length - 1) {
          flush();
          out.push({ type: "link", href, children: [{ type: "text", text: candidate }] });
          index += candidate.length;
          continue;
        }
      }
    }

    buffer += char;
    index++;
  }
  flush();
  return out;
}
