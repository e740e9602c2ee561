import { describe, expect, it } from "vitest";
import { agentChanges } from "../src/agent-diff.js";

const base = {
  description: "Writes haiku poems about any topic.",
  instructions: "You are a poet.\nAnswer with a haiku.\nNever explain it.",
  tools: [] as string[],
  handoffs: ["writer"],
  enabled: true,
};

describe("what changed between two definitions of an agent", () => {
  it("shows changed instructions as removed and added lines, the unchanged ones as they were", () => {
    const changes = agentChanges(base, { ...base, instructions: "You are a poet.\nAnswer with a limerick.\nNever explain it." });
    expect(changes).toEqual([
      {
        field: "instructions",
        label: "Instructions",
        kind: "text",
        lines: [
          { kind: "same", text: "You are a poet." },
          { kind: "removed", text: "Answer with a haiku." },
          { kind: "added", text: "Answer with a limerick." },
          { kind: "same", text: "Never explain it." },
        ],
      },
    ]);
  });

  it("shows a line added at the end as one added line, not a changed last line", () => {
    const [change] = agentChanges(base, { ...base, instructions: `${base.instructions}\nBe brief.` });
    expect(change?.kind === "text" && change.lines.filter((line) => line.kind !== "same")).toEqual([{ kind: "added", text: "Be brief." }]);
  });

  it("shows settings, tools, handoffs and the switch as before and after, in words", () => {
    expect(agentChanges(base, { ...base, model: "gpt-4o", temperature: 0.2, tools: ["text_stats"], handoffs: [], enabled: false })).toEqual([
      { field: "model", label: "Model", kind: "value", before: "the default", after: "gpt-4o" },
      { field: "temperature", label: "Temperature", kind: "value", before: "the model's default", after: "0.2" },
      { field: "tools", label: "Tools", kind: "value", before: "none", after: "text_stats" },
      { field: "handoffs", label: "Hands off to", kind: "value", before: "writer", after: "nobody" },
      { field: "enabled", label: "Enabled", kind: "value", before: "yes", after: "no" },
    ]);
  });

  it("finds nothing between equal definitions", () => {
    expect(agentChanges(base, { ...base, tools: [] })).toEqual([]);
  });
});
