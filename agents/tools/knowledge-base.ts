import { readFile, readdir, stat } from "node:fs/promises";
import path from "node:path";
import { Lexer, type MarkedToken, type Tokens } from "marked";
import MiniSearch from "minisearch";
import { APP_ROOT } from "../../platform/app-root.js";
import { ConfigurationError } from "../errors.js";
import { isStopWord } from "../text/stop-words.js";
import { stem } from "../text/terms.js";

/** The project's user docs (found from the code, in source or in dist/, not the working directory), which are also the researcher's corpus. */
export const DEFAULT_DOCS_DIR = path.join(APP_ROOT, "docs");

/** Sections longer than this are cut into chunks of whole blocks, so a match quotes one idea. */
const MAX_PASSAGE_CHARS = 800;
const SECTION_SEPARATOR = " › ";
const MARKDOWN_FILE = /\.(?:md|markdown)$/i;

/** One searchable piece of a document: a section, or a chunk of a long one. */
interface Passage {
  id: number;
  /** Path relative to the repository root, with forward slashes: "docs/handoffs.md". */
  document: string;
  /** The document's H1. */
  title: string;
  /** Headings below the H1 that lead to this passage, joined with " › "; empty for the intro. */
  heading: string;
  text: string;
}

export interface KnowledgeMatch {
  /** Path relative to the repository root, e.g. "docs/handoffs.md". */
  document: string;
  /** The document's title (its H1). */
  title: string;
  /** The heading path of the passage, e.g. "Handoffs › Delegate". */
  section: string;
  passage: string;
  score: number;
}

/**
 * Lower-cases, drops stop words, and keeps both the stem and the word: the stem lets "delegation"
 * meet "delegates" at "deleg", the word lets fuzzy matching catch a typo such as "delegaton".
 */
export function normalizeTerm(term: string): string[] | null {
  const lower = term.toLowerCase();
  if (lower.length < 2 || isStopWord(lower)) return null;
  return [...new Set([stem(lower), lower])];
}

/** Plain text of one block, or undefined for blocks that carry no prose (spacing, rules, HTML). */
function blockText(token: MarkedToken): string | undefined {
  switch (token.type) {
    case "paragraph":
    case "blockquote":
    case "code":
    case "text":
      return token.text.trim();
    case "list":
      return token.items.map((item) => `• ${item.text.trim()}`).join("\n");
    case "table":
      return tableText(token);
    default:
      return undefined;
  }
}

function tableText(table: Tokens.Table): string {
  const line = (cells: Tokens.TableCell[]) => cells.map((cell) => cell.text.trim()).join(" | ");
  return [line(table.header), ...table.rows.map(line)].join("\n");
}

interface Section {
  headings: string[];
  blocks: string[];
}

/** Splits a document at its headings; each section keeps the path of headings above it. */
function splitIntoSections(markdown: string): { title: string | undefined; sections: Section[] } {
  // marked's own token union; `Tokens.Generic` only appears with extensions, which are not used here.
  const tokens = Lexer.lex(markdown) as MarkedToken[];
  const open: Array<{ depth: number; text: string }> = [];
  const sections: Section[] = [];
  let title: string | undefined;
  let current: Section = { headings: [], blocks: [] };
  for (const token of tokens) {
    if (token.type === "heading") {
      if (token.depth === 1 && title === undefined) title = token.text.trim();
      while ((open.at(-1)?.depth ?? 0) >= token.depth) open.pop();
      open.push({ depth: token.depth, text: token.text.trim() });
      current = { headings: open.map((heading) => heading.text), blocks: [] };
      sections.push(current);
      continue;
    }
    const text = blockText(token);
    if (text) {
      if (sections.length === 0) sections.push(current);
      current.blocks.push(text);
    }
  }
  return { title, sections: sections.filter((section) => section.blocks.length > 0) };
}

/** Packs whole blocks into chunks of at most MAX_PASSAGE_CHARS; a longer block stays one chunk. */
function chunkBlocks(blocks: string[]): string[] {
  const chunks: string[] = [];
  let chunk = "";
  for (const block of blocks) {
    if (chunk !== "" && chunk.length + block.length + 2 > MAX_PASSAGE_CHARS) {
      chunks.push(chunk);
      chunk = "";
    }
    chunk = chunk === "" ? block : `${chunk}\n\n${block}`;
  }
  if (chunk !== "") chunks.push(chunk);
  return chunks;
}

function passagesOf(document: string, markdown: string, firstId: number): Passage[] {
  const { title: heading1, sections } = splitIntoSections(markdown);
  const title = heading1 ?? path.basename(document).replace(MARKDOWN_FILE, "");
  const passages: Passage[] = [];
  for (const section of sections) {
    // The H1 is the title field already; the heading field holds only what lies below it.
    const below = section.headings[0] === heading1 ? section.headings.slice(1) : section.headings;
    for (const text of chunkBlocks(section.blocks)) {
      passages.push({ id: firstId + passages.length, document, title, heading: below.join(SECTION_SEPARATOR), text });
    }
  }
  return passages;
}

async function markdownFiles(dir: string): Promise<string[]> {
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) throw new ConfigurationError(`knowledge base: ${dir} is not a folder`);
  const entries = await readdir(dir, { recursive: true });
  const files = entries.filter((entry) => MARKDOWN_FILE.test(entry)).sort();
  if (files.length === 0) throw new ConfigurationError(`knowledge base: no Markdown files (*.md) under ${dir}`);
  return files.map((file) => path.join(dir, file));
}

/** How a file is cited: from the repository root when it lies inside it, else from the folder's parent. */
function citationPath(file: string, dir: string): string {
  const fromRoot = path.relative(APP_ROOT, file);
  const relative = fromRoot.startsWith("..") || path.isAbsolute(fromRoot) ? path.relative(path.dirname(dir), file) : fromRoot;
  return relative.split(path.sep).join("/");
}

/**
 * Full-text search over a folder of Markdown documents, one passage per section (or chunk of a
 * long section), ranked with MiniSearch: title and headings weigh more than body text, and prefix
 * and fuzzy matching forgive word forms and typos.
 */
export class KnowledgeBase {
  private static readonly loading = new Map<string, Promise<KnowledgeBase>>();

  private readonly index: MiniSearch<Passage>;

  private constructor(private readonly passages: Passage[]) {
    this.index = new MiniSearch<Passage>({
      fields: ["title", "heading", "text"],
      storeFields: ["document", "title", "heading", "text"],
      processTerm: normalizeTerm,
      searchOptions: { boost: { title: 2, heading: 3 }, prefix: true, fuzzy: 0.2 },
    });
    this.index.addAll(passages);
  }

  /**
   * Reads and indexes every Markdown file under `dir` (recursively), once per folder: later calls
   * share the first one's result.
   * @defaultValue `dir` is the repository's `docs/` folder.
   */
  static load(dir: string = DEFAULT_DOCS_DIR): Promise<KnowledgeBase> {
    const absolute = path.resolve(dir);
    let loaded = KnowledgeBase.loading.get(absolute);
    if (!loaded) {
      loaded = KnowledgeBase.read(absolute);
      KnowledgeBase.loading.set(absolute, loaded);
      // A failed load is not remembered, so fixing the folder and asking again works.
      loaded.catch(() => KnowledgeBase.loading.delete(absolute));
    }
    return loaded;
  }

  private static async read(dir: string): Promise<KnowledgeBase> {
    const passages: Passage[] = [];
    for (const file of await markdownFiles(dir)) {
      const markdown = await readFile(file, "utf8");
      passages.push(...passagesOf(citationPath(file, dir), markdown, passages.length));
    }
    if (passages.length === 0) throw new ConfigurationError(`knowledge base: the Markdown files under ${dir} have no text`);
    return new KnowledgeBase(passages);
  }

  /** The documents indexed, as cited in matches. */
  get documents(): string[] {
    return [...new Set(this.passages.map((passage) => passage.document))];
  }

  /** Each document's title and top-level sections, once each, in document order: what the corpus covers. */
  get topics(): string[] {
    const headings = this.passages.flatMap((passage) => [passage.title, passage.heading.split(SECTION_SEPARATOR)[0] ?? ""]);
    return [...new Set(headings.map((heading) => heading.trim()).filter(Boolean))];
  }

  /** The best passages for `query`, best first; empty when nothing matches. */
  search(query: string, limit = 3): KnowledgeMatch[] {
    return this.index
      .search(query)
      .slice(0, Math.max(0, limit))
      .map((hit) => {
        const passage = this.passages[hit.id as number] as Passage;
        return {
          document: passage.document,
          title: passage.title,
          section: [passage.title, passage.heading].filter(Boolean).join(SECTION_SEPARATOR),
          passage: passage.text,
          score: Math.round(hit.score * 100) / 100,
        };
      });
  }
}
