/**
 * Term processing and relevance scoring for the offline model: the same rules decide which agent a
 * request is routed to and which tool a specialist calls, so both read text the same way.
 */

/** Function words and request filler: they say nothing about which agent or tool fits. */
const STOPWORDS: ReadonlySet<string> = new Set(
  (
    "a an the and or but if then so of to in on at by for with about from into onto as than " +
    "is are was were be been being am do does did doing done have has had having " +
    "i me my mine myself you your yours we us our ours it its this that these those there here " +
    "he she they them their his her him one ones what which who whom whose when where why how " +
    "can could would should will shall may might must please pls kindly hi hello hey thanks thank " +
    "ok okay just also some any all more most much many very really quite too not no yes up out " +
    "over like want wants need needs let lets tell say says said give show know get make help something anything " +
    "thing things don doesn isn aren won didn couldn wouldn shouldn s t d ll re ve m"
  ).split(" "),
);

/** Abbreviations people type for words that descriptions spell out. */
const SYNONYMS: Readonly<Record<string, string>> = {
  doc: "documentation",
  docs: "documentation",
  maths: "math",
  calc: "calculate",
};

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

/**
 * Arithmetic and unit conversions are recognised from their shape, not from words, so a request
 * like "add 3 and 4" still finds a description that speaks of arithmetic or calculations.
 */
const MATH_SHAPES: readonly RegExp[] = [
  /\d\s*[-+*/×÷^%x]\s*[\d(]/i,
  /\d\s*%/,
  /\b(?:sqrt|cbrt|sin|cos|tan|log|ln|exp|abs|round|floor|ceil|factorial)\s*\(|\bpi\s*[-+*/^×÷]|[-+*/^×÷]\s*pi\b/i,
  /\b(?:add|sum(?: up)?|subtract|multiply|divide|(?:the )?(?:average|mean|sum|product) of)\s+-?\d/i,
  /\d\s*(?:plus|minus|times|divided by|multiplied by|percent|per cent|squared|cubed|to the power of)\b/i,
  /\b(?:square|cube) root of\s*\d/i,
];
const CONVERSION_SHAPE = /\d\s*[a-z°]+\s+(?:to|in|into|as)\s+[a-z°]+/i;
const MATH_TERMS = ["arithmetic", "math", "calculation", "calculate"];
/** "How many words…" asks for a count. */
const COUNT_SHAPE = /\bhow many\b|\bnumber of\b/i;
const COUNT_TERMS = ["count", "number"];
const CONVERSION_TERMS = ["convert", "conversion", "unit"];
/**
 * Request verbs and the words a description more likely uses for the same job: a small thesaurus,
 * so "proofread this" finds an agent that "rewrites text".
 */
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
};
/** Implied terms count for less than words the user actually wrote. */
const IMPLIED_WEIGHT = 0.5;

export interface Term {
  /** Stemmed form, compared across texts. */
  stem: string;
  /** The word as written (lowercase), used when a reason names what matched. */
  word: string;
}

export function isStopword(word: string): boolean {
  return STOPWORDS.has(word.toLowerCase());
}

/** Spells out math symbols so they can match words ("15%" → "15 percent"). */
export function spellSymbols(text: string): string {
  return SYMBOL_WORDS.reduce((result, [pattern, words]) => result.replace(pattern, words), text);
}

/** Lowercase words and numbers, with contraction tails dropped and "3kg" split into "3 kg". */
export function tokenize(text: string): string[] {
  const separated = text.toLowerCase().replace(/(\d)([a-z])/g, "$1 $2");
  const words = separated.match(/[a-z0-9]+(?:['’][a-z]+)?/g) ?? [];
  return words.map((word) => word.replace(/['’][a-z]+$/, "")).filter((word) => word !== "");
}

/** Content words as written: no stopwords, numbers kept (they matter to a search query). */
export function keywords(text: string): string[] {
  const seen = new Set<string>();
  for (const word of tokenize(text)) if (!isStopword(word)) seen.add(word);
  return [...seen];
}

/**
 * A light suffix stemmer. Both sides of every comparison go through it, so consistency matters
 * more than linguistic accuracy; `termsMatch` covers families it does not merge (convert/conversion).
 */
export function stem(input: string): string {
  let word = SYNONYMS[input] ?? input;
  if (word.length <= 3) return word;
  if (word.length >= 7) word = word.replace(/is(e|es|ed|ing|ation|ations)$/, "iz$1");
  word = stripPlural(word);
  word = stripVerbEnding(word);
  if (word.length > 5 && word.endsWith("ity")) word = word.slice(0, -3);
  if (word.length > 4 && word.endsWith("e")) word = word.slice(0, -1);
  return word;
}

function stripPlural(word: string): string {
  if (word.length > 4 && word.endsWith("ies")) return `${word.slice(0, -3)}y`;
  if (word.endsWith("sses")) return word.slice(0, -2);
  if (/(?:ch|sh|x|z)es$/.test(word)) return word.slice(0, -2);
  if (word.endsWith("s") && !/(?:ss|us|is)$/.test(word)) return word.slice(0, -1);
  return word;
}

function stripVerbEnding(word: string): string {
  for (const suffix of ["ing", "ed", "ly"]) {
    const base = word.slice(0, -suffix.length);
    if (word.endsWith(suffix) && base.length >= 3 && /[aeiouy]/.test(base)) return undouble(base);
  }
  return word;
}

/** "running" → "runn" → "run"; but keep "ll", "ss" and "zz", which English doubles at rest. */
function undouble(base: string): string {
  return /([^aeioulsz])\1$/.test(base) ? base.slice(0, -1) : base;
}

/** The content terms of a text: symbols spelled out, stopwords and bare numbers dropped, stemmed. */
export function terms(text: string): Term[] {
  return tokenize(spellSymbols(text))
    .filter((word) => !isStopword(word) && !/^\d/.test(word))
    .map((word) => ({ stem: stem(word), word }));
}

/** True when a text has the shape of a calculation or a unit conversion. */
export function looksLikeMath(text: string): boolean {
  return MATH_SHAPES.some((shape) => shape.test(text)) || CONVERSION_SHAPE.test(text);
}

/** Terms a text implies by its shape: arithmetic for "3 + 4", conversion for "5 miles to km". */
export function impliedTerms(text: string): Term[] {
  const implied: string[] = tokenize(text).flatMap((word) => RELATED_WORDS[word] ?? []);
  if (MATH_SHAPES.some((shape) => shape.test(text))) implied.push(...MATH_TERMS);
  if (CONVERSION_SHAPE.test(text)) implied.push(...CONVERSION_TERMS);
  if (COUNT_SHAPE.test(text)) implied.push(...COUNT_TERMS);
  return implied.map((word) => ({ stem: stem(word), word }));
}

/**
 * How well two stems match: 1 when equal; 0.8 when they share a long prefix and differ only in a
 * short tail (percent/percentage, convert/conversion, calculate/calculator); otherwise 0.
 */
export function termsMatch(a: string, b: string): number {
  if (a === b) return 1;
  const shorter = Math.min(a.length, b.length);
  let common = 0;
  while (common < shorter && a[common] === b[common]) common += 1;
  return common >= 4 && common >= shorter - 2 ? 0.8 : 0;
}

export interface MatchCandidate {
  id: string;
  text: string;
}

export interface MatchedTerm {
  /** The query's word. */
  query: string;
  /** The candidate's word it matched, as the candidate's text spells it. */
  candidate: string;
  /** False when the candidate's word appears in every candidate, so it cannot tell them apart. */
  distinctive: boolean;
}

export interface Ranking {
  id: string;
  score: number;
  matched: MatchedTerm[];
}

interface IndexedCandidate {
  id: string;
  terms: Term[];
  counts: Map<string, number>;
}

/** BM25 constants: term-frequency saturation and how much long texts are discounted. */
const K1 = 1.2;
const B = 0.75;

/**
 * Scores queries against a fixed set of candidate texts with BM25, so a word found in every
 * candidate weighs little and cannot, on its own, make a candidate relevant.
 */
export class TextMatcher {
  private readonly candidates: IndexedCandidate[];
  private readonly documentFrequency = new Map<string, number>();
  private readonly averageLength: number;

  constructor(candidates: readonly MatchCandidate[]) {
    this.candidates = candidates.map((candidate) => indexCandidate(candidate));
    for (const candidate of this.candidates) {
      for (const stemmed of candidate.counts.keys()) {
        this.documentFrequency.set(stemmed, (this.documentFrequency.get(stemmed) ?? 0) + 1);
      }
    }
    const totalLength = this.candidates.reduce((sum, candidate) => sum + candidate.terms.length, 0);
    this.averageLength = Math.max(1, totalLength / Math.max(1, this.candidates.length));
  }

  /** Every candidate with its score, best first; ties keep the candidates' order. */
  rank(query: string): Ranking[] {
    const written = uniqueByStem(terms(query));
    const writtenStems = new Set(written.map((term) => term.stem));
    const implied = uniqueByStem(impliedTerms(query)).filter((term) => !writtenStems.has(term.stem));
    const rankings = this.candidates.map((candidate) => this.score(candidate, written, implied));
    return rankings
      .map((ranking, order) => ({ ranking, order }))
      .sort((a, b) => b.ranking.score - a.ranking.score || a.order - b.order)
      .map(({ ranking }) => ranking);
  }

  /** The best candidate, if some word the query holds tells it apart from the others. */
  best(query: string): Ranking | undefined {
    const [top] = this.rank(query);
    if (!top || top.score <= 0) return undefined;
    return top.matched.some((match) => match.distinctive) ? top : undefined;
  }

  private score(candidate: IndexedCandidate, written: Term[], implied: Term[]): Ranking {
    let score = 0;
    const matched: MatchedTerm[] = [];
    const weighted = [...written.map((term) => ({ term, weight: 1 })), ...implied.map((term) => ({ term, weight: IMPLIED_WEIGHT }))];
    for (const { term, weight } of weighted) {
      const hit = this.bestHit(candidate, term.stem);
      if (!hit) continue;
      score += weight * hit.similarity * this.termWeight(candidate, hit.term.stem);
      matched.push({ query: term.word, candidate: hit.term.word, distinctive: this.isDistinctive(hit.term.stem) });
    }
    return { id: candidate.id, score, matched };
  }

  private bestHit(candidate: IndexedCandidate, queryStem: string): { term: Term; similarity: number } | undefined {
    let best: { term: Term; similarity: number } | undefined;
    for (const term of candidate.terms) {
      const similarity = termsMatch(queryStem, term.stem);
      if (similarity > (best?.similarity ?? 0)) best = { term, similarity };
      if (similarity === 1) break;
    }
    return best;
  }

  private termWeight(candidate: IndexedCandidate, stemmed: string): number {
    const count = candidate.counts.get(stemmed) ?? 0;
    const total = this.candidates.length;
    const frequency = this.documentFrequency.get(stemmed) ?? 0;
    const idf = Math.log(1 + (total - frequency + 0.5) / (frequency + 0.5));
    const lengthNorm = 1 - B + (B * candidate.terms.length) / this.averageLength;
    return (idf * count * (K1 + 1)) / (count + K1 * lengthNorm);
  }

  /** With a single candidate every word tells it apart from nothing, so every match counts. */
  private isDistinctive(stemmed: string): boolean {
    const total = this.candidates.length;
    return total === 1 || (this.documentFrequency.get(stemmed) ?? 0) < total;
  }
}

function indexCandidate(candidate: MatchCandidate): IndexedCandidate {
  const candidateTerms = terms(candidate.text);
  const counts = new Map<string, number>();
  for (const term of candidateTerms) counts.set(term.stem, (counts.get(term.stem) ?? 0) + 1);
  return { id: candidate.id, terms: candidateTerms, counts };
}

function uniqueByStem(list: Term[]): Term[] {
  const seen = new Set<string>();
  return list.filter((term) => (seen.has(term.stem) ? false : (seen.add(term.stem), true)));
}
