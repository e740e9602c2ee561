import { asRecord } from "./json-schema.js";

/**
 * Reads what came back from a tool or a handoff. Conventions relied on (JSON in the tool message):
 * - success: the tool's own result; a string field `answer` is the ready-made reply;
 * - failure: an object with `ok: false` and/or a string `error`;
 * - delegate results: an array of `{agent, status, result}` (`status` "failed" marks a failure);
 * - a workflow run: `{workflow, status, output}` or `{workflow, status: "failed", reason}`.
 */

export type ToolOutcome =
  | { kind: "answer"; text: string }
  | { kind: "error"; message: string }
  | { kind: "delegations"; results: DelegatedResult[] }
  | { kind: "data"; text: string };

export interface DelegatedResult {
  agent: string;
  task?: string;
  failed: boolean;
  text: string;
}

/** Fields that, in a result object without `answer`, hold the result itself. */
const RESULT_FIELDS = ["result", "text", "summary", "output", "content", "value", "message"] as const;
const LIST_FIELDS = ["results", "items", "matches", "passages", "hits", "documents"] as const;
const MAX_LISTED = 5;
const MAX_FIELD_CHARS = 400;
const FAILED_STATUSES = new Set(["failed", "error", "errored", "cancelled", "canceled", "timeout", "timed_out", "rejected"]);

export function readToolOutcome(content: string): ToolOutcome {
  let value: unknown;
  try {
    value = JSON.parse(content);
  } catch {
    return { kind: "data", text: content.trim() };
  }
  return outcomeOf(value);
}

function outcomeOf(value: unknown): ToolOutcome {
  if (typeof value === "string") return { kind: "answer", text: value };
  if (typeof value === "number" || typeof value === "boolean") return { kind: "answer", text: String(value) };
  if (Array.isArray(value)) return isDelegationList(value) ? { kind: "delegations", results: value.map(toDelegated) } : { kind: "data", text: renderList(value) };
  const record = asRecord(value);
  if (!record) return { kind: "data", text: "(no result)" };
  if (record.ok === false || (typeof record.error === "string" && typeof record.answer !== "string")) {
    return { kind: "error", message: errorMessage(record) };
  }
  if (typeof record.answer === "string") return { kind: "answer", text: record.answer };
  if (Array.isArray(record.results) && isDelegationList(record.results)) return { kind: "delegations", results: record.results.map(toDelegated) };
  if (record.ok === true && "result" in record) return outcomeOf(record.result);
  // A workflow run's result, as the agent loop hands it back: what matters is its output, or why it failed.
  if (typeof record.workflow === "string" && typeof record.status === "string") {
    if (FAILED_STATUSES.has(record.status)) return { kind: "error", message: errorMessage(record) };
    if ("output" in record) return outcomeOf(record.output);
  }
  return { kind: "data", text: renderRecord(record) };
}

function errorMessage(record: Record<string, unknown>): string {
  for (const field of ["error", "message", "reason"]) {
    const value = record[field];
    if (typeof value === "string" && value.trim() !== "") return value;
    const nested = asRecord(value);
    if (nested && typeof nested.message === "string") return nested.message;
  }
  return "the tool reported a failure without a message";
}

function isDelegationList(items: unknown[]): boolean {
  return items.length > 0 && items.every((item) => typeof asRecord(item)?.agent === "string" && ("result" in (asRecord(item) ?? {}) || "status" in (asRecord(item) ?? {})));
}

function toDelegated(item: unknown): DelegatedResult {
  const record = asRecord(item) ?? {};
  const status = typeof record.status === "string" ? record.status.toLowerCase() : "";
  const failed = FAILED_STATUSES.has(status) || record.ok === false || (typeof record.error === "string" && record.result === undefined);
  const inner = record.result !== undefined ? outcomeOf(record.result) : undefined;
  const text = inner ? describeOutcome(inner) : typeof record.error === "string" ? record.error : "(no result)";
  return {
    agent: String(record.agent),
    ...(typeof record.task === "string" ? { task: record.task } : {}),
    failed: failed || inner?.kind === "error",
    text,
  };
}

/** One line or paragraph of text for any outcome. */
export function describeOutcome(outcome: ToolOutcome): string {
  switch (outcome.kind) {
    case "answer":
    case "data":
      return outcome.text;
    case "error":
      return outcome.message;
    case "delegations":
      return outcome.results.map((result) => `${result.agent}: ${result.text}`).join("\n");
  }
}

function renderRecord(record: Record<string, unknown>): string {
  for (const field of RESULT_FIELDS) {
    const value = record[field];
    if (typeof value === "string" || typeof value === "number") return String(value);
  }
  for (const field of LIST_FIELDS) {
    const value = record[field];
    if (Array.isArray(value)) return value.length === 0 ? "No results." : renderList(value);
  }
  const lines = Object.entries(record)
    .filter(([, value]) => value === null || ["string", "number", "boolean"].includes(typeof value))
    .slice(0, 8)
    .map(([key, value]) => `${key}: ${clip(String(value))}`);
  return lines.length > 0 ? lines.join("\n") : clip(JSON.stringify(record));
}

function renderList(items: unknown[]): string {
  if (items.length === 0) return "No results.";
  const shown = items.slice(0, MAX_LISTED).map((item) => `- ${clip(renderItem(item))}`);
  const more = items.length > MAX_LISTED ? [`- … and ${items.length - MAX_LISTED} more`] : [];
  return [...shown, ...more].join("\n");
}

/** A search hit or similar: "title: snippet", else its text, else compact JSON. */
function renderItem(item: unknown): string {
  const record = asRecord(item);
  if (!record) return typeof item === "string" ? item : JSON.stringify(item);
  const title = ["title", "name", "heading", "source", "path"].map((field) => record[field]).find((value) => typeof value === "string");
  const body = ["snippet", "text", "content", "summary", "excerpt", "answer", "passage"].map((field) => record[field]).find((value) => typeof value === "string");
  if (typeof title === "string" && typeof body === "string") return `${title}: ${body}`;
  if (typeof body === "string") return body;
  if (typeof title === "string") return title;
  return JSON.stringify(record);
}

function clip(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > MAX_FIELD_CHARS ? `${flat.slice(0, MAX_FIELD_CHARS - 1)}…` : flat;
}
