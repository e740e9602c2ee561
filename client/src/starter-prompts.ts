/**
 * The first-run suggestions of an empty conversation, drawn from the team: one prompt per enabled
 * specialist (a concrete request for the shipped ones, a question about what it does for any
 * other), and one entry per workflow, which opens its start form.
 */
import type { AgentSummary, WorkflowInfo } from "./api.js";

export type Starter =
  | { kind: "prompt"; agent: string; description: string; text: string }
  | { kind: "workflow"; workflow: string; description: string };

/** Requests the shipped specialists answer well (the offline model routes each to its agent). */
const KNOWN: Readonly<Record<string, string>> = {
  calculator: "What is 17.5% of 2,480?",
  researcher: "Summarize how handoffs work",
  writer: "Rewrite this more formally: hey, the meeting moved to 3pm, can u make it?",
  timekeeper: "How many days are there between 2025-01-01 and 2025-12-25?",
  proofreader: "Proofread this: Their going to the libary tomorow to return it's books.",
};

const MAX_PROMPTS = 6;
const MAX_WORKFLOWS = 3;

export function starterPrompts(agents: readonly AgentSummary[], workflows: readonly WorkflowInfo[]): Starter[] {
  const prompts: Starter[] = agents
    .filter((agent) => agent.name !== "manager" && agent.enabled !== false)
    .slice(0, MAX_PROMPTS)
    .map((agent) => ({
      kind: "prompt",
      agent: agent.name,
      description: agent.description,
      text: KNOWN[agent.name] ?? `What can the ${agent.name} do for me?`,
    }));
  const flows: Starter[] = workflows
    .slice(0, MAX_WORKFLOWS)
    .map((workflow) => ({ kind: "workflow", workflow: workflow.name, description: workflow.description }));
  return [...prompts, ...flows];
}
