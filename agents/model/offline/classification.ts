import { RelevanceIndex, type Ranking } from "../../text/relevance.js";
import { reportedWords } from "../../text/reported-words.js";
import type { SchemaOption } from "./json-schema.js";

/**
 * Picks the option a text is about: each option is read as its own words ("wrong_item" → "wrong
 * item") and its description, ranked against the text by the shared relevance ranking, which
 * compares stems ("arrives" meets "arrived"; "cracked" meets nothing in options that never say it).
 *
 * What is read: when the text reports someone's words ("The customer wrote: …", or a quotation),
 * those words alone, since the template around them is the same whatever the request is; only if
 * they match no option at all is the whole text read.
 *
 * The rule: an option one of whose *distinctive* words matches (a word no other option holds)
 * wins over options that match only through words they share with another option; among those,
 * the higher score wins. So "the teapot arrived cracked" against "arrived broken, cracked or
 * damaged" and "never arrived or was lost" is decided by "cracked", never by "arrived" alone.
 * When no option's distinctive words match, the best overall match wins (ties keep the options'
 * order). Nothing matching, it falls back to a catch-all option ("other", "unknown"), else the first.
 */

const CATCH_ALL = /^(?:other|others|unknown|none|general|misc|miscellaneous|unclassified)$/i;

export function classify(text: string, options: SchemaOption[]): { value: unknown; matched: boolean } {
  const index = RelevanceIndex.of(options.map((option, order) => ({ id: String(order), text: `${wordsOf(option.value)} ${option.description}` })));
  const reported = reportedWords(text);
  const top = (reported === undefined ? undefined : bestOption(index, reported)) ?? bestOption(index, text);
  if (top) return { value: options[Number(top.id)]?.value, matched: true };
  const fallback = options.find((option) => typeof option.value === "string" && CATCH_ALL.test(option.value)) ?? options[0];
  return { value: fallback?.value, matched: false };
}

function bestOption(index: RelevanceIndex, text: string): Ranking | undefined {
  const ranked = index.rank(text).filter((ranking) => ranking.score > 0);
  return ranked.find((ranking) => ranking.matched.some((match) => match.holders === 1)) ?? ranked[0];
}

function wordsOf(value: unknown): string {
  return String(value).replace(/([a-z0-9])([A-Z])/g, "$1 $2").replace(/[_-]+/g, " ");
}
