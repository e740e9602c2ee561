import { isRequestVerb, leadingWord, splitPayload } from "./request-parts.js";
import { keywords, looksLikeMath, stem, termsMatch, terms } from "./text-match.js";

/**
 * Fills a tool's arguments from the task text, guided by the parameters' JSON Schema: what each
 * parameter is (an expression, a search query, a text, an enum, a number) decides what part of the
 * task it gets. Two variants: the first attempt, and a different reading used for one retry.
 */

export type JsonSchema = Record<string, unknown>;
export type Attempt = "first" | "retry";

export interface FilledArguments {
  args: Record<string, unknown>;
  /** How strongly the task itself supplied the arguments (a math span, a named enum value). */
  evidence: number;
  /** Parameter kinds filled from the task, so the caller can tell a search tool from others. */
  kinds: ParameterKind[];
}

export type ParameterKind = "expression" | "query" | "request" | "text" | "enum" | "number" | "boolean" | "other";

/** Words in a parameter's name or description that say what it holds, most specific first. */
const KIND_HINTS: ReadonlyArray<[ParameterKind, RegExp]> = [
  ["expression", /express|formula|equation|arithmetic|calculation|\bmath/],
  ["query", /query|search|keyword|terms\b|topic|look ?up/],
  // The user's words as they are: a tool that reads the question itself.
  ["request", /as (?:the user )?(?:asked|written)|verbatim|\bquestion\b/],
  ["text", /text|content|passage|document|input|message|body|draft|prose|paragraph|task|request|question|prompt/],
];

/** Verbs asking for new writing: there is no given text to pass to a text tool. */
const COMPOSE_VERBS: ReadonlySet<string> = new Set(["draft", "write", "compose", "create", "prepare", "outline", "generate"]);

/** Words that say where to look, not what to look for. */
const SOURCE_WORDS = "docs documentation documents knowledge base kb wiki manual";

/** Where a math expression starts: a number, a bracket or sign before one, a function or constant. */
const MATH_START =
  /[-−(]?\s*[$€£]?\d|\b(?:sqrt|cbrt|sin|cos|tan|log|ln|exp|abs|round|floor|ceil|factorial|pi)\b|\b(?:square|cube) root\b/i;
/** Only numbers, operators and brackets: "7", "(3 + 4) * 2". */
const BARE_ARITHMETIC = /^[-−+*/×÷^%().,\s\d]*\d[-−+*/×÷^%().,\s\d]*$/;
const NUMBER = /-?\d[\d,]*(?:\.\d+)?/;
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
  const properties = asRecord(parameters?.properties) ?? {};
  const required = new Set(Array.isArray(parameters?.required) ? parameters.required.filter(isString) : []);
  const filled: FilledArguments = { args: {}, evidence: 0, kinds: [] };
  for (const [name, raw] of Object.entries(properties)) {
    const schema = asRecord(raw) ?? {};
    const value = fillParameter(task, name, schema, toolName, attempt, required.has(name));
    if (value === undefined) {
      if (required.has(name)) return undefined;
      continue;
    }
    filled.args[name] = value.value;
    filled.evidence += value.evidence;
    filled.kinds.push(value.kind);
  }
  return filled;
}

interface FilledValue {
  value: unknown;
  evidence: number;
  kind: ParameterKind;
}

function fillParameter(
  task: string,
  name: string,
  schema: JsonSchema,
  toolName: string,
  attempt: Attempt,
  required: boolean,
): FilledValue | undefined {
  const values = enumValues(schema);
  if (values) return pickEnum(task, values, schema, required);
  const type = schemaType(schema);
  if (type === "number" || type === "integer") return pickNumber(task, name, schema, type, required);
  if (type === "boolean") return required ? { value: schema.default ?? false, evidence: 0, kind: "boolean" } : undefined;
  if (type !== "string") return required && schema.default !== undefined ? { value: schema.default, evidence: 0, kind: "other" } : undefined;
  if (!required) return undefined;
  const kind = stringKind(name, schema);
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

function stringKind(name: string, schema: JsonSchema): ParameterKind {
  const label = name.toLowerCase().replace(/_/g, " ");
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
  const symbolic = span
    .replace(/\bto the power of\b/gi, "^")
    .replace(/\b(?:multiplied by|times)\b/gi, "*")
    .replace(/\bdivided by\b/gi, "/")
    .replace(/\bplus\b/gi, "+")
    .replace(/\bminus\b/gi, "-")
    .replace(/\s*\bper\s?cent\b/gi, "%")
    .replace(/\bsquared\b/gi, "^2")
    .replace(/\s+/g, " ")
    .trim();
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
  const sourceStems = terms(`${toolName.replace(/[_-]/g, " ")} ${SOURCE_WORDS}`).map((term) => term.stem);
  const content = keywords(task).filter((word) => !isRequestVerb(word));
  const specific = content.filter((word) => !sourceStems.some((sourceStem) => termsMatch(stem(word), sourceStem) > 0));
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

function pickEnum(task: string, values: unknown[], schema: JsonSchema, required: boolean): FilledValue | undefined {
  const taskStems = new Set(terms(task).map((term) => term.stem));
  const lower = task.toLowerCase();
  const named = values.find(
    (value) =>
      typeof value === "string" &&
      (new RegExp(`\\b${escapeRegExp(value.toLowerCase())}\\b`).test(lower) || taskStems.has(stem(value.toLowerCase()))),
  );
  if (named !== undefined) return { value: named, evidence: 0.5, kind: "enum" };
  if (!required) return undefined;
  return { value: schema.default !== undefined ? schema.default : values[0], evidence: 0, kind: "enum" };
}

/**
 * A number the task ties to this parameter ("20 words" for `max_words`, "2 sentences"); for a
 * required parameter, else the task's first number; else the default.
 */
function pickNumber(task: string, name: string, schema: JsonSchema, type: "number" | "integer", required: boolean): FilledValue | undefined {
  const labelStems = terms(`${name.replace(/_/g, " ")} ${typeof schema.description === "string" ? schema.description : ""}`).map((term) => term.stem);
  const tied = [...task.matchAll(/(-?\d[\d,]*(?:\.\d+)?)\s+([a-z]+)/gi)].find(([, , word]) =>
    labelStems.some((labelStem) => termsMatch(stem((word ?? "").toLowerCase()), labelStem) > 0),
  );
  const candidate = tied?.[1] ?? (required ? NUMBER.exec(task)?.[0] : undefined);
  const parsed = candidate === undefined ? Number.NaN : Number(candidate.replace(/,/g, ""));
  const value = type === "integer" ? Math.round(parsed) : parsed;
  if (Number.isFinite(value) && withinBounds(value, schema)) return { value, evidence: 0.5, kind: "number" };
  if (!required) return undefined;
  return typeof schema.default === "number" ? { value: schema.default, evidence: 0, kind: "number" } : undefined;
}

function withinBounds(value: number, schema: JsonSchema): boolean {
  const min = typeof schema.minimum === "number" ? schema.minimum : -Infinity;
  const max = typeof schema.maximum === "number" ? schema.maximum : Infinity;
  return value >= min && value <= max;
}

/** `enum: [...]`, or zod's `anyOf: [{const}, …]` for a union of literals. */
function enumValues(schema: JsonSchema): unknown[] | undefined {
  if (Array.isArray(schema.enum)) return schema.enum;
  if (!Array.isArray(schema.anyOf)) return undefined;
  const options = schema.anyOf.map((option) => asRecord(option)?.const);
  return options.length > 0 && options.every((value) => value !== undefined) ? options : undefined;
}

function schemaType(schema: JsonSchema): string | undefined {
  if (typeof schema.type === "string") return schema.type;
  if (Array.isArray(schema.type)) return schema.type.find((type): type is string => typeof type === "string" && type !== "null");
  return undefined;
}

export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function isString(value: unknown): value is string {
  return typeof value === "string";
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
