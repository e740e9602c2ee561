/**
 * What changed between two definitions of an agent, field by field, for its history: long text
 * (description, instructions) as added and removed lines (jsdiff's line diff), the rest as
 * before → after.
 */
import { diffLines } from "diff";
import type { AgentSpec } from "../../shared/agent-spec.js";

export type DiffLine = { kind: "added" | "removed" | "same"; text: string };

export type FieldChange =
  | { field: string; label: string; kind: "text"; lines: DiffLine[] }
  | { field: string; label: string; kind: "value"; before: string; after: string };

type Definition = Pick<AgentSpec, "description" | "instructions" | "model" | "temperature" | "maxTokens" | "tools" | "handoffs" | "enabled">;

const TEXT_FIELDS = [
  ["description", "Description"],
  ["instructions", "Instructions"],
] as const;

const VALUE_FIELDS: readonly (readonly [keyof Definition, string, (spec: Definition) => string])[] = [
  ["model", "Model", (spec) => spec.model ?? "the default"],
  ["temperature", "Temperature", (spec) => (spec.temperature === undefined ? "the model's default" : String(spec.temperature))],
  ["maxTokens", "Most tokens per answer", (spec) => (spec.maxTokens === undefined ? "no cap" : String(spec.maxTokens))],
  ["tools", "Tools", (spec) => (spec.tools.length === 0 ? "none" : spec.tools.join(", "))],
  ["handoffs", "Hands off to", (spec) => (spec.handoffs.length === 0 ? "nobody" : spec.handoffs.join(", "))],
  ["enabled", "Enabled", (spec) => (spec.enabled ? "yes" : "no")],
];

/** The fields that differ from `before` to `after`, in the form's order; empty when none do. */
export function agentChanges(before: Definition, after: Definition): FieldChange[] {
  const changes: FieldChange[] = [];
  for (const [field, label] of TEXT_FIELDS) {
    if (before[field] === after[field]) continue;
    const lines = diffLines(withNewline(before[field]), withNewline(after[field])).flatMap((part) =>
      part.value
        .replace(/\n$/, "")
        .split("\n")
        .map((text): DiffLine => ({ kind: part.added ? "added" : part.removed ? "removed" : "same", text })),
    );
    changes.push({ field, label, kind: "text", lines });
  }
  for (const [field, label, show] of VALUE_FIELDS) {
    const [was, is] = [show(before), show(after)];
    if (was !== is) changes.push({ field, label, kind: "value", before: was, after: is });
  }
  return changes;
}

/** jsdiff compares lines with their ends: the last line needs one too, or an append shows as a change of it. */
const withNewline = (text: string): string => (text.endsWith("\n") ? text : `${text}\n`);
