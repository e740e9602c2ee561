import { tokenize } from "./terms.js";

/**
 * Words a request implies without writing them: "3 + 4" is arithmetic, "5 miles to km" a unit
 * conversion, "proofread this" asks for an edit. Ranking counts them for less than written words.
 */

/** Arithmetic is recognised from its shape, so "add 3 and 4" still finds a description about calculations. */
const MATH_SHAPES: readonly RegExp[] = [
  /\d\s*[-+*/×÷^%x]\s*[\d(]/i,
  /\d\s*%/,
  /\b(?:sqrt|cbrt|sin|cos|tan|log|ln|exp|abs|round|floor|ceil|factorial)\s*\(|\bpi\s*[-+*/^×÷]|[-+*/^×÷]\s*pi\b/i,
  /\b(?:add|sum(?: up)?|subtract|multiply|divide|(?:the )?(?:average|mean|sum|product) of)\s+-?\d/i,
  /\d\s*(?:plus|minus|times|divided by|multiplied by|percent|per cent|squared|cubed|to the power of)\b/i,
  /\b(?:square|cube) root of\s*\d/i,
];
const CONVERSION_SHAPE = /\d\s*[a-z°]+\s+(?:to|in|into|as)\s+[a-z°]+/i;
const MATH_WORDS = ["arithmetic", "math", "calculation", "calculate"];
const CONVERSION_WORDS = ["convert", "conversion", "unit"];
/** "How many words…" asks for a count. */
const COUNT_SHAPE = /\bhow many\b|\bnumber of\b/i;
const COUNT_WORDS = ["count", "number"];
/** "I don't want it anymore" is what "no longer wants it" says; every word of the first is a stop word but the last. */
const UNWANTED_SHAPE = /\b(?:do(?:es)?n['’]?t|do(?:es)? not|no longer|never)\s+(?:want|need)\b/i;
const UNWANTED_WORDS = ["unwanted", "longer"];
/** Request verbs (and a few everyday words) and the words a description more likely uses for the same thing. */
const RELATED_WORDS: Readonly<Record<string, readonly string[]>> = {
  proofread: ["rewrite", "edit", "correct"],
  edit: ["rewrite"],
  fix: ["correct", "rewrite"],
  correct: ["rewrite"],
  polish: ["rewrite", "edit"],
  rephrase: ["rewrite"],
  reword: ["rewrite"],
  paraphrase: ["rewrite"],
  shorten: ["summarize", "shorter", "concise"],
  condense: ["summarize", "shorter", "concise"],
  tldr: ["summarize", "summary"],
  compute: ["calculate", "arithmetic"],
  evaluate: ["calculate"],
  lookup: ["search", "find"],
  find: ["search"],
  compose: ["write", "draft"],
  translate: ["translation", "language"],
  anymore: ["longer"],
};

/** True when a text has the shape of a calculation or a unit conversion. */
export function looksLikeMath(text: string): boolean {
  return MATH_SHAPES.some((shape) => shape.test(text)) || CONVERSION_SHAPE.test(text);
}

export function impliedWords(text: string): string[] {
  const implied = tokenize(text).flatMap((word) => RELATED_WORDS[word] ?? []);
  if (MATH_SHAPES.some((shape) => shape.test(text))) implied.push(...MATH_WORDS);
  if (CONVERSION_SHAPE.test(text)) implied.push(...CONVERSION_WORDS);
  if (COUNT_SHAPE.test(text)) implied.push(...COUNT_WORDS);
  if (UNWANTED_SHAPE.test(text)) implied.push(...UNWANTED_WORDS);
  return [...new Set(implied)];
}
