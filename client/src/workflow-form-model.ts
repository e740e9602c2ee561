/**
 * The start form of a workflow without React: the fields its input JSON Schema asks for, what
 * the form holds, the input it sends (after the checks the page can make itself), and which
 * fields a refusal from the server names.
 *
 * string → a text box (a text area for long text), enum → a select, number/integer → a number
 * box, boolean → a checkbox; anything else (objects, arrays) → JSON typed in a text area.
 */

export type FieldControl = "text" | "textarea" | "select" | "number" | "checkbox" | "json";

export interface FieldOption {
  /** What the select's option holds (its index, as text). */
  key: string;
  label: string;
  value: unknown;
}

export interface FormField {
  /** The property name ("" when the whole input is one value). */
  name: string;
  label: string;
  description: string | undefined;
  required: boolean;
  control: FieldControl;
  integer: boolean;
  options: readonly FieldOption[];
  minimum: number | undefined;
  maximum: number | undefined;
  minLength: number | undefined;
  maxLength: number | undefined;
  placeholder: string | undefined;
}

export interface StartForm {
  fields: readonly FormField[];
  /** `object`: the input is an object of the fields; `value`: the single field's value is the input. */
  shape: "object" | "value";
}

/** What the form holds: text as typed (a select's option key), a checkbox's tick. */
export type FormValues = Readonly<Record<string, string | boolean>>;

export interface FieldProblem {
  /** The field's name, or undefined for the form as a whole. */
  field: string | undefined;
  message: string;
}

export type InputResult = { ok: true; input: unknown } | { ok: false; problems: FieldProblem[] };

type Schema = Record<string, unknown>;

const isSchema = (value: unknown): value is Schema => typeof value === "object" && value !== null && !Array.isArray(value);
const numberOr = (value: unknown): number | undefined => (typeof value === "number" && Number.isFinite(value) ? value : undefined);
const stringOr = (value: unknown): string | undefined => (typeof value === "string" && value.trim() !== "" ? value : undefined);

/** "orderId" → "Order id", "target_language" → "Target language". */
export function humanize(name: string): string {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/[_-]+/g, " ")
    .trim()
    .toLowerCase();
  return words === "" ? "Input" : words[0]?.toUpperCase() + words.slice(1);
}

/** Follows a local `$ref` ("#/$defs/Brief") within the root schema; other refs are left as they are. */
function resolve(schema: unknown, root: Schema, depth = 0): Schema {
  if (!isSchema(schema)) return {};
  const ref = schema.$ref;
  if (typeof ref !== "string" || !ref.startsWith("#/") || depth > 8) return schema;
  let target: unknown = root;
  for (const part of ref.slice(2).split("/")) {
    target = isSchema(target) ? target[part.replace(/~1/g, "/").replace(/~0/g, "~")] : undefined;
  }
  return { ...resolve(target, root, depth + 1), ...Object.fromEntries(Object.entries(schema).filter(([key]) => key !== "$ref")) };
}

/** The schema's type without "null" (an optional field is often `["string", "null"]` or `anyOf` with null). */
function typeOf(schema: Schema, root: Schema): { type: string | undefined; schema: Schema } {
  const type = schema.type;
  if (typeof type === "string") return { type, schema };
  if (Array.isArray(type)) {
    const real = type.filter((item) => item !== "null");
    return { type: real.length === 1 && typeof real[0] === "string" ? real[0] : undefined, schema };
  }
  for (const key of ["anyOf", "oneOf"] as const) {
    const variants = schema[key];
    if (!Array.isArray(variants)) continue;
    const real = variants.map((variant) => resolve(variant, root)).filter((variant) => variant.type !== "null");
    // A choice of constants is an enum.
    if (real.length > 0 && real.every((variant) => "const" in variant)) return { type: "enum", schema: { ...schema, enum: real.map((variant) => variant.const) } };
    if (real.length === 1 && real[0] !== undefined) return typeOf({ ...schema, ...real[0], [key]: undefined }, root);
  }
  if (Array.isArray(schema.enum)) return { type: "enum", schema };
  if ("const" in schema) return { type: "enum", schema: { ...schema, enum: [schema.const] } };
  return { type: undefined, schema };
}

const LONG_TEXT = /(brief|text|body|content|description|notes?|message|prompt|details?|summary|instructions|draft|article|comment)$/i;

function fieldFrom(name: string, raw: unknown, required: boolean, root: Schema): FormField {
  const resolved = resolve(raw, root);
  const { type, schema } = typeOf(resolved, root);
  const base: FormField = {
    name,
    label: stringOr(schema.title) ?? humanize(name),
    description: stringOr(schema.description),
    required,
    control: "json",
    integer: false,
    options: [],
    minimum: numberOr(schema.minimum),
    maximum: numberOr(schema.maximum),
    minLength: numberOr(schema.minLength),
    maxLength: numberOr(schema.maxLength),
    placeholder: undefined,
  };
  if (Array.isArray(schema.enum) || type === "enum") {
    const values = Array.isArray(schema.enum) ? schema.enum : [];
    return {
      ...base,
      control: "select",
      options: values.map((value, index) => ({ key: String(index), label: typeof value === "string" ? value : JSON.stringify(value), value })),
    };
  }
  switch (type) {
    case "string": {
      const long = (base.maxLength ?? 0) > 120 || (base.maxLength === undefined && LONG_TEXT.test(name));
      return { ...base, control: long ? "textarea" : "text" };
    }
    case "number":
      return { ...base, control: "number" };
    case "integer":
      return { ...base, control: "number", integer: true };
    case "boolean":
      return { ...base, control: "checkbox" };
    case "array":
      return { ...base, placeholder: '["first", "second"]' };
    default:
      return { ...base, placeholder: "{ }" };
  }
}

/** The form a workflow's input schema asks for. */
export function formFromSchema(input: unknown): StartForm {
  const root = isSchema(input) ? input : {};
  const schema = resolve(root, root);
  const properties = isSchema(schema.properties) ? schema.properties : undefined;
  if (properties === undefined && schema.type !== "object") {
    if (Object.keys(schema).filter((key) => !key.startsWith("$")).length === 0) return { fields: [], shape: "object" };
    return { fields: [{ ...fieldFrom("", schema, true, root), label: stringOr(schema.title) ?? "Input" }], shape: "value" };
  }
  const required = new Set(Array.isArray(schema.required) ? schema.required.filter((name): name is string => typeof name === "string") : []);
  const fields = Object.entries(properties ?? {}).map(([name, property]) => fieldFrom(name, property, required.has(name), root));
  return { fields, shape: "object" };
}

/** The form before anything is typed: the schema's defaults where it has them. */
export function initialValues(form: StartForm, schema: unknown): Record<string, string | boolean> {
  const root = isSchema(schema) ? schema : {};
  const resolved = resolve(root, root);
  const properties = isSchema(resolved.properties) ? resolved.properties : {};
  const values: Record<string, string | boolean> = {};
  for (const field of form.fields) {
    const fallback = form.shape === "value" ? resolved.default : resolve(properties[field.name], root).default;
    values[field.name] = valueFromDefault(field, fallback);
  }
  return values;
}

function valueFromDefault(field: FormField, value: unknown): string | boolean {
  switch (field.control) {
    case "checkbox":
      return value === true;
    case "select": {
      const match = field.options.find((option) => JSON.stringify(option.value) === JSON.stringify(value));
      // A required choice starts on its first option; an optional one on "none".
      return match?.key ?? (field.required ? (field.options[0]?.key ?? "") : "");
    }
    case "json":
      return value === undefined ? "" : JSON.stringify(value, null, 2);
    default:
      return value === undefined || value === null ? "" : String(value);
  }
}

/** Reads one field: its value, undefined when left empty, or a problem. */
function readField(field: FormField, raw: string | boolean | undefined): { value: unknown } | { problem: string } | undefined {
  if (field.control === "checkbox") return { value: raw === true };
  const text = typeof raw === "string" ? raw : "";
  if (text.trim() === "") return field.required ? { problem: `${field.label} is required.` } : undefined;
  switch (field.control) {
    case "select": {
      const option = field.options.find((item) => item.key === text);
      return option === undefined ? { problem: `Pick one of the choices for ${field.label}.` } : { value: option.value };
    }
    case "number": {
      const value = Number(text);
      if (!Number.isFinite(value)) return { problem: `${field.label} must be a number.` };
      if (field.integer && !Number.isInteger(value)) return { problem: `${field.label} must be a whole number.` };
      if (field.minimum !== undefined && value < field.minimum) return { problem: `${field.label} must be at least ${field.minimum}.` };
      if (field.maximum !== undefined && value > field.maximum) return { problem: `${field.label} must be at most ${field.maximum}.` };
      return { value };
    }
    case "json":
      try {
        return { value: JSON.parse(text) };
      } catch {
        return { problem: `${field.label} must be JSON, e.g. ${field.placeholder ?? "{ }"}.` };
      }
    default: {
      if (field.minLength !== undefined && text.trim().length < field.minLength) {
        return { problem: `${field.label} must be at least ${field.minLength} characters.` };
      }
      if (field.maxLength !== undefined && text.length > field.maxLength) {
        return { problem: `${field.label} must be at most ${field.maxLength} characters.` };
      }
      return { value: field.control === "textarea" ? text.replace(/\s+$/, "") : text.trim() };
    }
  }
}

/**
 * The input to send, or what is missing: required fields left empty, numbers that are not, JSON
 * that does not parse. The server checks the input against the schema again, fully.
 */
export function inputFromValues(form: StartForm, values: FormValues): InputResult {
  const problems: FieldProblem[] = [];
  const input: Record<string, unknown> = {};
  for (const field of form.fields) {
    const read = readField(field, values[field.name]);
    if (read === undefined) continue;
    if ("problem" in read) problems.push({ field: field.name, message: read.problem });
    else input[field.name] = read.value;
  }
  if (problems.length > 0) return { ok: false, problems };
  if (form.shape === "value") return { ok: true, input: input[form.fields[0]?.name ?? ""] };
  return { ok: true, input };
}

/** The fields a server message names ("input.brief: Required", "topic must be …"), in form order. */
export function fieldsNamedIn(message: string, form: StartForm): string[] {
  return form.fields
    .filter((field) => field.name !== "" && new RegExp(`(^|[^A-Za-z0-9_])${field.name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}($|[^A-Za-z0-9_])`).test(message))
    .map((field) => field.name);
}
