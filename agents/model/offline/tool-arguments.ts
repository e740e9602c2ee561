import { looksLikeMath } from "../../text/implied-words.js";
import { symbolizeOperators } from "../../text/operator-words.js";
import { isStopWord } from "../../text/stop-words.js";
import { keywords, stem, terms, tokenize } from "../../text/terms.js";
import { classify } from "./classification.js";
import { labelOf, propertiesOf, requiredOf, schemaOptions, schemaType, type JsonSchema, type SchemaOption } from "./json-schema.js";
import { isRequestVerb, leadingWord, splitPayload } from "./request-parts.js";
import { titleFor } from "./writing.js";

/**
 * Fills a tool's arguments from the task text, guided by the parameters' JSON Schema: what each
 * parameter is (an expression, a search query, a text, an identifier, an enum, a number) decides
 * what part of the task it gets. Three readings: the first attempt at a tool call, a different one
 * for one retry, and extraction, which captures a request into fields (a workflow's input, a
 * structured answer): text fields get the request itself, optional fields are filled when found.
 */

export type Attempt = "first" | "retry" | "extract";

export interface FilledArguments {
  args: Record<string, unknown>;
  /** How strongly the task itself supplied the arguments (a math span, a named enum value). */
  evidence: number;
  /** Parameter kinds filled from the task, so the caller can tell a search tool from others. */
  kinds: ParameterKind[];
}

export type ParameterKind = "expression" | "query" | "identifier" | "request" | "text" | "title" | "enum" | "number" | "boolean" | "other";

/** Words in a parameter's name or description that say what it holds, most specific first. */
const KIND_HINTS: ReadonlyArray<[ParameterKind, RegExp]> = [
  ["expression", /express|formula|equation|arithmetic|calculation|\bmath/],
  ["query", /query|search|keyword|terms\b|topic|look ?up/],
  ["identifier", /\b(?:id|ids|identifier|sku)\b|\b(?:number|reference|ref|code)$/],
  // The user's words as they are: a tool that reads the question itself.
  ["request", /as (?:the user )?(?:asked|written)|verbatim|\bquestion\b/],
  ["text", /text|content|passage|document|input|message|body|draft|prose|paragraph|task|request|question|prompt/],
  ["title", /title|headline|heading|subject/],
];
/** Words in an identifier's name that say it is one, not what it identifies. */
const IDENTIFIER_WORDS: ReadonlySet<string> = new Set(["id", "ids", "identifier", "number", "no", "reference", "ref", "sku", "code", "key"]);
/** An identifier in text: a token holding a digit ("4411", "A-17", "INV2024-03"). */
const IDENTIFIER = /[$€£]?\b[a-z]*\d[\w.-]*/gi;
/** Parameters that hold an amount of money, read from "$45.50" or "45.50 EUR". */
const MONEY_LABEL = /amount|price|cost|total|refund|fee|charge|paid|payment|balance|sum/;
/**
 * A number as written: "4411", "1,299.50", "-3". A comma only groups thousands, so the one in
 * "order 4411, amount $20" ends the number instead of joining it to the next word.
 */
const NUMBER_TEXT = "-?\\d{1,3}(?:,\\d{3})+(?:\\.\\d+)?(?!\\d)|-?\\d+(?:\\.\\d+)?";
const MONEY = new RegExp(`[$€£]\\s?(${NUMBER_TEXT})|(${NUMBER_TEXT})\\s?(?:usd|eur|gbp|dollars?|euros?|pounds?)\\b`, "gi");
/** A word of a label, then the number it names: "amount $20", "order #4411", "amount: 20", "total is 5". */
const AFTER_WORD = new RegExp(`\\b([a-z]+)\\s*(?:[:#=]|is|of|was)?\\s*[$€£]?(${NUMBER_TEXT})`, "gi");
/** A number, then the word of a label it counts: "20 words". */
const BEFORE_WORD = new RegExp(`(${NUMBER_TEXT})\\s+([a-z]+)`, "gi");
const ANY_NUMBER = new RegExp(NUMBER_TEXT, "g");
/** What follows a number that makes it an amount of money: "20 dollars". */
const CURRENCY_AFTER = /^\s?(?:usd|eur|gbp|dollars?|euros?|pounds?)\b/i;

/** Verbs asking for new writing: there is no given text to pass to a text tool. */
const COMPOSE_VERBS: ReadonlySet<string> = new Set(["draft", "write", "compose", "create", "prepare", "outline", "generate"]);

/** Words that say where to look, not what to look for. */
const SOURCE_WORDS = "docs documentation documents knowledge base kb wiki manual";

/** Where a math expression starts: a number, a bracket or sign before one, a function or constant. */
const MATH_START =
  /[-−(]?\s*[$€£]?\d|\b(?:sqrt|cbrt|sin|cos|tan|log|ln|exp|abs|round|floor|ceil|factorial|pi)\b|\b(?:square|cube) root\b/i;
/** Only numbers, operators and brackets: "7", "(3 + 4) * 2". */
const BARE_ARITHMETIC = /^[-−+*/×÷^%().,\s\d]*\d[-−+*/×÷^%().,\s\d]*$/;
const NUMBER_LIST_ITEM = /^\s*-?\d[\d,]*(?:\.\d+)?\s*$/;
const TRAILING_FILLER = /(?:[\s?!.=,;:]+|\s+(?:please|thanks|thank you|for me|exactly|precisely))+$/i;

/** Arithmetic said with a verb: the operator it stands for, and how its operands are listed. */
const VERB_FORMS: ReadonlyArray<{ pattern: RegExp; build: (operands: string[]) => string | undefined }> = [
  { pattern: /\b(?:add|sum(?: up)?|total|the sum of|sum of)\s+(.+)$/i, build: (list) => joinNumbers(list, " + ") },
  { pattern: /\b(?:multiply|the product of|product of)\s+(.+)$/i, build: (list) => joinNumbers(list, " * ") },
  { pattern: /\b(?:the )?(?:average|mean) of\s+(.+)$/i, build: (list) => averageOf(list) },
  { pattern: /\bsubtract\s+(.+?)\s+from\s+(.+)$/i, build: ([a, b]) => (b && a ? joinNumbers([b, a], " - ") : undefined) },
  { pattern: /\bdivide\s+(.+?)\s+by\s+(.+)$/i, build: ([a, b]) => (a && b ? joinNumbers([a, b], " / ") : undefined) },
];

export function fillArguments(task: string, parameters: JsonSchema | undefined, toolName: string, attempt: Attempt): FilledArguments | undefined {
  const required = requiredOf(parameters ?? {});
  const properties = propertiesOf(parameters ?? {});
  const values = new Map<string, FilledValue>();
  for (const { name, schema, required: requiredNow } of fillOrder(properties, required)) {
    if (values.has(name)) continue;
    const taken = numbersHeld([...values.values()].map((value) => value.value));
    const value = fillParameter(task, name, schema, toolName, attempt, requiredNow, taken);
    if (value !== undefined) values.set(name, value);
  }
  if ([...required].some((name) => !values.has(name) && properties.some(([property]) => property === name))) return undefined;
  const filled: FilledArguments = { args: {}, evidence: 0, kinds: [] };
  for (const [name] of properties) {
    const value = values.get(name);
    if (value === undefined) continue;
    filled.args[name] = value.value;
    filled.evidence += value.evidence;
    filled.kinds.push(value.kind);
  }
  return filled;
}

export interface FilledValue {
  value: unknown;
  evidence: number;
  kind: ParameterKind;
}

/**
 * One parameter's value; undefined when the task does not supply it and it has no default.
 * `taken`: numbers other fields already hold, which a number or identifier takes only when nothing else fits.
 */
export function fillParameter(
  task: string,
  name: string,
  schema: JsonSchema,
  toolName: string,
  attempt: Attempt,
  required: boolean,
  taken: ReadonlySet<number> = new Set(),
): FilledValue | undefined {
  const label = labelOf(name, schema);
  const options = schemaOptions(schema);
  if (options) return attempt === "extract" ? classifyEnum(task, options, required) : pickEnum(task, options, schema, required);
  const type = schemaType(schema);
  if (type === "number" || type === "integer") return pickNumber(task, label, schema, type, required, taken);
  if (type === "boolean") return pickBoolean(task, label, schema, attempt, required);
  if (type !== "string") return required && schema.default !== undefined ? { value: schema.default, evidence: 0, kind: "other" } : undefined;
  if (!required && attempt !== "extract") return undefined;
  const kind = stringKind(name, schema);
  if (kind === "identifier") {
    const identifier = identifierIn(task, label, required, taken);
    return identifier === undefined ? undefined : { value: identifier, evidence: 0.5, kind };
  }
  if (attempt === "extract") return extractString(task, kind, toolName, required);
  if (kind === "expression") {
    const expression = attempt === "first" ? mathExpression(task) : symbolicExpression(task);
    if (expression === undefined) return undefined;
    return { value: expression, evidence: looksLikeMath(expression) ? 1 : 0.25, kind };
  }
  if (kind === "query") {
    const query = searchQuery(task, toolName, attempt);
    return query === undefined ? undefined : { value: query, evidence: 0, kind };
  }
  if (kind === "request") return { value: task.trim(), evidence: 0.5, kind };
  if (kind === "text") {
    const text = attempt === "first" ? workText(task) : undefined;
    return text === undefined ? undefined : { value: text, evidence: 0, kind };
  }
  return typeof schema.default === "string" ? { value: schema.default, evidence: 0, kind: "other" } : undefined;
}

/** What a captured request gives each kind of text field: itself, a title for it, the part it names. */
function extractString(task: string, kind: ParameterKind, toolName: string, required: boolean): FilledValue | undefined {
  if (kind === "expression") {
    const expression = mathExpression(task);
    return expression === undefined ? undefined : { value: expression, evidence: 0.5, kind };
  }
  if (kind === "query") {
    const query = searchQuery(task, toolName, "first");
    return query === undefined ? undefined : { value: query, evidence: 0, kind };
  }
  if (kind === "title") return { value: titleFor(task), evidence: 0, kind };
  if (kind === "request" || kind === "text" || required) return { value: task.trim(), evidence: 0, kind };
  return undefined;
}

function stringKind(name: string, schema: JsonSchema): ParameterKind {
  const label = labelOf(name, {});
  const description = typeof schema.description === "string" ? schema.description.toLowerCase() : "";
  for (const source of [label, description]) {
    const hint = KIND_HINTS.find(([, pattern]) => pattern.test(source));
    if (hint) return hint[0];
  }
  return "other";
}

/**
 * The arithmetic in a task: verb phrasings become operators ("add 3 and 4" → "3 + 4"); otherwise
 * the span from the first number or math word to the end, without the question around it.
 * Thousands separators stay as written: the tool normalises them.
 */
export function mathExpression(task: string): string | undefined {
  const fromVerb = verbArithmetic(task);
  if (fromVerb) return fromVerb;
  const start = MATH_START.exec(task);
  if (!start) return undefined;
  const span = task.slice(start.index).replace(TRAILING_FILLER, "").trim();
  // "the 3 new features" holds a number but no calculation.
  return looksLikeMath(span) || BARE_ARITHMETIC.test(span) ? span : undefined;
}

/** The same span with operator words as symbols: a second reading for a tool that refused the first. */
function symbolicExpression(task: string): string | undefined {
  const span = mathExpression(task);
  if (span === undefined) return undefined;
  const symbolic = symbolizeOperators(span).replace(/\s+/g, " ").trim();
  return symbolic === span ? undefined : symbolic;
}

function verbArithmetic(task: string): string | undefined {
  const cleaned = task.replace(TRAILING_FILLER, "");
  for (const form of VERB_FORMS) {
    const match = form.pattern.exec(cleaned);
    if (!match) continue;
    const groups = match.slice(1).filter(isString);
    const operands = groups.length === 1 ? splitList(groups[0] ?? "") : groups;
    const built = form.build(operands);
    if (built) return built;
  }
  return undefined;
}

/** "3, 4 and 5" → ["3", "4", "5"]; "5 to 10" (as in "add 5 to 10"), "6 by 7" → two operands. */
function splitList(text: string): string[] {
  return text.split(/\s*(?:,\s*and|,|\band\b|\bto\b|\bwith\b|\bby\b|\+)\s*/i).filter((item) => item.trim() !== "");
}

function joinNumbers(items: string[], operator: string): string | undefined {
  if (items.length < 2 || !items.every((item) => NUMBER_LIST_ITEM.test(item))) return undefined;
  return items.map((item) => item.trim()).join(operator);
}

function averageOf(items: string[]): string | undefined {
  const sum = joinNumbers(items, " + ");
  return sum === undefined ? undefined : `(${sum}) / ${items.length}`;
}

/**
 * Search keywords: the task's content words without the request verbs, and without words that name
 * where to search ("search the docs" for a `search_docs` tool), unless nothing would be left.
 * The retry keeps just the three most specific words.
 */
export function searchQuery(task: string, toolName: string, attempt: Attempt): string | undefined {
  const sourceStems = new Set(terms(`${toolName.replace(/[_-]/g, " ")} ${SOURCE_WORDS}`).map((term) => term.stem));
  const content = keywords(task).filter((word) => !isRequestVerb(word));
  const specific = content.filter((word) => !sourceStems.has(stem(word)));
  const chosen = specific.length > 0 ? specific : content;
  if (chosen.length === 0) return undefined;
  if (attempt === "first") return chosen.join(" ");
  const narrowed = [...chosen].sort((a, b) => b.length - a.length).slice(0, 3);
  const retry = chosen.filter((word) => narrowed.includes(word)).join(" ");
  return retry === chosen.join(" ") ? undefined : retry;
}

/**
 * The text a text-processing tool should work on: the material after "rewrite this:" or in quotes;
 * else the task without its leading verb ("proofread we was late" → "we was late"). None when the
 * task asks for new writing ("draft a note …") or only refers to a text ("summarize this", "… how X works").
 */
export function workText(task: string): string | undefined {
  const { material } = splitPayload(task);
  if (material) return material;
  const verb = leadingWord(task);
  if (verb === undefined || COMPOSE_VERBS.has(verb) || !isRequestVerb(verb)) return undefined;
  const rest = task
    .replace(/^\s*(?:(?:please|can you|could you|would you)\s+)*/i, "")
    .replace(new RegExp(`^${verb}\\b\\s*`, "i"), "")
    .trim();
  if (rest === "" || /^(?:how|what|why|who|when|where|which|this|that|it|my|the (?:text|attached|following|above|below))\b/i.test(rest)) {
    return undefined;
  }
  return rest;
}

function pickEnum(task: string, options: SchemaOption[], schema: JsonSchema, required: boolean): FilledValue | undefined {
  const taskStems = new Set(terms(task).map((term) => term.stem));
  const lower = task.toLowerCase();
  const named = options.find(
    ({ value }) =>
      typeof value === "string" &&
      (new RegExp(`\\b${escapeRegExp(value.toLowerCase())}\\b`).test(lower) || taskStems.has(stem(value.toLowerCase()))),
  );
  if (named !== undefined) return { value: named.value, evidence: 0.5, kind: "enum" };
  if (!required) return undefined;
  return { value: schema.default !== undefined ? schema.default : options[0]?.value, evidence: 0, kind: "enum" };
}

/** Extraction reads an option's description too: "the box was crushed" is the "damaged" kind. */
function classifyEnum(task: string, options: SchemaOption[], required: boolean): FilledValue | undefined {
  const { value, matched } = classify(task, options);
  if (!matched && !required) return undefined;
  return { value, evidence: matched ? 0.5 : 0, kind: "enum" };
}

/**
 * A number the task ties to this parameter, most direct first: the number after a word of its
 * label ("amount $20", "order 4411"), an amount of money for a money parameter ("$20", "20
 * dollars", "€20"), the number before a word of its label ("20 words" for `max_words`); for a
 * required parameter, else any number of the task, in order; else the default. A number another
 * field already holds (the order number) is passed over while another one fits.
 */
function pickNumber(
  task: string,
  label: string,
  schema: JsonSchema,
  type: "number" | "integer",
  required: boolean,
  taken: ReadonlySet<number>,
): FilledValue | undefined {
  const labelStems = new Set(terms(label).map((term) => term.stem));
  const isLabel = (word: string | undefined) => word !== undefined && labelStems.has(stem(word));
  const after = [...task.matchAll(AFTER_WORD)].filter(([, word]) => isLabel(word)).map((match) => match[2]);
  const money = MONEY_LABEL.test(label) ? [...task.matchAll(MONEY)].map((match) => match[1] ?? match[2]) : [];
  const before = [...task.matchAll(BEFORE_WORD)].filter(([, , word]) => isLabel(word)).map((match) => match[1]);
  const anywhere = required ? [...task.matchAll(ANY_NUMBER)].map((match) => match[0]) : [];
  const fitting = [...after, ...money, ...before, ...anywhere].flatMap((candidate) => {
    if (candidate === undefined) return [];
    const parsed = Number(candidate.replace(/,/g, ""));
    const value = type === "integer" ? Math.round(parsed) : parsed;
    return Number.isFinite(value) && withinBounds(value, schema) ? [{ value, exact: value === parsed }] : [];
  });
  // Free and exact (a whole number for an integer) first, then free, then any.
  const chosen =
    fitting.find((candidate) => !taken.has(candidate.value) && candidate.exact) ?? fitting.find((candidate) => !taken.has(candidate.value)) ?? fitting[0];
  if (chosen !== undefined) return { value: chosen.value, evidence: 0.5, kind: "number" };
  if (!required) return undefined;
  return typeof schema.default === "number" ? { value: schema.default, evidence: 0, kind: "number" } : undefined;
}

/** The numbers filled values hold: a number, or a string that is one ("4411"), so another field does not take it again. */
export function numbersHeld(values: Iterable<unknown>): Set<number> {
  const held = new Set<number>();
  for (const value of values) {
    if (typeof value === "number") held.add(value);
    else if (typeof value === "string" && /^[$€£]?\s?-?\d[\d,]*(?:\.\d+)?$/.test(value.trim())) held.add(Number(value.trim().replace(/[$€£,\s]/g, "")));
  }
  return held;
}

export interface FillStep {
  name: string;
  schema: JsonSchema;
  /** False on a required number's first pass: only a number its name points at, no fallback. */
  required: boolean;
}

/**
 * The order to fill an object's fields in: numbers last, so a number field knows which numbers
 * the identifiers took ("order 4411, amount $20" gives the amount 20, never 4411); and among
 * numbers, first those the prompt points at by name ("order 4411", "amount $20"), then, for a
 * required number still empty, any number of the prompt no other field took. A field already
 * filled is skipped; the object's keys keep the schema's order.
 */
export function fillOrder(properties: [string, JsonSchema][], required: ReadonlySet<string>): FillStep[] {
  const isNumber = ([, schema]: [string, JsonSchema]) => {
    const type = schemaType(schema);
    return (type === "number" || type === "integer") && schemaOptions(schema) === undefined;
  };
  const numbers = properties.filter(isNumber);
  return [
    ...properties.filter((property) => !isNumber(property)).map(([name, schema]) => ({ name, schema, required: required.has(name) })),
    ...numbers.map(([name, schema]) => ({ name, schema, required: false })),
    ...numbers.filter(([name]) => required.has(name)).map(([name, schema]) => ({ name, schema, required: true })),
  ];
}

/** Extraction sets a flag the task names ("urgent" for `urgent`); a tool call leaves flags at their default. */
function pickBoolean(task: string, label: string, schema: JsonSchema, attempt: Attempt, required: boolean): FilledValue | undefined {
  if (attempt === "extract") {
    const taskStems = new Set(terms(task).map((term) => term.stem));
    const named = terms(label).some((term) => taskStems.has(term.stem));
    if (named || required) return { value: named || (schema.default ?? false), evidence: named ? 0.5 : 0, kind: "boolean" };
    return undefined;
  }
  return required ? { value: schema.default ?? false, evidence: 0, kind: "boolean" } : undefined;
}

/**
 * The identifier a task gives for what the label names: the token with a digit after "order" for
 * `orderId` ("order #4411"); else, for a required one, the first such token that is not an amount
 * of money ("$20", "20 dollars", "45.50") and, while another fits, not a number another field holds.
 */
function identifierIn(task: string, label: string, required: boolean, taken: ReadonlySet<number>): string | undefined {
  const nouns = tokenize(label).filter((word) => !IDENTIFIER_WORDS.has(word) && !isStopWord(word));
  for (const noun of nouns) {
    const pattern = new RegExp(`\\b${escapeRegExp(noun)}s?\\b\\s*(?:#|no\\.?|number|id|ref)?\\s*[:#]?\\s*([a-z]*\\d[\\w-]*)`, "i");
    const found = pattern.exec(task)?.[1];
    if (found) return found;
  }
  if (!required) return undefined;
  const tokens = [...task.matchAll(IDENTIFIER)]
    .filter((match) => !CURRENCY_AFTER.test(task.slice(match.index + match[0].length)))
    .map((match) => match[0].replace(/[.-]+$/, ""))
    .filter((token) => !/^[$€£]|\d\.\d/.test(token));
  return tokens.find((token) => !taken.has(Number(token))) ?? tokens[0];
}

function withinBounds(value: number, schema: JsonSchema): boolean {
  const min = typeof schema.minimum === "number" ? schema.minimum : -Infinity;
  const max = typeof schema.maximum === "number" ? schema.maximum : Infinity;
  return value >= min && value <= max;
}

function isString(value: unknown): value is string {
  return typeof value === "string";
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
