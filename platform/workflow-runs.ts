import { z } from "zod";
import type { NewEvent, Usage } from "../shared/events.js";
import { WORKFLOWS_QUEUE } from "../shared/jobs.js";
import type { Keys } from "../shared/keys.js";
import { StepView, WorkflowRunView, type WorkflowRunLine } from "../shared/workflow.js";
import type { ConversationLog } from "./conversation-log.js";
import type { Queues } from "./queues.js";
import type { RedisClient } from "./redis.js";
import type { WorkflowRegistry } from "./workflow-registry.js";

const STATE_VERSION = 1;

/** A run's own record: everything of its view but the steps and the totals, which the journal gives. */
export const WorkflowRunState = WorkflowRunView.omit({ steps: true, modelCalls: true, usage: true, costUsd: true }).extend({
  v: z.literal(STATE_VERSION),
  /** The agent run that started this workflow as a tool. */
  parentRunId: z.string().optional(),
  /** When the runner began the run (logged `workflow.started`); absent while it is only enqueued. */
  begunAt: z.string().optional(),
});
export type WorkflowRunState = z.infer<typeof WorkflowRunState>;

/** One step of the journal, per step path and round: started, then finished once and for all. */
export const JournalEntry = StepView.extend({
  /** The rounds it ran in (enclosing loops, a fan-out's copy). */
  rounds: z.array(z.number().int().positive()),
  /** A gate that failed or a rejected approval: the workflow stops here, for this reason. */
  stopped: z.string().optional(),
});
export type JournalEntry = z.infer<typeof JournalEntry>;

/** A run as stored: its state (absent before the runner begins it), journal and cancel request. */
export interface StoredRun {
  state?: WorkflowRunState;
  journal: Map<string, JournalEntry>;
  /** Who asked to cancel the run, if someone did. */
  cancelledBy?: string;
}

const STATE = "state";
const CANCEL = "cancel";
const JOURNAL = "j:";
/** Finished runs are kept a week for inspection, then expire with their journal. */
const FINISHED_TTL_SECONDS = 7 * 24 * 3600;

/**
 * Workflow runs in Redis: one hash per run, under its conversation's hash tag, holding the run's
 * state and its journal (one field per finished step and round, written in the same atomic step
 * as the event that reports it). An index finds a run's conversation by the run's id.
 */
export class WorkflowRuns {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly conversationLog: ConversationLog,
    private readonly queues: Queues,
    private readonly registry: WorkflowRegistry,
  ) {}

  /** Records a new run (so it can be looked up at once, as running) and enqueues it. */
  async start(input: { runId: string; workflow: string; conversationId: string; owner: string; input: unknown }): Promise<void> {
    const summary = await this.registry.get(input.workflow);
    if (!summary) throw new Error(`no workflow named "${input.workflow}" in the registry`);
    const state: WorkflowRunState = {
      v: STATE_VERSION,
      runId: input.runId,
      workflow: input.workflow,
      version: summary.version,
      conversationId: input.conversationId,
      owner: input.owner,
      status: "running",
      startedAt: new Date().toISOString(),
      input: input.input,
      budget: summary.budget,
    };
    await this.redis.hsetnx(this.keys.workflowRun(input.conversationId, input.runId), STATE, JSON.stringify(state));
    await this.index(input.runId, input.conversationId, input.owner);
    await this.queues.enqueueWorkflow({ v: 1, kind: "run", ...input });
  }

  /** Makes the run findable by its id and listed for its owner; idempotent. */
  async index(runId: string, conversationId: string, owner: string): Promise<void> {
    await this.redis.hset(this.keys.workflowRunIndex(), runId, conversationId);
    await this.redis.zadd(this.keys.ownerWorkflowRuns(owner), "NX", Date.now(), runId);
  }

  async load(conversationId: string, runId: string): Promise<StoredRun> {
    const fields = await this.redis.hgetall(this.keys.workflowRun(conversationId, runId));
    const journal = new Map<string, JournalEntry>();
    let state: WorkflowRunState | undefined;
    for (const [field, raw] of Object.entries(fields)) {
      if (field === STATE) state = WorkflowRunState.parse(JSON.parse(raw));
      else if (field.startsWith(JOURNAL)) journal.set(field.slice(JOURNAL.length), JournalEntry.parse(JSON.parse(raw)));
    }
    return { ...(state ? { state } : {}), journal, ...(fields[CANCEL] ? { cancelledBy: fields[CANCEL] } : {}) };
  }

  /** Writes the run's state, and logs `event` with it atomically when given. */
  async saveState(state: WorkflowRunState, event?: { event: NewEvent; key: string }): Promise<void> {
    const hash = this.keys.workflowRun(state.conversationId, state.runId);
    const fields = { [STATE]: JSON.stringify(state) };
    if (event) await this.conversationLog.appendRecording(state.conversationId, event.event, event.key, { hash, fields });
    else await this.redis.hset(hash, fields);
    if (state.status === "completed" || state.status === "failed" || state.status === "cancelled") {
      await this.redis.expire(hash, FINISHED_TTL_SECONDS);
    }
  }

  /**
   * Writes one journal entry and logs the event that reports it, atomically. Returns who asked to
   * cancel the run, if someone did: the runner checks it at every step at no extra round trip.
   */
  async record(conversationId: string, runId: string, key: string, entry: JournalEntry, event: { event: NewEvent; key: string }): Promise<string | undefined> {
    const hash = this.keys.workflowRun(conversationId, runId);
    return this.conversationLog.appendRecording(conversationId, event.event, event.key, { hash, fields: { [`${JOURNAL}${key}`]: JSON.stringify(entry) }, read: CANCEL });
  }

  async view(runId: string): Promise<WorkflowRunView | undefined> {
    const conversationId = await this.redis.hget(this.keys.workflowRunIndex(), runId);
    if (!conversationId) return undefined;
    const run = await this.load(conversationId, runId);
    return run.state ? viewOf(run.state, run.journal) : undefined;
  }

  /** The owner's runs, newest first; a run enqueued but not yet begun shows as running. */
  async list(owner: string, options: { workflow?: string; limit?: number } = {}): Promise<WorkflowRunLine[]> {
    const ids = await this.redis.zrevrange(this.keys.ownerWorkflowRuns(owner), 0, (options.limit ?? 100) - 1);
    const views = await Promise.all(ids.map((id) => this.view(id)));
    return views.flatMap((view) =>
      view && (!options.workflow || view.workflow === options.workflow)
        ? [{ runId: view.runId, workflow: view.workflow, conversationId: view.conversationId, status: view.status, startedAt: view.startedAt, ...(view.finishedAt ? { finishedAt: view.finishedAt } : {}), modelCalls: view.modelCalls, budget: view.budget }]
        : [],
    );
  }

  /**
   * Asks a running or waiting run to stop: it ends before its next step starts, or at once if it
   * waits for a person (its parked job is woken to see the request). Steps already running (a
   * fan-out's branches) finish first.
   */
  async cancel(runId: string, by: string): Promise<"cancelled" | "finished" | "not_found"> {
    const conversationId = await this.redis.hget(this.keys.workflowRunIndex(), runId);
    if (!conversationId) return "not_found";
    const run = await this.load(conversationId, runId);
    const status = run.state?.status ?? "running";
    if (status !== "running" && status !== "waiting") return "finished";
    await this.redis.hset(this.keys.workflowRun(conversationId, runId), CANCEL, by);
    await this.queues.wake({ conversationId }, WORKFLOWS_QUEUE, runId);
    return "cancelled";
  }
}

/** Totals over the journal: every step's own model calls, once (fan-out copies are steps of their own). */
export function totalsOf(journal: Iterable<JournalEntry>): { modelCalls: number; usage: Usage; costUsd: number } {
  let modelCalls = 0;
  let costUsd = 0;
  const usage = { promptTokens: 0, completionTokens: 0, totalTokens: 0 };
  for (const entry of journal) {
    modelCalls += entry.modelCalls;
    costUsd += entry.costUsd;
    if (entry.usage) {
      usage.promptTokens += entry.usage.promptTokens;
      usage.completionTokens += entry.usage.completionTokens;
      usage.totalTokens += entry.usage.totalTokens;
    }
  }
  return { modelCalls, usage, costUsd };
}

export function viewOf(state: WorkflowRunState, journal: Map<string, JournalEntry>): WorkflowRunView {
  const { v: _version, parentRunId: _parent, begunAt: _begun, ...fields } = state;
  const entries = [...journal.values()].sort((a, b) => (a.startedAt ?? "").localeCompare(b.startedAt ?? ""));
  return {
    ...fields,
    ...totalsOf(entries),
    steps: entries.map(({ rounds: _rounds, stopped: _stopped, ...step }) => step),
  };
}
