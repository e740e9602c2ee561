/** Reading the JSON Schemas requests carry: tool parameters and structured-output formats. */

export type JsonSchema = Record<string, unknown>;

export interface SchemaOption {
  value: unknown;
  description: string;
}

export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** The schema's type; for a nullable type (`["string", "null"]`) the non-null one. */
export function schemaType(schema: JsonSchema): string | undefined {
  if (typeof schema.type === "string") return schema.type;
  if (Array.isArray(schema.type)) return schema.type.find((type): type is string => typeof type === "string" && type !== "null");
  return undefined;
}

/** `enum: [...]`, or zod's `anyOf`/`oneOf` of `{const, description}` for a union of literals. */
export function schemaOptions(schema: JsonSchema): SchemaOption[] | undefined {
  if (Array.isArray(schema.enum)) return schema.enum.map((value) => ({ value, description: "" }));
  const union = Array.isArray(schema.anyOf) ? schema.anyOf : Array.isArray(schema.oneOf) ? schema.oneOf : undefined;
  if (!union) return undefined;
  const options = union.map(asRecord);
  if (options.length === 0 || !options.every((option) => option && "const" in option)) return undefined;
  return options.map((option) => ({ value: option?.const, description: typeof option?.description === "string" ? option.description : "" }));
}

export function propertiesOf(schema: JsonSchema): [string, JsonSchema][] {
  return Object.entries(asRecord(schema.properties) ?? {}).map(([name, raw]) => [name, asRecord(raw) ?? {}]);
}

export function requiredOf(schema: JsonSchema): Set<string> {
  return new Set(Array.isArray(schema.required) ? schema.required.filter((name): name is string => typeof name === "string") : []);
}

/** A parameter's name and description as words: "orderId" → "order id". */
export function labelOf(name: string, schema: JsonSchema): string {
  const words = name.replace(/([a-z0-9])([A-Z])/g, "$1 $2").replace(/[_-]+/g, " ").toLowerCase();
  return `${words} ${typeof schema.description === "string" ? schema.description : ""}`.trim();
}
