import { fillArguments } from "./tool-arguments.js";
import { describeOutcome, type ToolOutcome } from "./tool-results.js";
import type { FunctionTool, PlannedCall } from "./turn.js";

/**
 * Workflows offered to an agent as function tools: `run_<workflow>`, described by the workflow's
 * description, with its input schema as parameters. A workflow takes a whole request, so its
 * arguments are captured from the request rather than picked out of it.
 */

const PREFIX = "run_";

export function isWorkflowTool(name: string): boolean {
  return name.startsWith(PREFIX) && name.length > PREFIX.length;
}

/** "run_order_triage" → "order triage". */
function workflowName(toolName: string): string {
  return toolName.slice(PREFIX.length).replace(/[_-]+/g, " ");
}

/** What ranking reads for a workflow tool: its name in words and its description. */
export function workflowText(tool: FunctionTool): string {
  return `${workflowName(tool.name)} ${tool.description}`;
}

export function workflowCall(task: string, tool: FunctionTool): PlannedCall | undefined {
  const filled = fillArguments(task, tool.parameters, tool.name, "extract");
  return filled ? { name: tool.name, args: filled.args } : undefined;
}

/** The workflow's output (or failure) in a sentence or two. */
export function answerFromWorkflow(toolName: string, outcome: ToolOutcome): string {
  const name = workflowName(toolName);
  if (outcome.kind === "error") return `The ${name} workflow failed: ${asSentence(outcome.message)}`;
  const fields = describeOutcome(outcome)
    .split("\n")
    .map((line) => line.replace(/^(?:- )?([A-Za-z][\w]*): /, (_, key: string) => `${key.replace(/([a-z0-9])([A-Z])/g, "$1 $2").replace(/_/g, " ").toLowerCase()}: `))
    .join("; ");
  return `The ${name} workflow finished. ${asSentence(fields.charAt(0).toUpperCase() + fields.slice(1))}`;
}

function asSentence(text: string): string {
  const trimmed = text.trim();
  return /[.!?…]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}
