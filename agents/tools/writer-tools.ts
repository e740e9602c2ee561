import { z } from "zod";
import { defineTool } from "../define-tool.js";
import { ToolError } from "../errors.js";
import type { Style } from "./writer-text.js";

/**
 * The writer's tools. The language work is in writer-text.ts (compromise), loaded on the first
 * call rather than when the agents process starts.
 */

const MAX_TEXT_CHARS = 50_000;
const WORDS_PER_MINUTE = 200;

let loading: Promise<typeof import("./writer-text.js")> | undefined;
function writerText(): Promise<typeof import("./writer-text.js")> {
  return (loading ??= import("./writer-text.js").catch((error: unknown) => {
    loading = undefined;
    throw error;
  }));
}

const Text = z.string().max(MAX_TEXT_CHARS).describe("the text to work on");

/** Refuses empty text with a message the model can act on. */
function requireText(text: string, action: string): string {
  const trimmed = text.trim();
  if (trimmed === "") throw new ToolError(`There is no text to ${action}: pass the text itself in "text".`);
  return trimmed;
}

const STYLE_LABELS: Record<Style, string> = {
  bullets: "as bullet points",
  shorter: "shorter",
  formal: "in a formal style",
  title: "in title case",
};

export const summarizeTextTool = defineTool({
  name: "summarize_text",
  description:
    "Extractive summary of a text: picks its most representative sentences, word for word, in their original order.",
  parameters: z.object({
    text: Text,
    sentences: z.number().int().min(1).max(10).default(3).describe("how many sentences the summary keeps, 1–10"),
  }),
  execute: ({ text, sentences: count }) => {
    const trimmed = requireText(text, "summarize");
    return writerText().then(({ sentencesOf, topSentences }) => {
      const sentences = topSentences(trimmed, count);
      const summary = sentences.join(" ");
      const total = sentencesOf(text).length;
      return { summary, sentences, answer: `Summary (${sentences.length} of ${total} sentences): ${summary}` };
    });
  },
});

export const rewriteTextTool = defineTool({
  name: "rewrite_text",
  description:
    "Rewrites a text: as bullet points (one per sentence), shorter (filler dropped, main sentences kept), formal (contractions expanded, sentences capitalized) or in title case.",
  parameters: z.object({
    text: Text,
    style: z.enum(["bullets", "shorter", "formal", "title"]).default("bullets").describe("how to rewrite the text"),
  }),
  execute: ({ text, style }) => {
    const trimmed = requireText(text, "rewrite");
    return writerText().then(({ REWRITERS }) => {
      const rewritten = REWRITERS[style](trimmed);
      // Bullets read best from a new line; the other styles follow the label on the same line.
      const separator = style === "bullets" ? "\n" : " ";
      return { text: rewritten, answer: `Rewritten ${STYLE_LABELS[style]}:${separator}${rewritten}` };
    });
  },
});

export const textStatsTool = defineTool({
  name: "text_stats",
  description: "Counts the words and sentences of a text and estimates its reading time.",
  parameters: z.object({ text: Text }),
  execute: ({ text }) => {
    const trimmed = requireText(text, "measure");
    return writerText().then(({ textStats }) => {
      const { words, sentences } = textStats(trimmed);
      const readingMinutes = Math.max(1, Math.ceil(words / WORDS_PER_MINUTE));
      const answer = `${words} ${words === 1 ? "word" : "words"}, ${sentences} ${sentences === 1 ? "sentence" : "sentences"}, about ${readingMinutes} ${readingMinutes === 1 ? "minute" : "minutes"} to read (at ${WORDS_PER_MINUTE} words a minute).`;
      return { words, sentences, readingMinutes, answer };
    });
  },
});

/** The writer specialist's tools, in the order the model is shown them. */
export const writerTools = [summarizeTextTool, rewriteTextTool, textStatsTool];
