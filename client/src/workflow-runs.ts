/**
 * Workflow runs as the conversation shows them, derived from its events by a pure reducer: one
 * entry per run (keyed by the events' `runId`) from `workflow.started` to `workflow.completed` or
 * `workflow.failed`, with each step's progress, the finished steps with their output and usage,
 * the model calls used so far, and the approvals it asked for. Then, given the workflow's graph,
 * the state of every box of the drawing.
 */
import type { Budget, Event, EventOf, StepKind, Usage, WorkflowFailureCode } from "../../shared/events.js";
import type { WorkflowGraph, WorkflowRunStatus } from "../../shared/workflow.js";

export type StepStatus = "started" | "completed" | "failed" | "skipped";

/** One step's progress; a step that runs several times (loop rounds, fan-out workers) counts each. */
export interface StepProgress {
  path: string;
  kind: StepKind;
  started: number;
  ended: number;
  last: StepStatus;
  /** Highest loop round seen. */
  round: number | undefined;
}

/** A finished step (one round of it), with what it produced. */
export interface StepRecord {
  eventId: string;
  path: string;
  kind: StepKind;
  round: number | undefined;
  status: Exclude<StepStatus, "started">;
  output: unknown;
  hasOutput: boolean;
  error: string | undefined;
  usage: Usage | undefined;
  modelCalls: number;
  latencyMs: number | undefined;
  costUsd: number | undefined;
  /** The model an llm step called (absent for other kinds, and in events logged before steps named it). */
  model: string | undefined;
}

export interface ApprovalState {
  approvalId: string;
  path: string | undefined;
  title: string;
  status: "pending" | "approved" | "rejected";
  by: string | undefined;
  comment: string | undefined;
}

export interface WorkflowRun {
  runId: string;
  workflow: string;
  /** Undefined when the log no longer holds the run's start. */
  version: string | undefined;
  input: unknown;
  budget: Budget | undefined;
  parentRunId: string | undefined;
  status: WorkflowRunStatus;
  /** Id of the first event of the run: its place in the chat. */
  firstEventId: string;
  startedAt: string | undefined;
  endedAt: string | undefined;
  steps: ReadonlyMap<string, StepProgress>;
  records: readonly StepRecord[];
  /** Model calls so far: the finished steps' until the run ends, then the run's own total. */
  modelCalls: number;
  usage: Usage | undefined;
  costUsd: number | undefined;
  latencyMs: number | undefined;
  output: unknown;
  hasOutput: boolean;
  stopped: { path: string; reason: string } | undefined;
  failure: { code: WorkflowFailureCode; reason: string; path: string | undefined } | undefined;
  approvals: ReadonlyMap<string, ApprovalState>;
}

export interface WorkflowRuns {
  byId: ReadonlyMap<string, WorkflowRun>;
  /** Run ids in the order the runs first appeared. */
  order: readonly string[];
  /** Approval id → the run that asked. */
  approvalRuns: ReadonlyMap<string, string>;
}

export const NO_WORKFLOW_RUNS: WorkflowRuns = { byId: new Map(), order: [], approvalRuns: new Map() };

/** Steps that hold other steps: their model calls are their children's, never counted twice. */
const PATTERN_KINDS: ReadonlySet<string> = new Set(["chain", "route", "parallel", "vote", "orchestrate", "loop"]);
export const isPatternKind = (kind: string): boolean => PATTERN_KINDS.has(kind);

const WORKFLOW_EVENTS = new Set(["workflow.started", "workflow.step", "workflow.completed", "workflow.failed"]);

function newRun(runId: string, workflow: string, event: Event): WorkflowRun {
  return {
    runId,
    workflow,
    version: undefined,
    input: undefined,
    budget: undefined,
    parentRunId: undefined,
    status: "running",
    firstEventId: event.id,
    startedAt: undefined,
    endedAt: undefined,
    steps: new Map(),
    records: [],
    modelCalls: 0,
    usage: undefined,
    costUsd: undefined,
    latencyMs: undefined,
    output: undefined,
    hasOutput: false,
    stopped: undefined,
    failure: undefined,
    approvals: new Map(),
  };
}

/** Waiting while an approval it asked for is pending; otherwise running until it ends. */
function liveStatus(run: WorkflowRun): WorkflowRunStatus {
  if (run.status === "completed" || run.status === "failed" || run.status === "cancelled") return run.status;
  return [...run.approvals.values()].some((approval) => approval.status === "pending") ? "waiting" : "running";
}

function applyStep(run: WorkflowRun, event: EventOf<"workflow.step">): WorkflowRun {
  const { path, kind, status, round } = event.data;
  const steps = new Map(run.steps);
  const previous = steps.get(path);
  steps.set(path, {
    path,
    kind,
    started: (previous?.started ?? 0) + (status === "started" ? 1 : 0),
    ended: (previous?.ended ?? 0) + (status === "started" ? 0 : 1),
    last: status,
    round: round === undefined ? previous?.round : Math.max(round, previous?.round ?? 0),
  });
  if (status === "started") return { ...run, steps };
  const modelCalls = event.data.modelCalls ?? 0;
  const record: StepRecord = {
    eventId: event.id,
    path,
    kind,
    round,
    status,
    output: event.data.output,
    hasOutput: "output" in event.data && event.data.output !== undefined,
    error: event.data.error,
    usage: event.data.usage,
    modelCalls,
    latencyMs: event.data.latencyMs,
    costUsd: event.data.costUsd,
    model: event.data.model,
  };
  const ended = run.status === "completed" || run.status === "failed" || run.status === "cancelled";
  return {
    ...run,
    steps,
    records: [...run.records, record],
    modelCalls: ended || isPatternKind(kind) ? run.modelCalls : run.modelCalls + modelCalls,
  };
}

/** Adds one event to the runs; events that are not a workflow's or an approval's leave them as they are. */
export function workflowRunsReducer(state: WorkflowRuns, event: Event): WorkflowRuns {
  if (event.type === "approval.requested" || event.type === "approval.resolved") return applyApproval(state, event);
  if (!WORKFLOW_EVENTS.has(event.type) || event.runId === undefined) return state;
  const runId = event.runId;
  const workflow = (event.data as { workflow: string }).workflow;
  const existing = state.byId.get(runId);
  let run = existing ?? newRun(runId, workflow, event);

  switch (event.type) {
    case "workflow.started":
      run = {
        ...run,
        workflow: event.data.workflow,
        version: event.data.version,
        input: event.data.input,
        budget: event.data.budget,
        parentRunId: event.data.parentRunId,
        startedAt: event.at,
      };
      break;
    case "workflow.step":
      run = applyStep(run, event);
      break;
    case "workflow.completed":
      run = {
        ...run,
        status: "completed",
        endedAt: event.at,
        output: event.data.output,
        hasOutput: true,
        stopped: event.data.stopped,
        ...totalsOf(run, event),
      };
      break;
    case "workflow.failed":
      run = {
        ...run,
        status: event.data.code === "cancelled" ? "cancelled" : "failed",
        endedAt: event.at,
        failure: { code: event.data.code, reason: event.data.reason, path: event.data.path },
        ...totalsOf(run, event),
      };
      break;
    default:
      return state;
  }
  run = { ...run, status: liveStatus(run) };
  const byId = new Map(state.byId);
  byId.set(runId, run);
  return { ...state, byId, order: existing === undefined ? [...state.order, runId] : state.order };
}

/**
 * The model of each finished step that called one, for `formatCost`: the run reads "free (offline
 * model)" only when every such step names the offline model. A step that called models without
 * naming one (an agent step) counts as unknown. Pattern steps only add up their children's calls.
 */
export function workflowRunModels(run: WorkflowRun): (string | undefined)[] {
  return run.records.filter((record) => record.modelCalls > 0 && !isPatternKind(record.kind)).map((record) => record.model);
}

/** What an ended run reports, the same whether it completed or failed. */
function totalsOf(run: WorkflowRun, event: EventOf<"workflow.completed"> | EventOf<"workflow.failed">) {
  const { modelCalls, budget, usage, costUsd, latencyMs } = event.data;
  return { modelCalls, budget: run.budget ?? budget, usage, costUsd, latencyMs };
}

function applyApproval(state: WorkflowRuns, event: EventOf<"approval.requested"> | EventOf<"approval.resolved">): WorkflowRuns {
  const { approvalId } = event.data;
  const runId = event.type === "approval.requested" ? event.runId : (state.approvalRuns.get(approvalId) ?? event.runId);
  if (runId === undefined) return state;
  const run = state.byId.get(runId);
  const approvalRuns = new Map(state.approvalRuns);
  approvalRuns.set(approvalId, runId);
  // An agent's tool approval (no workflow run with this id) is only indexed.
  if (run === undefined) return { ...state, approvalRuns };
  const approvals = new Map(run.approvals);
  const previous = approvals.get(approvalId);
  if (event.type === "approval.requested") {
    approvals.set(approvalId, {
      approvalId,
      path: event.data.path,
      title: event.data.title,
      status: previous?.status ?? "pending",
      by: previous?.by,
      comment: previous?.comment,
    });
  } else {
    approvals.set(approvalId, {
      approvalId,
      path: previous?.path,
      title: previous?.title ?? "",
      status: event.data.decision === "approve" ? "approved" : "rejected",
      by: event.data.by,
      comment: event.data.comment,
    });
  }
  const next = { ...run, approvals };
  const byId = new Map(state.byId);
  byId.set(runId, { ...next, status: liveStatus(next) });
  return { ...state, byId, approvalRuns };
}

export function deriveWorkflowRuns(events: readonly Event[]): WorkflowRuns {
  let state = NO_WORKFLOW_RUNS;
  for (const event of events) state = workflowRunsReducer(state, event);
  return state;
}

// ---------------------------------------------------------------------------------------------
// The drawing's boxes.

export type NodeState = "pending" | "running" | "waiting" | "completed" | "failed" | "skipped";

export interface NodeView {
  state: NodeState;
  /** The loop round it is on (or ended on), for loops and the steps inside them. */
  round: number | undefined;
  /** A loop's maximum rounds, read from its detail ("≤ 3 rounds"). */
  maxRounds: number | undefined;
  /** How many times it finished (several for fan-out workers and loop rounds). */
  runs: number;
}

/** The graph node a step's path is drawn as: the same id, or the nearest enclosing one ("a/b/c" → "a/b"). */
export function nodeForPath(path: string, ids: ReadonlySet<string>): string | undefined {
  let candidate = path;
  for (;;) {
    if (ids.has(candidate)) return candidate;
    const cut = candidate.lastIndexOf("/");
    if (cut <= 0) return undefined;
    candidate = candidate.slice(0, cut);
  }
}

const RANK: Readonly<Record<NodeState, number>> = { pending: 0, skipped: 1, completed: 2, failed: 3, running: 4, waiting: 5 };

function stepState(progress: StepProgress): NodeState {
  if (progress.started > progress.ended) return "running";
  switch (progress.last) {
    case "started":
      return "running";
    case "completed":
      return "completed";
    case "failed":
      return "failed";
    case "skipped":
      return "skipped";
  }
}

/**
 * Every node's state in `run`. A step's own events decide it; a pattern without events of its own
 * takes the most telling state of what it holds. An approval step waits while its approval is
 * pending. Once the run has completed, a node it never reached was skipped (a route's other branches).
 */
export function nodeStates(run: WorkflowRun, graph: WorkflowGraph): Map<string, NodeView> {
  const ids = new Set(graph.nodes.map((node) => node.id));
  const parent = new Map(graph.nodes.filter((node) => node.parent !== undefined).map((node) => [node.id, node.parent as string]));
  const own = new Map<string, { state: NodeState; round: number | undefined; runs: number }>();

  for (const progress of run.steps.values()) {
    const id = nodeForPath(progress.path, ids);
    if (id === undefined) continue;
    const state = stepState(progress);
    const previous = own.get(id);
    // Several paths drawn as one node (fan-out workers): the busiest state shows.
    if (previous === undefined || RANK[state] > RANK[previous.state]) {
      own.set(id, { state, round: progress.round ?? previous?.round, runs: (previous?.runs ?? 0) + progress.ended });
    } else {
      own.set(id, { ...previous, round: Math.max(previous.round ?? 0, progress.round ?? 0) || undefined, runs: previous.runs + progress.ended });
    }
  }
  for (const approval of run.approvals.values()) {
    if (approval.status !== "pending" || approval.path === undefined || run.status !== "waiting") continue;
    const id = nodeForPath(approval.path, ids);
    if (id !== undefined) own.set(id, { state: "waiting", round: own.get(id)?.round, runs: own.get(id)?.runs ?? 0 });
  }

  // Patterns: their own events, else the most telling state among their descendants; rounds rise.
  const ancestors = (id: string): string[] => {
    const result: string[] = [];
    const seen = new Set([id]);
    let current = parent.get(id);
    while (current !== undefined && !seen.has(current)) {
      result.push(current);
      seen.add(current);
      current = parent.get(current);
    }
    return result;
  };
  const derived = new Map<string, { state: NodeState; round: number | undefined }>();
  for (const [id, view] of own) {
    for (const ancestor of ancestors(id)) {
      const previous = derived.get(ancestor);
      const state = previous === undefined || RANK[view.state] > RANK[previous.state] ? view.state : previous.state;
      const round = Math.max(previous?.round ?? 0, view.round ?? 0) || undefined;
      derived.set(ancestor, { state, round });
    }
  }

  const ended = run.status !== "running" && run.status !== "waiting";
  const result = new Map<string, NodeView>();
  for (const node of graph.nodes) {
    const mine = own.get(node.id);
    const inner = derived.get(node.id);
    let state: NodeState = mine?.state ?? inner?.state ?? "pending";
    if (node.kind === "start") state = "completed";
    if (node.kind === "end") state = run.status === "completed" ? "completed" : run.status === "failed" || run.status === "cancelled" ? "failed" : "pending";
    if (state === "pending" && run.status === "completed") state = "skipped";
    // The run is over: nothing is still going (a pattern that logged only its start, a step cut off by a cancel).
    if (ended && (state === "running" || state === "waiting")) state = run.status === "completed" ? "completed" : "failed";
    const round = Math.max(mine?.round ?? 0, inner?.round ?? 0) || undefined;
    const max = node.kind === "loop" ? /(\d+)/.exec(node.detail ?? "")?.[1] : undefined;
    result.set(node.id, { state, round, maxRounds: max === undefined ? undefined : Number(max), runs: mine?.runs ?? 0 });
  }
  return result;
}

/** "round 2 of ≤3", or "round 2" when the maximum is not known. */
export function describeRound(view: NodeView): string | undefined {
  if (view.round === undefined) return undefined;
  return view.maxRounds === undefined ? `round ${view.round}` : `round ${view.round} of ≤${view.maxRounds}`;
}
