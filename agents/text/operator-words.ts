/**
 * The words people write for arithmetic operators, both ways: read as symbols for a calculation
 * ("5 plus 3" → "5 + 3"), and symbols spelled as words for matching text ("15%" → "15 percent").
 */

/** Operator words and symbols as mathjs writes them, in the order they must be replaced (longer phrases first). */
export const OPERATOR_WORDS: ReadonlyArray<[RegExp, string]> = [
  [/\bto the power of\b/gi, "^"],
  [/\bmultiplied by\b/gi, "*"],
  [/\bdivided by\b/gi, "/"],
  [/\bsquare root of\s*(\d+(?:\.\d+)?)/gi, "sqrt($1)"],
  [/\bplus\b/gi, "+"],
  [/\bminus\b/gi, "-"],
  [/\btimes\b/gi, "*"],
  [/\bsquared\b/gi, "^2"],
  [/\bcubed\b/gi, "^3"],
  [/\s*\bper\s?cent\b/gi, "%"],
  [/[×✕]/g, "*"],
  [/÷/g, "/"],
  [/[−–]/g, "-"],
  [/\binto\b/gi, "to"],
];

/** Symbols spelled as the words a description would use for them. */
const SYMBOL_WORDS: ReadonlyArray<[RegExp, string]> = [
  [/%/g, " percent "],
  [/\+/g, " plus add "],
  [/[*×]/g, " times multiply "],
  [/÷/g, " divide "],
  [/\^/g, " power "],
  // Only between numbers: elsewhere "/" and "-" join words ("km/h", "and/or", "step-by-step").
  [/(\d)\s*\/\s*(?=[\d(])/g, "$1 divide "],
  [/(\d)\s+[-−]\s+(?=[\d(])/g, "$1 minus subtract "],
  [/(\d)\s*x\s*(?=\d)/gi, "$1 times multiply "],
];

/** "5 plus 3 squared" → "5 + 3 ^2". */
export function symbolizeOperators(text: string): string {
  return OPERATOR_WORDS.reduce((result, [pattern, symbol]) => result.replace(pattern, symbol), text);
}

/** "15% of 80" → "15 percent of 80". */
export function spellOperators(text: string): string {
  return SYMBOL_WORDS.reduce((result, [pattern, words]) => result.replace(pattern, words), text);
}
