import { stemmer } from "stemmer";
import { spellOperators } from "./operator-words.js";
import { isStopWord } from "./stop-words.js";

/**
 * The words of a text as every comparison reads them: lower-cased, stop words dropped, stemmed by
 * the Porter stemmer, so "delegation" meets "delegates" and "percent" meets "percentages".
 */

/** Abbreviations people type for words that texts spell out. */
const ABBREVIATIONS: Readonly<Record<string, string>> = {
  doc: "documentation",
  docs: "documentation",
  maths: "math",
  calc: "calculate",
};

export interface Term {
  /** Stemmed form, compared across texts. */
  stem: string;
  /** The word as written (lowercase), for saying what matched. */
  word: string;
}

/** Lowercase words and numbers, with contraction tails dropped and "3kg" split into "3 kg". */
export function tokenize(text: string): string[] {
  const separated = text.toLowerCase().replace(/(\d)([a-z])/g, "$1 $2");
  const words = separated.match(/[a-z0-9]+(?:['’][a-z]+)?/g) ?? [];
  return words.map((word) => word.replace(/['’][a-z]+$/, "")).filter((word) => word !== "");
}

const MAX_REMEMBERED_STEMS = 50_000;
const stems = new Map<string, string>();

export function stem(word: string): string {
  const lower = word.toLowerCase();
  let stemmed = stems.get(lower);
  if (stemmed === undefined) {
    stemmed = stemmer(ABBREVIATIONS[lower] ?? lower);
    // The words a team's texts and its users' requests use are few: remembered, up to a bound.
    if (stems.size >= MAX_REMEMBERED_STEMS) stems.clear();
    stems.set(lower, stemmed);
  }
  return stemmed;
}

/** A word that says what a text is about: not a stop word, not a bare number. */
export function isContentWord(word: string): boolean {
  return !isStopWord(word) && !/^\d/.test(word);
}

/** Content words as written, once each: no stop words, numbers kept (they matter to a search query). */
export function keywords(text: string): string[] {
  return [...new Set(tokenize(text).filter((word) => !isStopWord(word)))];
}

/** The content terms of a text, operator symbols spelled out ("15%" counts as "percent"). */
export function terms(text: string): Term[] {
  return tokenize(spellOperators(text))
    .filter(isContentWord)
    .map((word) => ({ stem: stem(word), word }));
}
