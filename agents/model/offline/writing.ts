import nlp from "compromise";
import { sentences } from "../../text/sentences.js";
import { terms } from "../../text/terms.js";
import { leadingWord, splitPayload } from "./request-parts.js";

/**
 * What the offline model writes itself when an agent asked to write has no tool for it: a rule-based
 * rewrite, an extractive summary, or a draft built from the request's own words. Each says it comes
 * from the offline model, so nobody takes it for an LLM's work.
 */

export type WritingKind = "rewrite" | "summary" | "draft";

const WRITING_VERBS: Readonly<Record<string, WritingKind>> = {
  rewrite: "rewrite",
  reword: "rewrite",
  rephrase: "rewrite",
  paraphrase: "rewrite",
  polish: "rewrite",
  edit: "rewrite",
  proofread: "rewrite",
  formalize: "rewrite",
  formalise: "rewrite",
  summarize: "summary",
  summarise: "summary",
  shorten: "summary",
  condense: "summary",
  tldr: "summary",
  draft: "draft",
  write: "draft",
  compose: "draft",
  outline: "draft",
  prepare: "draft",
};

const CONTRACTIONS: ReadonlyArray<[RegExp, string]> = [
  [/\bcan['’]t\b/gi, "cannot"],
  [/\bwon['’]t\b/gi, "will not"],
  [/\b(\w+)n['’]t\b/gi, "$1 not"],
  [/\bI['’]m\b/gi, "I am"],
  [/\blet['’]s\b/gi, "let us"],
  [/\b(it|that|there|what|here|who)['’]s\b/gi, "$1 is"],
  [/\b(\w+)['’]re\b/gi, "$1 are"],
  [/\b(\w+)['’]ll\b/gi, "$1 will"],
  [/\b(\w+)['’]ve\b/gi, "$1 have"],
];

/** Casual words and their plain, formal counterparts. */
const CASUAL_WORDS: ReadonlyArray<[RegExp, string]> = [
  [/\b(?:hey|hiya|yo)\b/gi, "hello"],
  [/\b(?:guys|folks|y['’]all|peeps)\b/gi, "everyone"],
  [/\bgonna\b/gi, "going to"],
  [/\bwanna\b/gi, "want to"],
  [/\bgotta\b/gi, "have to"],
  [/\b(?:kinda|sorta)\b/gi, "somewhat"],
  [/\b(?:yeah|yep|yup)\b/gi, "yes"],
  [/\bnope\b/gi, "no"],
  [/\b(?:thx|thanks)\b/gi, "thank you"],
  [/\basap\b/gi, "as soon as possible"],
  [/\b(?:pls|plz)\b/gi, "please"],
  [/\bbtw\b/gi, "by the way"],
  [/\bfyi\b/gi, "for your information"],
  [/\bu\b/gi, "you"],
  [/\bur\b/gi, "your"],
  [/\binfo\b/gi, "information"],
  [/\bcuz\b/gi, "because"],
];

/** Kinds of document a draft request names, and the words that lead to its topic. */
const DOCUMENT_KINDS =
  "email|e-mail|note|announcement|post|message|paragraph|summary|intro|introduction|update|memo|tweet|blurb|outline|letter|report|description|readme|proposal|plan|article|reply|response|story|poem|haiku|limerick|song|slogan|tagline|headline|caption|speech|pitch|bio";
const DRAFT_KIND = new RegExp(
  `^(?:a|an|the|some|my|our)?\\s*(?:(?:short|brief|quick|friendly|formal|casual|simple|new|polite|professional|one-paragraph)\\s+)*(${DOCUMENT_KINDS})s?\\b\\s*`,
  "i",
);
/** "to the team about the outage": who it is for, and what it is about. */
const DRAFT_SUBJECT =
  /^(?:(?:to|for)\s+(.+?)\s+)?(?:about|on|regarding|explaining|announcing|describing|introducing|covering|that explains)\s+(.+)$/i;
const SMALL_WORDS = new Set(["a", "an", "the", "of", "to", "for", "and", "or", "in", "on", "at", "by", "with", "about"]);
const SUMMARY_SENTENCES = 2;
const OFFLINE_NOTE = "Switchboard's offline model";
const DRAFT_NOTE = `(Draft by ${OFFLINE_NOTE}: a template filled from your request's words, with no facts added.)`;
const MAX_TITLE_WORDS = 6;
const MAX_PHRASE_WORDS = 4;
/** Words a title leaves out of a noun phrase: "the", "our", "it". */
const NOT_IN_TITLE: ReadonlySet<string> = new Set(["Determiner", "Possessive", "Pronoun"]);

/** The kind of writing a task asks for, from its leading verb. */
export function writingKind(task: string): WritingKind | undefined {
  const first = leadingWord(task);
  return first === undefined ? undefined : WRITING_VERBS[first];
}

export function writeDirectly(task: string, kind: WritingKind): string {
  if (kind === "rewrite") return rewrite(task);
  if (kind === "summary") return summarize(task);
  return draft(task);
}

/** Quoted text, or what follows "rewrite this:": the material the user wants worked on, if any. */
function material(task: string): string | undefined {
  return splitPayload(task).material;
}

function rewrite(task: string): string {
  const text = material(task);
  if (!text) {
    return `I'm ${OFFLINE_NOTE}: to rewrite something I need the text itself. Put it after a colon, e.g. "rewrite this more formally: …".`;
  }
  const formal = /\bformal|professional|polite/i.test(task);
  const rewritten = formal ? formalize(text) : tidy(text);
  return `Here is ${formal ? "a more formal" : "a tidier"} version:\n\n${rewritten}\n\n(Rewritten by ${OFFLINE_NOTE} with fixed rules, not by an LLM.)`;
}

/** Contractions spelled out, casual words replaced, then tidied. */
export function formalize(text: string): string {
  const replaced = [...CONTRACTIONS, ...CASUAL_WORDS].reduce((result, [pattern, words]) => result.replace(pattern, words), text);
  return tidy(replaced.replace(/!+/g, "."));
}

/** Sentence case, "I" capitalised, one space between words, every sentence ending in punctuation. */
function tidy(text: string): string {
  return sentences(text.replace(/[ \t]+/g, " "))
    .map((sentence) => {
      const fixed = sentence.replace(/\bi\b/g, "I");
      const capital = fixed.charAt(0).toUpperCase() + fixed.slice(1);
      return /[.!?:]$/.test(capital) ? capital : `${capital}.`;
    })
    .join(" ");
}

/** Extractive: the sentences whose words recur most in the text, in their original order. */
function summarize(task: string): string {
  const text = material(task);
  if (!text) return draft(task);
  const all = sentences(text);
  if (all.length <= SUMMARY_SENTENCES) {
    return `It is already short:\n\n${tidy(text)}\n\n(Checked by ${OFFLINE_NOTE}, which summarizes by picking sentences, not by an LLM.)`;
  }
  const stems = (sentence: string) => terms(sentence).map((term) => term.stem);
  const frequency = new Map<string, number>();
  for (const word of all.flatMap(stems)) frequency.set(word, (frequency.get(word) ?? 0) + 1);
  const scored = all.map((sentence, index) => {
    const words = stems(sentence);
    const weight = words.reduce((sum, word) => sum + (frequency.get(word) ?? 0), 0) / Math.max(1, words.length);
    return { sentence, index, weight };
  });
  const chosen = [...scored]
    .sort((a, b) => b.weight - a.weight || a.index - b.index)
    .slice(0, SUMMARY_SENTENCES)
    .sort((a, b) => a.index - b.index);
  const lines = chosen.map(({ sentence }) => `- ${tidy(sentence)}`).join("\n");
  return `Summary:\n\n${lines}\n\n(Extractive summary by ${OFFLINE_NOTE}: the ${SUMMARY_SENTENCES} most central sentences, not an LLM's rewording.)`;
}

/** Three sentences built from the request's own words, and a note saying where they come from; it adds no facts. */
function draft(task: string): string {
  const request = task
    .replace(/^\s*(?:(?:please|can you|could you|would you)\s+)*/i, "")
    .replace(/^(?:draft|write|compose|outline|prepare|summari[sz]e)\b\s*(?:me\s+|up\s+)?/i, "")
    .replace(/[.?!\s]+$/, "");
  const kindMatch = DRAFT_KIND.exec(request);
  const kind = kindMatch?.[1]?.toLowerCase() ?? "note";
  const rest = (kindMatch ? request.slice(kindMatch[0].length) : request).trim();
  const subject = DRAFT_SUBJECT.exec(rest);
  // "about the new search for customers": the audience may follow the topic.
  const trailing = subject && !subject[1] ? /^(.+?)\s+for\s+(.+)$/i.exec(subject[2] ?? "") : null;
  const audience = trailing?.[2] ?? (subject ? subject[1] : /^(?:to|for)\s+/i.test(rest) ? rest.replace(/^(?:to|for)\s+/i, "") : undefined);
  const topic = trailing?.[1] ?? (subject ? subject[2] : audience === undefined && rest !== "" ? rest : undefined);
  const body = topic
    ? [
        `This ${kind}${audience ? ` for ${audience}` : ""} is about ${topic}.`,
        "It says what is changing, who it affects and what happens next.",
        "The specifics (names, dates and numbers) still need to be added.",
      ]
    : [`This ${kind}${audience ? ` is for ${audience}; it` : ""} has no topic yet: say what it should be about.`];
  return `${body.join(" ")}\n\n${DRAFT_NOTE}`;
}

/**
 * A text and the offline model's note after it, apart: the note says where a draft comes from,
 * so revising and reviewing work on the text and leave the note last.
 */
export function separateNote(text: string): { text: string; note: string | undefined } {
  const match = /\n\s*\n(\([^\n]*offline model[^\n]*\))\s*$/.exec(text);
  if (!match) return { text: text.trim(), note: undefined };
  return { text: text.slice(0, match.index).trim(), note: match[1] };
}

/** A short title for a text: its first sentence when short, else its topic ("New Search Feature"). */
export function titleFor(text: string): string {
  const first = firstSentence(text);
  return titleCase(first.split(/\s+/).length <= MAX_TITLE_WORDS ? first : topicOf(text));
}

/**
 * What a text is about: the longest short noun phrase compromise finds in its first sentence,
 * without determiners ("This note is about the new search feature." → "new search feature").
 */
export function topicOf(text: string): string {
  const first = firstSentence(text);
  const phrases = nlp(first)
    .nouns()
    .json()
    .map((noun: { terms: { text: string; tags: string[] }[] }) =>
      noun.terms.filter((term) => !term.tags.some((tag) => NOT_IN_TITLE.has(tag))).map((term) => term.text),
    )
    .filter((phrase: string[]) => phrase.length > 0 && phrase.length <= MAX_PHRASE_WORDS);
  const longest = phrases.reduce((best: string[], phrase: string[]) => (phrase.length > best.length ? phrase : best), []);
  return (longest.length > 0 ? longest : first.split(/\s+/).slice(0, MAX_PHRASE_WORDS)).join(" ").replace(/[.!?:;,]+$/, "");
}

function firstSentence(text: string): string {
  return (sentences(text)[0] ?? text).replace(/[.!?:;,]+$/, "").trim();
}

function titleCase(text: string): string {
  const words = text.split(/\s+/).filter((word) => word !== "").slice(0, 10);
  return words
    .map((word, index) => (index > 0 && SMALL_WORDS.has(word.toLowerCase()) ? word.toLowerCase() : word.charAt(0).toUpperCase() + word.slice(1)))
    .join(" ");
}
