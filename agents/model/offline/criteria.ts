import nlp from "compromise";
import { countWords, cutToWords, sentences } from "../../text/sentences.js";
import { titleFor, topicOf } from "./writing.js";

/**
 * The review criteria the offline model can check, and how it fixes a text that fails one. Each is
 * recognized from its wording in a criteria list (case-insensitive):
 * - `at most N words`, `at least N words`: words as Unicode word segmentation counts them, title included;
 * - `mentions "X"`: X appears in the text, in any case;
 * - `starts with a title line`: the first line begins with `# `;
 * - `ends with a call to action`: the last sentence (after the title line) ends with "!" or opens,
 *   after an optional "please", "do not" or "never", with a verb in its base form as compromise tags
 *   it ("Try it today.", "Sign up now.", "Please share your feedback.");
 * - `no exclamation marks`: no "!" anywhere.
 * A fix changes the text for its criterion only, and keeps the title first and the last sentence last.
 */

export interface Criterion {
  /** As the criteria list wrote it: feedback quotes it. */
  text: string;
  met(text: string): boolean;
  fix(text: string): string;
}

const CALL_TO_ACTION = "Try it today.";
const TITLE_PREFIX = "# ";

export function recognizeCriterion(text: string): Criterion | undefined {
  const atMost = /\bat most (\d+) words?\b/i.exec(text);
  if (atMost) {
    const max = Number(atMost[1]);
    return { text, met: (draft) => countWords(draft) <= max, fix: (draft) => trimToWords(draft, max) };
  }
  const atLeast = /\bat least (\d+) words?\b/i.exec(text);
  if (atLeast) {
    const min = Number(atLeast[1]);
    return { text, met: (draft) => countWords(draft) >= min, fix: (draft) => extendToWords(draft, min) };
  }
  const mention = /\bmentions? ["“']([^"”']+)["”']/i.exec(text);
  if (mention?.[1]) {
    const term = mention[1];
    return { text, met: (draft) => draft.toLowerCase().includes(term.toLowerCase()), fix: (draft) => insertAfterFirstSentence(draft, `It also covers ${term}.`) };
  }
  if (/\bstarts? with a title\b/i.test(text)) {
    return { text, met: (draft) => draft.trimStart().startsWith(TITLE_PREFIX), fix: (draft) => `${TITLE_PREFIX}${titleFor(draft)}\n\n${draft}` };
  }
  if (/\bends? with a call to action\b/i.test(text)) {
    return { text, met: (draft) => isCallToAction(sentences(splitTitle(draft).body).at(-1) ?? ""), fix: (draft) => `${draft.trimEnd()} ${CALL_TO_ACTION}` };
  }
  if (/\bno exclamation marks?\b/i.test(text)) {
    return { text, met: (draft) => !draft.includes("!"), fix: (draft) => draft.replace(/!+/g, ".") };
  }
  return undefined;
}

function isCallToAction(sentence: string): boolean {
  const opening = sentence.replace(/^[^\p{L}]+/u, "");
  return /!\s*$/.test(sentence) || nlp(opening).has("^(please|do|never)? not? (#Infinitive|#Imperative)");
}

function splitTitle(draft: string): { title: string | undefined; body: string } {
  const trimmed = draft.trim();
  if (!trimmed.startsWith(TITLE_PREFIX)) return { title: undefined, body: trimmed };
  const end = trimmed.indexOf("\n");
  return end === -1 ? { title: trimmed, body: "" } : { title: trimmed.slice(0, end), body: trimmed.slice(end + 1).trim() };
}

function withTitle(title: string | undefined, body: string): string {
  return title === undefined ? body : `${title}\n\n${body}`;
}

/**
 * Drops whole sentences, from the one before last backwards, so the opening and the closing (often
 * the call to action) stay; cuts the first sentence at a word only when it alone is too long.
 */
function trimToWords(draft: string, max: number): string {
  const { title, body } = splitTitle(draft);
  const budget = Math.max(1, max - (title === undefined ? 0 : countWords(title)));
  const kept = sentences(body);
  const size = () => countWords(kept.join(" "));
  while (kept.length > 2 && size() > budget) kept.splice(kept.length - 2, 1);
  if (kept.length === 2 && size() > budget) kept.pop();
  const [only] = kept;
  if (kept.length === 1 && only !== undefined && size() > budget) kept[0] = `${cutToWords(only, budget).replace(/[\s,;:—–-]+$/, "")}.`;
  return withTitle(title, kept.join(" "));
}

/** Adds sentences about the text's topic before its last sentence until it is long enough. */
function extendToWords(draft: string, min: number): string {
  const { title, body } = splitTitle(draft);
  const topic = topicOf(body || title?.slice(TITLE_PREFIX.length) || "it");
  const additions = [`Here is what ${topic} means for you.`, `There is more to say about ${topic}.`, `Questions about ${topic} are welcome.`];
  const all = sentences(body);
  const last = all.pop();
  for (let index = 0; countWords(withTitle(title, [...all, last ?? ""].join(" "))) < min; index += 1) {
    all.push(additions[index % additions.length] ?? "");
  }
  return withTitle(title, [...all, ...(last === undefined ? [] : [last])].join(" "));
}

function insertAfterFirstSentence(draft: string, sentence: string): string {
  const { title, body } = splitTitle(draft);
  const first = sentences(body)[0];
  if (first === undefined) return withTitle(title, sentence);
  const end = body.indexOf(first) + first.length;
  return withTitle(title, `${body.slice(0, end)} ${sentence}${body.slice(end)}`);
}
