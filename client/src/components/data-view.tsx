import { formatJson } from "../format.js";

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Values short enough to read inline: numbers, booleans, null, and lists of those. */
function inline(value: unknown): string | undefined {
  if (value === null || typeof value === "number" || typeof value === "boolean") return JSON.stringify(value);
  if (Array.isArray(value) && value.length <= 12 && value.every((item) => item === null || ["number", "boolean", "string"].includes(typeof item))) {
    const text = JSON.stringify(value);
    return text.length <= 80 && !text.includes("\\n") ? text : undefined;
  }
  return undefined;
}

/**
 * Data a person reads (an approval's data to judge, a step's output): text as text, with its line
 * breaks; an object as its fields, one under the other; anything deeper as pretty-printed JSON.
 * Everything is a text node: nothing in it runs or renders as HTML.
 */
export function DataView({ value, depth = 0, testId }: { value: unknown; depth?: number; testId?: string }) {
  if (typeof value === "string") {
    return (
      <pre className="data-text" data-testid={testId}>
        {value}
      </pre>
    );
  }
  const short = inline(value);
  if (short !== undefined) {
    return (
      <code className="data-inline" data-testid={testId}>
        {short}
      </code>
    );
  }
  if (isRecord(value) && depth < 2) {
    const entries = Object.entries(value);
    if (entries.length > 0 && entries.length <= 40) {
      return (
        <dl className="data-fields" data-testid={testId}>
          {entries.map(([key, item]) => (
            <div key={key} className="data-field">
              <dt>{key}</dt>
              <dd>
                <DataView value={item} depth={depth + 1} />
              </dd>
            </div>
          ))}
        </dl>
      );
    }
  }
  return (
    <pre className="data-json" data-testid={testId}>
      {formatJson(value)}
    </pre>
  );
}
