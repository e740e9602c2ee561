/**
 * Workflows in words: the bound a workflow states before it runs, the meter a run fills, run
 * statuses and failure codes, and approval deadlines. Pure, so the list, the chat and the tests
 * all say the same thing.
 */
import type { Budget, StepKind, WorkflowFailureCode } from "../../shared/events.js";
import type { WorkflowRunStatus } from "../../shared/workflow.js";
import { formatDateTime } from "./format.js";

const plural = (count: number, one: string, many = `${one}s`): string => `${count} ${count === 1 ? one : many}`;

/** "at most 9 model calls", "5–9 model calls", "3 model calls", "no model calls". */
export function describeModelCalls(budget: Budget): string {
  const { min, max } = budget.modelCalls;
  if (budget.unboundedSteps.length > 0) return `at least ${plural(min, "model call")}, no upper bound`;
  if (max === 0) return "no model calls";
  if (min === max) return plural(max, "model call");
  if (min === 0) return `at most ${plural(max, "model call")}`;
  return `${min}–${max} model calls`;
}

/** The whole bound on one line: "5–9 model calls · 1 approval". */
export function describeBudget(budget: Budget): string {
  const parts = [describeModelCalls(budget)];
  if (budget.approvals > 0) parts.push(plural(budget.approvals, "approval"));
  if (budget.agentRuns > 0) parts.push(`up to ${plural(budget.agentRuns, "agent run")}`);
  return parts.join(" · ");
}

/** What the meter says: "4 of at most 9 model calls". */
export function describeMeter(used: number, budget: Budget | undefined): string {
  if (budget === undefined || budget.unboundedSteps.length > 0) return `${plural(used, "model call")} used`;
  return `${used} of at most ${plural(budget.modelCalls.max, "model call")}`;
}

export const RUN_STATUS_LABEL: Readonly<Record<WorkflowRunStatus, string>> = {
  running: "running",
  waiting: "waiting for approval",
  completed: "completed",
  failed: "failed",
  cancelled: "cancelled",
};

/** A run that is still going can be cancelled. */
export const isActive = (status: WorkflowRunStatus): boolean => status === "running" || status === "waiting";

export function describeWorkflowFailure(code: WorkflowFailureCode): string {
  switch (code) {
    case "step_failed":
      return "A step failed.";
    case "invalid_output":
      return "A step's output did not have the shape the workflow expects.";
    case "definition_changed":
      return "The workflow's definition changed while the run was waiting, so it could not go on.";
    case "unknown_branch":
      return "The classifier picked a branch the workflow does not have.";
    case "too_many_subtasks":
      return "The planner asked for more subtasks than the workflow allows.";
    case "cancelled":
      return "The run was cancelled.";
    case "internal":
      return "Something went wrong inside Switchboard.";
  }
}

const KIND_LABEL: Readonly<Record<StepKind | "start" | "end", string>> = {
  llm: "model call",
  agent: "agent",
  tool: "tool",
  code: "code",
  approval: "approval",
  workflow: "sub-workflow",
  chain: "chain",
  gate: "gate",
  route: "route",
  parallel: "parallel",
  vote: "vote",
  orchestrate: "orchestrate",
  loop: "loop",
  start: "start",
  end: "end",
};

export const kindLabel = (kind: string): string => (kind in KIND_LABEL ? KIND_LABEL[kind as StepKind] : kind);

/** "in 2 days", "in 3 h", "in 12 min", "in under a minute"; "now" once it is past. */
export function formatUntil(iso: string, now: number): string {
  const time = new Date(iso).getTime();
  if (Number.isNaN(time)) return "";
  const seconds = Math.round((time - now) / 1000);
  if (seconds <= 0) return "now";
  if (seconds < 60) return "in under a minute";
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `in ${minutes} min`;
  const hours = Math.round(minutes / 60);
  if (hours < 36) return `in ${hours} h`;
  return `in ${plural(Math.round(hours / 24), "day")}`;
}

/** "Rejects automatically in 2 days" for an approval with a timeout. */
export function describeTimeout(timeoutAt: string, onTimeout: "approve" | "reject", now: number): string {
  const when = formatUntil(timeoutAt, now);
  const verb = onTimeout === "approve" ? "Approves" : "Rejects";
  return when === "now" ? `Timed out: ${onTimeout === "approve" ? "approving" : "rejecting"} automatically` : `${verb} automatically ${when}`;
}

/**
 * The server's words for a decision that came second, as a person reads them: "Already approved by
 * alice at 1 Dec 2026, 22:33." (times in the reader's own format, not ISO).
 */
export function alreadyDecided(message: string): string {
  const trimmed = message.trim().replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})/g, (iso) => formatDateTime(iso));
  if (trimmed === "") return "Someone else decided first.";
  return /^already\b/i.test(trimmed) ? `${trimmed[0]?.toUpperCase()}${trimmed.slice(1)}` : trimmed;
}
