/**
 * Agent text as `marked`'s tokens (GitHub-flavoured Markdown, a single newline kept as a line
 * break). `components/markdown.tsx` turns the tokens into React elements, never HTML: raw HTML in
 * an answer is a token whose source is shown as text, and links only go to http(s) addresses.
 */
import { Lexer, type Token, type Tokens } from "marked";

export type { Token, Tokens };

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

/**
 * The block tokens of `source`, or undefined when it cannot be lexed: hostile nesting
 * ("> > > …" thousands deep) exhausts the lexer's stack, and such text is shown as it is.
 */
export function lexMarkdown(source: string): Token[] | undefined {
  try {
    return new Lexer({ gfm: true, breaks: true }).lex(source);
  } catch {
    return undefined;
  }
}
