/**
 * Runs as the timeline and the graph see them, derived from the ordered event list: one entry per
 * run from `run.started` to `run.completed`/`run.failed`, child runs under their parents.
 */
import type { Event, EventOf, RunFailureCode, StepRecord, Usage } from "../../shared/events.js";

/** `cancelled`: a person stopped the turn the run belonged to (`run.cancelled`). */
export type RunStatus = "running" | "completed" | "failed" | "cancelled";
/** `workflow`: an agent step of a workflow run. */
export type RunMode = "turn" | "transfer" | "delegate" | "workflow";

export interface RunSummary {
  runId: string;
  agent: string;
  /** Undefined when the log no longer holds the run's start (retention trimmed it). */
  mode: RunMode | undefined;
  model: string | undefined;
  task: string | undefined;
  depth: number | undefined;
  parentRunId: string | undefined;
  status: RunStatus;
  outcome: "answered" | "transferred" | undefined;
  failure: { code: RunFailureCode; reason: string } | undefined;
  /** Who stopped the run, when it was cancelled. */
  stoppedBy: string | undefined;
  steps: readonly StepRecord[];
  usage: Usage | undefined;
  latencyMs: number | undefined;
  costUsd: number | undefined;
  startedAt: string | undefined;
  endedAt: string | undefined;
  /** Set while the run waits on a slow model (a `run.slow` with nothing from the run since). */
  slow: string | undefined;
  /** Id of the first event seen for the run: its place in the timeline. */
  firstEventId: string;
  /**
   * Where the run is in the chat: its first event the chat shows (a message, a handoff, a tool
   * call, …), else the last message before it started. Undefined when the chat has neither.
   */
  chatEventId: string | undefined;
  children: RunSummary[];
}

export interface RunTotals {
  runs: number;
  running: number;
  failed: number;
  tokens: number;
  costUsd: number;
}

export interface DerivedRuns {
  /** Top-level runs in order; children hang under `children`. */
  roots: readonly RunSummary[];
  byId: ReadonlyMap<string, RunSummary>;
  totals: RunTotals;
  /** Agents with a run that started and has not ended. */
  workingAgents: ReadonlySet<string>;
}

/** Events of a run that the chat draws as an item of their own, keyed by the event's id (chat-items.ts). */
const CHAT_TYPES: ReadonlySet<Event["type"]> = new Set([
  "message.agent",
  "handoff",
  "handoff.return",
  "tool.call",
  "run.failed",
  "run.retrying",
  "approval.requested",
]);

/** What every end of a run reports: its steps, usage, latency, cost and when. */
function ended(run: RunSummary, event: EventOf<"run.completed"> | EventOf<"run.failed"> | EventOf<"run.cancelled">): RunSummary {
  run.steps = event.data.steps;
  run.usage = event.data.usage;
  run.latencyMs = event.data.latencyMs;
  run.costUsd = event.data.costUsd;
  run.endedAt = event.at;
  return run;
}

export function deriveRuns(events: readonly Event[]): DerivedRuns {
  const byId = new Map<string, RunSummary>();
  const order: RunSummary[] = [];
  /** childRunId → the run that handed off to it, from handoff events (covers a missing run.started). */
  const handedOffBy = new Map<string, string>();
  /** The chat's latest message so far: where a run that has shown nothing yet sits in the chat. */
  let lastMessageId: string | undefined;
  /** Runs whose `chatEventId` is already one of their own events. */
  const placed = new Set<string>();

  const runFor = (event: Event, runId: string): RunSummary => {
    let run = byId.get(runId);
    if (run === undefined) {
      run = {
        runId,
        agent: event.agent ?? "unknown",
        mode: undefined,
        model: undefined,
        task: undefined,
        depth: undefined,
        parentRunId: undefined,
        status: "running",
        outcome: undefined,
        failure: undefined,
        stoppedBy: undefined,
        steps: [],
        usage: undefined,
        latencyMs: undefined,
        costUsd: undefined,
        startedAt: undefined,
        endedAt: undefined,
        slow: undefined,
        firstEventId: event.id,
        chatEventId: lastMessageId,
        children: [],
      };
      byId.set(runId, run);
      order.push(run);
    }
    return run;
  };

  for (const event of events) {
    if (event.type === "handoff" && event.runId !== undefined) handedOffBy.set(event.data.childRunId, event.runId);
    if (event.runId !== undefined && CHAT_TYPES.has(event.type) && !placed.has(event.runId)) {
      placed.add(event.runId);
      runFor(event, event.runId).chatEventId = event.id;
    }
    if (event.type === "message.user" || event.type === "message.agent") lastMessageId = event.id;
    if (event.runId === undefined) continue;
    // Anything else the run logs means the model answered (or the run moved on).
    const known = byId.get(event.runId);
    if (known !== undefined) known.slow = event.type === "run.slow" ? event.data.message : undefined;
    switch (event.type) {
      case "run.slow":
        runFor(event, event.runId).slow = event.data.message;
        break;
      case "run.started": {
        const run = runFor(event, event.runId);
        run.agent = event.agent ?? run.agent;
        run.mode = event.data.mode;
        run.model = event.data.model;
        run.task = event.data.task;
        run.depth = event.data.depth;
        run.parentRunId = event.data.parentRunId;
        run.startedAt = event.at;
        break;
      }
      case "run.completed": {
        const run = ended(runFor(event, event.runId), event);
        run.status = "completed";
        run.outcome = event.data.outcome;
        break;
      }
      case "run.failed": {
        const run = ended(runFor(event, event.runId), event);
        run.status = "failed";
        run.failure = { code: event.data.code, reason: event.data.reason };
        break;
      }
      case "run.cancelled": {
        const run = ended(runFor(event, event.runId), event);
        run.status = "cancelled";
        run.stoppedBy = event.data.by;
        break;
      }
      default:
        break;
    }
  }

  const roots: RunSummary[] = [];
  const isAncestor = (candidate: RunSummary, of: RunSummary): boolean => {
    // Walks up from `candidate`; a malformed log with a cycle must not hide runs or loop forever.
    const visited = new Set<string>();
    let current: RunSummary | undefined = candidate;
    while (current !== undefined && !visited.has(current.runId)) {
      if (current.runId === of.runId) return true;
      visited.add(current.runId);
      const parentId: string | undefined = current.parentRunId ?? handedOffBy.get(current.runId);
      current = parentId === undefined ? undefined : byId.get(parentId);
    }
    return false;
  };
  for (const run of order) {
    const parentId = run.parentRunId ?? handedOffBy.get(run.runId);
    const parent = parentId === undefined ? undefined : byId.get(parentId);
    if (parent !== undefined && parent !== run && !isAncestor(parent, run)) parent.children.push(run);
    else roots.push(run);
  }

  const totals: RunTotals = { runs: order.length, running: 0, failed: 0, tokens: 0, costUsd: 0 };
  const workingAgents = new Set<string>();
  for (const run of order) {
    if (run.status === "running") {
      totals.running++;
      workingAgents.add(run.agent);
    }
    if (run.status === "failed") totals.failed++;
    totals.tokens += run.usage?.totalTokens ?? 0;
    totals.costUsd += run.costUsd ?? 0;
  }

  return { roots, byId, totals, workingAgents };
}

/** What a failure code means, in words a person can act on; the event's reason adds the detail. */
export function describeFailure(code: RunFailureCode): string {
  switch (code) {
    case "step_limit":
      return "It reached its step limit before finishing.";
    case "token_budget":
      return "It ran out of its token budget.";
    case "model_error":
      return "The language model could not be reached or kept failing.";
    case "agent_unavailable":
      return "The agent it needed is not available.";
    case "remote_agent":
      return "The remote agent it works through could not be reached, failed, or took too long.";
    case "internal":
      return "Something went wrong inside Switchboard.";
  }
}

/** Runs that are working and are not just waiting for a child: who is actually busy right now. */
export function busyLeafRuns(derived: DerivedRuns): RunSummary[] {
  const busy: RunSummary[] = [];
  for (const run of derived.byId.values()) {
    if (run.status !== "running") continue;
    if (run.children.some((child) => child.status === "running")) continue;
    busy.push(run);
  }
  return busy;
}

/** The model each run of the conversation ran on (undefined where the log no longer holds its start). */
export function runModels(runs: DerivedRuns): (string | undefined)[] {
  return [...runs.byId.values()].map((run) => run.model);
}
