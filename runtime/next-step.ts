import type { ChildJob } from "../platform/queues.js";
import type { ApprovalRequest as StoredRequest } from "../platform/approvals.js";
import type { ApprovalDecision } from "../shared/events.js";
import type { TurnJob } from "../shared/jobs.js";

/** What a run asks of a person: the approval request but the parked job, which the host fills in. */
export type ApprovalRequest = Omit<StoredRequest, "job">;

export interface Decision {
  decision: ApprovalDecision;
  /** The user who decided, or "timeout". */
  by: string;
  comment?: string;
}

/**
 * What an agent loop or a workflow runner returns to its host after advancing as far as it can.
 * The loop decides; the host does the queue work. Each is safe to return again after a crash:
 * the host's actions are idempotent (deterministic job ids, approvals created once by id).
 */
export type NextStep<R> =
  /** The run is over: the job returns `result`, after adding the jobs it hands work to. */
  | { kind: "finish"; result: R; handOff?: TurnJob[] }
  /** Add these children (again, if need be) and come back when every one of them has finished. */
  | { kind: "wait-children"; children: ChildJob[] }
  /** Ask a person, park without a worker, and come back once someone decided or the timeout is due. */
  | { kind: "wait-approval"; approval: ApprovalRequest; /** The agent whose run asks, for the event. */ agent?: string };

/** A finished child: its job's return value, or why its job failed for good. */
export type ChildOutcome = { ok: true; value: unknown } | { ok: false; reason: string };

/** What a run reads from its host while it advances. */
export interface RunPorts {
  /** This job's finished children, by child job id; a child not in it has not finished yet. */
  childResults(): Promise<Map<string, ChildOutcome>>;
  /** The decision on an approval; a due timeout applies its default. Undefined while it waits. */
  decision(approvalId: string): Promise<Decision | undefined>;
  /** Attempts BullMQ will still make after this one: at 0, an unexpected error ends the run. */
  attemptsLeft: number;
}

/** An agent loop or a workflow runner, as a host drives it: one job at a time. */
export interface Runnable<R> {
  advance(data: unknown, ports: RunPorts): Promise<NextStep<R>>;
}
