import { z } from "zod";
import { defineTool } from "../define-tool.js";
import { ToolError } from "../errors.js";
import type { KnowledgeBase, KnowledgeMatch } from "./knowledge-base.js";

/** How much of the best passage the answer quotes: enough to answer, short enough to read. */
const QUOTE_CHARS = 500;

const sentences = new Intl.Segmenter("en", { granularity: "sentence" });

/** One line of text: list bullets and paragraphs run on, as a quotation does. */
function asOneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/**
 * Cuts text to whole sentences within `max` characters; a first sentence longer than that is cut at
 * a word and marked with an ellipsis.
 */
export function trimToSentences(text: string, max = QUOTE_CHARS): string {
  const line = asOneLine(text);
  if (line.length <= max) return line;
  let kept = "";
  for (const { segment } of sentences.segment(line)) {
    if ((kept + segment).trimEnd().length > max) break;
    kept += segment;
  }
  if (kept.trim() !== "") return kept.trim();
  const cut = line.slice(0, max);
  return `${cut.slice(0, cut.lastIndexOf(" ") > 0 ? cut.lastIndexOf(" ") : max).trimEnd()}…`;
}

function citation(match: KnowledgeMatch): string {
  return `According to ${match.document} (“${match.section}”): ${trimToSentences(match.passage)}`;
}

/** The researcher's tool: searches Switchboard's own docs and quotes the best passage with its source. */
export function searchKnowledgeBaseTool(kb: KnowledgeBase) {
  return defineTool({
    name: "search_knowledge_base",
    description:
      "Search Switchboard's documentation (architecture, agents, handoffs, durability, Redis layout) and get the best passages with the document and section they come from.",
    parameters: z.object({
      query: z.string().trim().min(1).max(300).describe("keywords or a question about Switchboard"),
      limit: z.number().int().min(1).max(5).default(3).describe("how many passages to return, 1–5"),
    }),
    execute: ({ query, limit }) => {
      const matches = kb.search(query, limit);
      const best = matches[0];
      if (!best) {
        throw new ToolError(
          `Nothing in the knowledge base matches "${query}". Try other keywords, e.g. the name of a feature ("handoff", "checkpoint", "queue", "token budget").`,
        );
      }
      return { query, matches, answer: citation(best) };
    },
  });
}
