import { expect, it } from "vitest";
import type { AgentSummary, WorkflowInfo } from "../src/api.js";
import { starterPrompts } from "../src/starter-prompts.js";

const agent = (name: string, extra: Partial<AgentSummary> = {}): AgentSummary => ({ name, description: `${name} things`, model: "", tools: [], handoffs: [], ...extra });
const workflow = (name: string): WorkflowInfo =>
  ({ name, description: `${name} flow`, version: "1", inputSchema: {}, graph: { nodes: [], edges: [] } }) as unknown as WorkflowInfo;

it("offers one prompt per enabled specialist, a concrete one for the shipped agents, then the workflows", () => {
  const starters = starterPrompts(
    [agent("manager"), agent("calculator"), agent("haiku-poet"), agent("writer", { enabled: false })],
    [workflow("content-pipeline")],
  );
  expect(starters).toEqual([
    { kind: "prompt", agent: "calculator", description: "calculator things", text: "What is 17.5% of 2,480?" },
    { kind: "prompt", agent: "haiku-poet", description: "haiku-poet things", text: "What can the haiku-poet do for me?" },
    { kind: "workflow", workflow: "content-pipeline", description: "content-pipeline flow" },
  ]);
});

it("keeps the list short", () => {
  const many = Array.from({ length: 10 }, (_, index) => agent(`agent-${index}`));
  const flows = Array.from({ length: 5 }, (_, index) => workflow(`flow-${index}`));
  const starters = starterPrompts(many, flows);
  expect(starters.filter((starter) => starter.kind === "prompt")).toHaveLength(6);
  expect(starters.filter((starter) => starter.kind === "workflow")).toHaveLength(3);
});
