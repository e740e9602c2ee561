import { isStopWord } from "../../text/stop-words.js";
import { tokenize } from "../../text/terms.js";

/**
 * Splits one user request into the independent requests it holds, so the offline manager can hand
 * each to the agent that fits: "convert 5 miles to km, and summarize how handoffs work" is two
 * parts, "add 3 and 4" is one.
 */

/** Words that start or carry a request: imperative verbs people use with assistants. */
const REQUEST_VERBS: ReadonlySet<string> = new Set(
  (
    "add subtract multiply divide calculate compute convert evaluate solve estimate round sum total " +
    "search find look lookup check research fetch show list tell explain describe define compare " +
    "summarize summarise rewrite write draft compose edit translate proofread reword paraphrase outline " +
    "create generate give send plan review analyze analyse recommend suggest shorten polish turn make format " +
    "fix clean correct change put count simplify expand improve organize organise reformat tidy condense echo"
  ).split(" "),
);
const QUESTION_WORDS: ReadonlySet<string> = new Set(
  "what whats how why who when where which is are does do did can could would should will".split(" "),
);
/** Openers that may come before the request word: "also, please can you convert …". */
const OPENER =
  /^(?:(?:and|then|also|so|now|next|finally|additionally|plus|after that|afterwards|please|kindly|can you|could you|would you|will you|i(?:'d| would) like you to|i (?:want|need) you to|help me|,)\s*)+/i;
/** Hard boundaries: sentence ends, line breaks and semicolons always separate requests. */
const HARD_BOUNDARY = /(?<=[.!?])\s+|\n+|;\s*/g;
/** Soft boundaries: a coordinating word or a comma, split only when both sides read as requests. */
const SOFT_BOUNDARY = /,?\s+(?:and\s+then|and\s+also|and|then|also)\s+|,\s+/gi;
/** Numbered conversions or sums sharing one verb: "convert 5 miles to km and 3 kg to pounds". */
const SHARED_CONNECTIVES = ["to", "in", "into", "of", "times", "plus", "minus"];
/** A colon after a short request introduces material to work on, which is never split. */
const MAX_HEAD_WORDS = 12;

const MASK_OPEN = "\uE000";
const MASK_CLOSE = "\uE001";

export function splitRequest(text: string): string[] {
  const { masked, spans } = maskProtectedSpans(text.replace(/\r\n?/g, "\n").trim());
  const parts = masked
    .split(HARD_BOUNDARY)
    .flatMap((segment) => splitCoordinated(segment))
    // Quoted or given material is the user's own text: its final full stop stays.
    .map((part) => cleanPart(unmask(part, spans), !part.includes(MASK_OPEN)))
    .filter((part) => part !== "");
  return parts;
}

/** The first word after openers: "Also, please summarize X" → "summarize". */
export function leadingWord(text: string): string | undefined {
  return tokenize(text.replace(OPENER, ""))[0];
}

function startsLikeRequest(side: string): boolean {
  const first = leadingWord(side);
  return first !== undefined && (REQUEST_VERBS.has(first) || QUESTION_WORDS.has(first));
}

export function isRequestVerb(word: string): boolean {
  return REQUEST_VERBS.has(word.toLowerCase());
}

/**
 * Quoted text and the material after a "rewrite this: …" colon are replaced by placeholders, so
 * their sentences and "and"s are never taken for separate requests.
 */
function maskProtectedSpans(text: string): { masked: string; spans: string[] } {
  const spans: string[] = [];
  const hide = (span: string) => {
    spans.push(span);
    return `${MASK_OPEN}${String.fromCharCode(0xe100 + spans.length - 1)}${MASK_CLOSE}`;
  };
  let masked = text.replace(/"[^"\n]*"|“[^”]*”/g, hide);
  const colon = payloadColon(masked);
  if (colon !== undefined) masked = masked.slice(0, colon + 1) + " " + hide(masked.slice(colon + 1).trim());
  return { masked, spans };
}

/**
 * The colon that introduces material, if the short text before it (in its sentence) is a request
 * or points at what follows ("… this:", "… the following:").
 */
function payloadColon(text: string): number | undefined {
  const match = /:(?=\s|$)/.exec(text);
  if (!match) return undefined;
  const head = text.slice(0, match.index).split(/(?<=[.!?])\s+|\n/).pop() ?? "";
  const words = tokenize(head);
  if (words.length === 0 || words.length > MAX_HEAD_WORDS) return undefined;
  const pointsAhead = /\b(?:this|these|it|following|below|text)$/i.test(head.trim());
  return pointsAhead || words.some((word) => REQUEST_VERBS.has(word)) ? match.index : undefined;
}

export interface Payload {
  /** The request itself: "rewrite this more formally". */
  head: string;
  /** The material it is about: what follows its colon, or the quoted text; absent when there is none. */
  material: string | undefined;
}

/** Separates a request from the material it gives to work on, if it gives any. */
export function splitPayload(text: string): Payload {
  const colon = payloadColon(text);
  const afterColon = colon === undefined ? "" : text.slice(colon + 1).trim();
  if (colon !== undefined && afterColon !== "") return { head: text.slice(0, colon).trim(), material: afterColon };
  const quoted = /"([^"\n]+)"|“([^”]+)”/.exec(text);
  const inQuotes = (quoted?.[1] ?? quoted?.[2] ?? "").trim();
  if (quoted && inQuotes !== "") return { head: text.replace(quoted[0], "").replace(/\s+/g, " ").trim(), material: inQuotes };
  return { head: text.trim(), material: undefined };
}

function unmask(text: string, spans: string[]): string {
  return text.replace(/\uE000(.)\uE001/g, (_, code: string) => spans[code.charCodeAt(0) - 0xe100] ?? "");
}

/** Splits one sentence at the "and"s, "then"s and commas that join two requests. */
function splitCoordinated(segment: string): string[] {
  const boundaries = [...segment.matchAll(SOFT_BOUNDARY)].map((match) => ({
    start: match.index,
    end: match.index + match[0].length,
    comma: match[0].trimStart().startsWith(","),
    bareComma: /^,\s+$/.test(match[0]),
  }));
  const parts: string[] = [];
  let start = 0;
  for (const [index, boundary] of boundaries.entries()) {
    if (boundary.start < start) continue;
    const left = segment.slice(start, boundary.start);
    const right = segment.slice(boundary.end, boundaries[index + 1]?.start ?? segment.length);
    if (joinsTwoRequests(left, right, boundary.comma && !boundary.bareComma)) {
      parts.push(left);
      start = boundary.end;
      continue;
    }
    const rest = segment.slice(boundary.end);
    const prefix = boundary.bareComma ? undefined : sharedVerbPrefix(left, rest);
    if (prefix !== undefined) return [...parts, left, ...splitCoordinated(prefix + rest.trimStart())];
  }
  parts.push(segment.slice(start));
  return parts;
}

/**
 * Both sides must hold something to act on. After ", and" the right side may be any request; after a
 * bare "and" or comma it must open like one ("… and summarize …"), so "add 3 and 4" stays whole.
 */
function joinsTwoRequests(left: string, right: string, afterComma: boolean): boolean {
  if (!hasObject(left) || !hasObject(right) || !containsRequest(left)) return false;
  if (startsLikeRequest(right)) return true;
  return afterComma && containsRequest(right);
}

function containsRequest(side: string): boolean {
  return startsLikeRequest(side) || tokenize(side).some((word) => REQUEST_VERBS.has(word));
}

/** Something besides request words: a content word, a number or a quoted span. */
function hasObject(side: string): boolean {
  if (/\d|\uE000/.test(side)) return true;
  return tokenize(side).some((word) => !isStopWord(word) && !REQUEST_VERBS.has(word) && !QUESTION_WORDS.has(word));
}

/**
 * "convert 5 miles to km and 3 kg to pounds": the right side starts with a number and repeats the
 * left side's connective, so it is a second request sharing the left side's opening words, which
 * are returned to be put in front of it.
 */
function sharedVerbPrefix(left: string, right: string): string | undefined {
  if (!/^\s*\d/.test(right)) return undefined;
  const firstNumber = /\d/.exec(left);
  if (!firstNumber) return undefined;
  const prefix = left.slice(0, firstNumber.index);
  if (!containsRequest(prefix)) return undefined;
  const leftWords = new Set(tokenize(left.slice(firstNumber.index)));
  const rightWords = tokenize(right);
  const shared = SHARED_CONNECTIVES.some((word) => leftWords.has(word) && rightWords.includes(word));
  return shared ? prefix : undefined;
}

/** Trims connectors and trailing punctuation, keeps a question mark, capitalises the first letter. */
function cleanPart(part: string, dropFullStop: boolean): string {
  const trimmed = part
    .trim()
    .replace(/^(?:(?:and|then|also|plus|so|now|next|finally|additionally|after that)\b[\s,]*)+/i, "")
    .replace(/^[\s,;:.]+/, "")
    .replace(/[\s,;:]+$/, "");
  const cleaned = (dropFullStop ? trimmed.replace(/(?<!\.)\.$/, "") : trimmed).trim();
  if (!/[a-z0-9]/i.test(cleaned)) return "";
  return cleaned.charAt(0).toUpperCase() + cleaned.slice(1);
}
