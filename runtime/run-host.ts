import { DelayedError, WaitingChildrenError, type Job } from "bullmq";
import type { Approvals } from "../platform/approvals.js";
import type { Queues } from "../platform/queues.js";
import { withSpan } from "../platform/tracing.js";
import type { ChildOutcome, Decision, NextStep, RunPorts, Runnable } from "./next-step.js";

/** A wait with no timeout is re-armed this often; BullMQ's delayed scores cannot reach far ahead. */
const LONGEST_PARK_MS = 30 * 24 * 3600 * 1000;

/**
 * The BullMQ side of a run, shared by agent runs and workflow runs: it asks the run what happens
 * next and does it. Children are flow children with deterministic ids, so the parent holds no
 * worker while they work; a run waiting for a person is parked in the delayed set until the
 * decision wakes it or its timeout is due. Either way BullMQ runs the job again from the top and
 * the run resumes from its checkpoint.
 */
export class RunHost<R> {
  constructor(
    private readonly runnable: Runnable<R>,
    private readonly queues: Queues,
    private readonly approvals: Approvals,
    private readonly ownerOf: (conversationId: string) => Promise<string | undefined>,
  ) {}

  /**
   * One attempt at the job, in a span of its own (`run <agent>` or `workflow <name>`, with the run
   * and conversation ids): the model calls and tool calls of the attempt are its children. A run
   * that waits for children or a person ends its span with `switchboard.run.next` saying so, and
   * its next attempt gets a new span.
   */
  async process(job: Job, token: string | undefined): Promise<R> {
    const data = (job.data ?? {}) as { agent?: unknown; workflow?: unknown; runId?: unknown; conversationId?: unknown; mode?: unknown; kind?: unknown };
    const agent = typeof data.agent === "string" ? data.agent : undefined;
    const workflow = typeof data.workflow === "string" ? data.workflow : undefined;
    const attributes = {
      "switchboard.queue": job.queueName,
      "switchboard.job.id": job.id ?? "",
      "switchboard.job.attempt": job.attemptsMade + 1,
      ...(agent ? { "switchboard.agent": agent } : {}),
      ...(workflow ? { "switchboard.workflow": workflow } : {}),
      ...(typeof data.runId === "string" ? { "switchboard.run.id": data.runId } : {}),
      ...(typeof data.conversationId === "string" ? { "switchboard.conversation.id": data.conversationId } : {}),
      ...(typeof data.mode === "string" ? { "switchboard.run.mode": data.mode } : {}),
      ...(typeof data.kind === "string" ? { "switchboard.workflow.job": data.kind } : {}),
    };
    const name = agent ? `run ${agent}` : workflow ? `workflow ${workflow}` : `run ${job.queueName}`;
    return withSpan(
      name,
      attributes,
      async (span) => {
        try {
          const result = await this.advance(job, token);
          const status = (result as { status?: unknown } | undefined)?.status;
          span.setAttribute("switchboard.run.next", "finish");
          if (typeof status === "string") span.setAttribute("switchboard.run.status", status);
          return result;
        } catch (error) {
          if (error instanceof WaitingChildrenError) span.setAttribute("switchboard.run.next", "wait-children");
          if (error instanceof DelayedError) span.setAttribute("switchboard.run.next", "wait-approval");
          throw error;
        }
      },
      (error) => error instanceof WaitingChildrenError || error instanceof DelayedError,
    );
  }

  private async advance(job: Job, token: string | undefined): Promise<R> {
    let children: Map<string, ChildOutcome> | undefined;
    const ports: RunPorts = {
      childResults: async () => (children ??= await childValues(job)),
      decision: (approvalId) => this.decision(approvalId),
      attemptsLeft: (job.opts.attempts ?? 1) - job.attemptsMade - 1,
    };
    for (;;) {
      const next: NextStep<R> = await this.runnable.advance(job.data, ports);
      switch (next.kind) {
        case "finish":
          for (const handOff of next.handOff ?? []) await this.queues.enqueue(handOff);
          return next.result;
        case "wait-children":
          if (token === undefined) throw new Error("a run that waits for children needs its job's lock token");
          await this.queues.addChildren(job, next.children);
          if (await job.moveToWaitingChildren(token)) throw new WaitingChildrenError();
          // Every child had already finished: read their values and go on in this attempt.
          children = await childValues(job);
          continue;
        case "wait-approval": {
          if (token === undefined) throw new Error("a run that waits for a person needs its job's lock token");
          const owner = next.approval.owner || (await this.ownerOf(next.approval.conversationId)) || "";
          const approval = await this.approvals.request(
            { ...next.approval, owner, job: { queue: job.queueName, id: job.id ?? "" } },
            next.agent ? { agent: next.agent } : {},
          );
          if (approval.status !== "pending") continue;
          const due = approval.timeoutAt ? Date.parse(approval.timeoutAt) : Number.POSITIVE_INFINITY;
          await job.moveToDelayed(Math.min(due, Date.now() + LONGEST_PARK_MS), token);
          // A decision made while the job was still active could not wake it: wake it now.
          const after = await this.approvals.get(approval.id);
          if (after && after.status !== "pending") await this.queues.wake({ prefix: job.prefix }, job.queueName, job.id ?? "");
          throw new DelayedError();
        }
      }
    }
  }

  private async decision(approvalId: string): Promise<Decision | undefined> {
    const approval = await this.approvals.get(approvalId);
    if (!approval) return undefined;
    if (approval.status === "pending") {
      if (!approval.timeoutAt || Date.parse(approval.timeoutAt) > Date.now()) return undefined;
      // The timeout applies the default, unless a person got there first: the first decision wins.
      const outcome = await this.approvals.decide(approvalId, approval.onTimeout, "timeout");
      return outcome.outcome === "not_found" ? undefined : decisionOf(outcome.approval);
    }
    return decisionOf(approval);
  }
}

function decisionOf(approval: { status: string; decidedBy?: string; comment?: string }): Decision | undefined {
  if (approval.status === "pending") return undefined;
  return {
    decision: approval.status === "approved" ? "approve" : "reject",
    by: approval.decidedBy ?? "unknown",
    ...(approval.comment ? { comment: approval.comment } : {}),
  };
}

async function childValues(job: Job): Promise<Map<string, ChildOutcome>> {
  const [values, failures] = await Promise.all([job.getChildrenValues(), job.getIgnoredChildrenFailures()]);
  // Keys are "<prefix>:<queue>:<jobId>"; runs know their children by job id.
  const id = (key: string) => key.slice(key.lastIndexOf(":") + 1);
  const outcomes = new Map<string, ChildOutcome>();
  for (const [key, value] of Object.entries(values)) outcomes.set(id(key), { ok: true, value });
  for (const [key, reason] of Object.entries(failures)) outcomes.set(id(key), { ok: false, reason: String(reason) });
  return outcomes;
}
