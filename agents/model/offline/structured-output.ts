import { splitRequest } from "./request-parts.js";
import { classify } from "./classification.js";
import { asRecord, propertiesOf, requiredOf, schemaOptions, schemaType, type JsonSchema } from "./json-schema.js";
import type { Review } from "./review.js";
import { fillOrder, fillParameter, numbersHeld } from "./tool-arguments.js";

/**
 * A structured answer: JSON valid against the step's JSON Schema, filled from the prompt. An enum
 * (or a union of described consts) is a classification; a string or number field is extracted by
 * its name and description; an array holds one item per independent part of the request (a
 * planner's subtasks), within its item bounds; and when the prompt holds a draft to review, the
 * `pass`, `score` and `feedback` fields carry the review. Nothing in it says it is the offline
 * model: it is data, not a message.
 */

const DEFAULT_SCORE_MAX = 10;
const PASS_FIELD = /^pass(?:ed)?$/i;
const SCORE_FIELD = /^score$/i;
const FEEDBACK_FIELD = /^feedback$/i;

interface Context {
  /** The step's name, read where a tool's name would be. */
  step: string;
  review: Review | undefined;
  /** Numbers the object's other fields hold: a number field takes one of them only when nothing else fits. */
  taken: ReadonlySet<number>;
}

export function structuredAnswer(prompt: string, schema: JsonSchema, step: string, review: Review | undefined): string {
  return JSON.stringify(valueFor(schema, step, prompt, { step, review, taken: new Set() }, true) ?? null);
}

function valueFor(schema: JsonSchema, name: string, text: string, context: Context, required: boolean): unknown {
  if ("const" in schema) return schema.const;
  const options = schemaOptions(schema);
  if (options) {
    const { value, matched } = classify(text, options);
    return matched || required ? value : undefined;
  }
  const union = Array.isArray(schema.anyOf) ? schema.anyOf : Array.isArray(schema.oneOf) ? schema.oneOf : undefined;
  if (union) {
    // A nullable or mixed union: the first option that is not null.
    const option = union.map((entry) => asRecord(entry) ?? {}).find((entry) => schemaType(entry) !== undefined || "const" in entry);
    return option ? valueFor(option, name, text, context, required) : null;
  }
  const type = schemaType(schema);
  const reviewed = context.review && reviewValue(schema, name, type, context.review);
  if (reviewed !== undefined) return reviewed;
  if (type === "object") return objectFor(schema, text, context);
  if (type === "array") return arrayFor(schema, name, text, context);
  if (type === "null") return null;
  const filled = fillParameter(text, name, schema, context.step, "extract", required, context.taken)?.value;
  if (filled !== undefined) return typeof filled === "string" ? fitString(filled, schema) : filled;
  return required ? fallback(schema, type, text) : undefined;
}

function reviewValue(schema: JsonSchema, name: string, type: string | undefined, review: Review): unknown {
  if (type === "boolean" && PASS_FIELD.test(name)) return review.pass;
  if ((type === "number" || type === "integer") && SCORE_FIELD.test(name)) {
    const max = typeof schema.maximum === "number" && schema.maximum < Number.MAX_SAFE_INTEGER ? schema.maximum : DEFAULT_SCORE_MAX;
    const min = typeof schema.minimum === "number" ? schema.minimum : -Infinity;
    return Math.max(min, review.score(max));
  }
  if (type === "string" && FEEDBACK_FIELD.test(name)) return fitString(review.feedback, schema);
  return undefined;
}

/** Fields in `fillOrder` (numbers after the identifiers that may hold one), keys in the schema's order. */
function objectFor(schema: JsonSchema, text: string, context: Context): Record<string, unknown> {
  const properties = propertiesOf(schema);
  const values = new Map<string, unknown>();
  for (const { name, schema: property, required } of fillOrder(properties, requiredOf(schema))) {
    if (values.has(name)) continue;
    const value = valueFor(property, name, text, { ...context, taken: numbersHeld(values.values()) }, required);
    if (value !== undefined) values.set(name, value);
  }
  const object: Record<string, unknown> = {};
  for (const [name] of properties) if (values.has(name)) object[name] = values.get(name);
  return object;
}

/** One item per part of the request; parts past `maxItems` join the last item, too few repeat. */
function arrayFor(schema: JsonSchema, name: string, text: string, context: Context): unknown[] {
  const items = asRecord(schema.items) ?? {};
  const min = typeof schema.minItems === "number" ? schema.minItems : 0;
  const max = typeof schema.maxItems === "number" ? schema.maxItems : Infinity;
  const parts = splitRequest(text);
  if (parts.length === 0) parts.push(text);
  const fitted = parts.length > max ? [...parts.slice(0, Math.max(0, max - 1)), parts.slice(Math.max(0, max - 1)).join("; ")].slice(0, max) : parts;
  for (let index = 0; fitted.length < min; index += 1) fitted.push(fitted[index % Math.max(1, parts.length)] ?? text);
  return fitted.map((part) => valueFor(items, name, part, context, true));
}

/** A required value the prompt did not supply: the default, else the least the schema allows. */
function fallback(schema: JsonSchema, type: string | undefined, text: string): unknown {
  if (schema.default !== undefined) return schema.default;
  if (type === "number" || type === "integer") {
    const min = typeof schema.minimum === "number" ? schema.minimum : undefined;
    const max = typeof schema.maximum === "number" ? schema.maximum : undefined;
    const value = Math.min(Math.max(0, min ?? 0), max ?? Infinity);
    return type === "integer" ? Math.ceil(value) : value;
  }
  if (type === "boolean") return false;
  return fitString(text, schema);
}

/** Within `maxLength` (cut at a word) and `minLength` (the text repeated). */
function fitString(value: string, schema: JsonSchema): string {
  const max = typeof schema.maxLength === "number" ? schema.maxLength : Infinity;
  const min = typeof schema.minLength === "number" ? schema.minLength : 0;
  let fitted = value;
  if (fitted.length > max) {
    const cut = fitted.slice(0, max);
    const space = cut.lastIndexOf(" ");
    fitted = space > 0 ? cut.slice(0, space) : cut;
  }
  return fitted.length >= min ? fitted : fitted.padEnd(min, fitted === "" ? "." : ` ${fitted}`);
}
