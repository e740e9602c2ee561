import nlp from "compromise";
import { z } from "zod";
import { defineTool } from "../define-tool.js";
import { ToolError } from "../errors.js";
import { stem } from "../text/terms.js";

/**
 * The writer's tools. compromise does the language work (sentence and term segmentation,
 * part-of-speech tags, contractions); the tools only decide what to keep.
 */

/** One word as compromise sees it: its text, surrounding whitespace and punctuation, and tags. */
type Term = ReturnType<typeof nlp>["docs"][number][number];

const MAX_TEXT_CHARS = 50_000;
const WORDS_PER_MINUTE = 200;

/** Tags of words that carry grammar rather than content; they do not count towards a sentence's topic. */
const FUNCTION_WORD_TAGS = ["Determiner", "Preposition", "Conjunction", "Pronoun", "Auxiliary", "Copula", "QuestionWord", "Negative", "Adverb"];
/** Adverbs that change meaning; "shorter" keeps them while it drops the other adverbs as filler. */
const MEANINGFUL_ADVERBS = "(not|never|no|only|also|too|almost|again|already|always|still|yet)";
/** Small words a title keeps in lower case unless they start or end it. */
const TITLE_LOWERCASE_TAGS = ["Determiner", "Preposition", "Conjunction"];

const Text = z.string().max(MAX_TEXT_CHARS).describe("the text to work on");

/** Refuses empty text with a message the model can act on. */
function requireText(text: string, action: string): string {
  const trimmed = text.trim();
  if (trimmed === "") throw new ToolError(`There is no text to ${action}: pass the text itself in "text".`);
  return trimmed;
}

interface Sentence {
  index: number;
  text: string;
  terms: Term[];
}

function textOf(terms: Term[]): string {
  return terms
    .map((term) => `${term.pre}${term.text}${term.post}`)
    .join("")
    .trim();
}

function sentencesOf(text: string): Sentence[] {
  return nlp(text)
    .docs.map((terms, index) => ({ index, terms, text: textOf(terms) }))
    .filter((sentence) => sentence.text !== "");
}

function isContentWord(term: Term): boolean {
  if (!/\p{L}/u.test(term.normal)) return false;
  return !FUNCTION_WORD_TAGS.some((tag) => term.tags?.has(tag));
}

/** Content words by stem, so "agent" and "agents" count as one topic. */
function contentStems(sentence: Sentence): string[] {
  return sentence.terms.filter(isContentWord).map((term) => stem(term.normal));
}

/**
 * Scores each sentence by how often its content words occur in the whole text, damped by the
 * square root of its length so long sentences do not win on size alone.
 */
function scoreSentences(sentences: Sentence[]): Map<number, number> {
  const frequency = new Map<string, number>();
  for (const word of sentences.flatMap(contentStems)) frequency.set(word, (frequency.get(word) ?? 0) + 1);
  const scores = new Map<number, number>();
  for (const sentence of sentences) {
    const stems = contentStems(sentence);
    const total = stems.reduce((sum, word) => sum + (frequency.get(word) ?? 0), 0);
    scores.set(sentence.index, stems.length === 0 ? 0 : total / Math.sqrt(stems.length));
  }
  return scores;
}

/** The `count` best sentences, in the order they appear in the text; ties go to the earlier one. */
export function topSentences(text: string, count: number): string[] {
  const sentences = sentencesOf(text);
  const scores = scoreSentences(sentences);
  const chosen = [...sentences]
    .sort((a, b) => (scores.get(b.index) ?? 0) - (scores.get(a.index) ?? 0) || a.index - b.index)
    .slice(0, count)
    .map((sentence) => sentence.index);
  return sentences.filter((sentence) => chosen.includes(sentence.index)).map((sentence) => sentence.text);
}

function capitalizeFirst(text: string): string {
  return text.replace(/\p{L}/u, (letter) => letter.toUpperCase());
}

/** A sentence without closing punctuation gets a full stop. */
function closeSentence(text: string): string {
  return /[.!?…:;"'”’)]$/.test(text) ? text : `${text}.`;
}

function asBullets(text: string): string {
  return sentencesOf(text)
    .map((sentence) => `- ${sentence.text}`)
    .join("\n");
}

/** Drops filler adverbs ("basically", "really", "very"), then keeps the best half of the sentences. */
function shorten(text: string): string {
  const doc = nlp(text);
  doc.remove(doc.match("#Adverb").not(MEANINGFUL_ADVERBS));
  const trimmed = doc.text();
  const keep = Math.max(1, Math.ceil(sentencesOf(trimmed).length / 2));
  return topSentences(trimmed, keep).join(" ");
}

/** Expands contractions and starts and ends every sentence properly. */
function formalize(text: string): string {
  const doc = nlp(text);
  doc.contractions().expand();
  return sentencesOf(doc.text())
    .map((sentence) => closeSentence(capitalizeFirst(sentence.text.replace(/\bcan not\b/gi, "cannot"))))
    .join(" ");
}

/** Title case: small words stay lower case unless they start the title, end it, or follow a colon. */
function titleCase(text: string): string {
  const terms = nlp(text).docs.flat();
  return terms
    .map((term, index) => {
      const startsPart = index === 0 || index === terms.length - 1 || /[:—–-]\s*$/.test(terms[index - 1]?.post ?? "");
      const small = TITLE_LOWERCASE_TAGS.some((tag) => term.tags?.has(tag)) && term.text.length <= 4;
      const word = small && !startsPart ? term.text.toLowerCase() : capitalizeFirst(term.text);
      return `${term.pre}${word}${term.post}`;
    })
    .join("")
    .trim();
}

const REWRITERS = { bullets: asBullets, shorter: shorten, formal: formalize, title: titleCase } as const;
type Style = keyof typeof REWRITERS;

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
    const sentences = topSentences(requireText(text, "summarize"), count);
    const summary = sentences.join(" ");
    const total = sentencesOf(text).length;
    return { summary, sentences, answer: `Summary (${sentences.length} of ${total} sentences): ${summary}` };
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
    const rewritten = REWRITERS[style](requireText(text, "rewrite"));
    // Bullets read best from a new line; the other styles follow the label on the same line.
    const separator = style === "bullets" ? "\n" : " ";
    return { text: rewritten, answer: `Rewritten ${STYLE_LABELS[style]}:${separator}${rewritten}` };
  },
});

export const textStatsTool = defineTool({
  name: "text_stats",
  description: "Counts the words and sentences of a text and estimates its reading time.",
  parameters: z.object({ text: Text }),
  execute: ({ text }) => {
    const doc = nlp(requireText(text, "measure"));
    const words = doc.wordCount();
    const sentences = doc.sentences().length;
    const readingMinutes = Math.max(1, Math.ceil(words / WORDS_PER_MINUTE));
    const answer = `${words} ${words === 1 ? "word" : "words"}, ${sentences} ${sentences === 1 ? "sentence" : "sentences"}, about ${readingMinutes} ${readingMinutes === 1 ? "minute" : "minutes"} to read (at ${WORDS_PER_MINUTE} words a minute).`;
    return { words, sentences, readingMinutes, answer };
  },
});

/** The writer specialist's tools, in the order the model is shown them. */
export const writerTools = [summarizeTextTool, rewriteTextTool, textStatsTool];
