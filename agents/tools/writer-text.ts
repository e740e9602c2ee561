import nlp from "compromise";
import { stem } from "../text/terms.js";

/**
 * The writer's language work, done by compromise (sentence and term segmentation, part-of-speech
 * tags, contractions); the functions only decide what to keep. compromise takes seconds to load,
 * so the writer's tools (writer-tools.ts) load this module on their first call.
 */

/** One word as compromise sees it: its text, surrounding whitespace and punctuation, and tags. */
type Term = ReturnType<typeof nlp>["docs"][number][number];

/** Tags of words that carry grammar rather than content; they do not count towards a sentence's topic. */
const FUNCTION_WORD_TAGS = ["Determiner", "Preposition", "Conjunction", "Pronoun", "Auxiliary", "Copula", "QuestionWord", "Negative", "Adverb"];
/** Adverbs that change meaning; "shorter" keeps them while it drops the other adverbs as filler. */
const MEANINGFUL_ADVERBS = "(not|never|no|only|also|too|almost|again|already|always|still|yet)";
/** Small words a title keeps in lower case unless they start or end it. */
const TITLE_LOWERCASE_TAGS = ["Determiner", "Preposition", "Conjunction"];

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

export function sentencesOf(text: string): Sentence[] {
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

export const REWRITERS = { bullets: asBullets, shorter: shorten, formal: formalize, title: titleCase } as const;
export type Style = keyof typeof REWRITERS;

export function textStats(text: string): { words: number; sentences: number } {
  const doc = nlp(text);
  return { words: doc.wordCount(), sentences: doc.sentences().length };
}
