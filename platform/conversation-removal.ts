import { Job } from "bullmq";
import { WORKFLOWS_QUEUE } from "../shared/jobs.js";
import { MANAGER } from "../shared/agent-name.js";
import type { Keys } from "../shared/keys.js";
import type { ConversationLog } from "./conversation-log.js";
import type { Conversations } from "./conversations.js";
import type { Queues } from "./queues.js";
import type { RedisClient } from "./redis.js";

/** Job states in which a run is still going: queued, running, parked for a person, or waiting for its children. */
const GOING = new Set(["active", "waiting", "wait", "prioritized", "delayed", "waiting-children", "paused"]);

/** What a conversation's log says it holds besides its own keys. */
interface Holdings {
  /** Run id → queue of its job: agent turns (their checkpoints too) and workflow runs. */
  jobs: Map<string, string>;
  agentRuns: Set<string>;
  workflowRuns: Set<string>;
  approvals: Set<string>;
  /** Runs the log shows started (or asked for) and not ended. */
  open: Set<string>;
}

/** `busy`: the run ids still going (queued, running, parked or waiting for children). */
export type RemoveOutcome = "removed" | "not_found" | { busy: string[] };

/**
 * Deletes a conversation with everything that belongs to it: its log, dedup index and stop marker,
 * its runs' checkpoints, recorded steps and jobs, its workflow runs (and their index entries), its approvals, its place in
 * the owner's list and, last, its metadata. These keys are in different slots (the owner's list,
 * the global indexes, the conversation's shard), so there is no transaction: it goes in steps,
 * each safe to repeat. The first step marks the metadata `deleting`, which hides the conversation
 * from every route at once; the metadata goes last, so a deletion cut off half way is finished by
 * asking again (DELETE answers for a conversation marked `deleting` as for any other of yours).
 */
export class ConversationRemoval {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly conversations: Conversations,
    private readonly conversationLog: ConversationLog,
    private readonly queues: Queues,
  ) {}

  async remove(owner: string, id: string): Promise<RemoveOutcome> {
    const conversation = await this.conversations.get(owner, id, { deleting: true });
    if (!conversation) return "not_found";
    const meta = this.keys.meta(id);
    // Marked before the check, so no message is taken between the check and the removal.
    const marked = (await this.redis.hsetnx(meta, "deleting", new Date().toISOString())) === 1;
    const holdings = await this.holdings(id);
    const going = await this.going(id, holdings);
    if (going.length > 0) {
      if (marked) await this.redis.hdel(meta, "deleting");
      return { busy: going };
    }
    await Promise.all([...holdings.jobs].map(([runId, queue]) => this.queues.queueFor(queue, id).remove(runId)));
    await Promise.all([
      ...[...holdings.agentRuns].flatMap((runId) => [
        this.redis.del(this.keys.run(id, runId)),
        this.redis.del(this.keys.runSteps(id, runId)),
        this.redis.del(this.keys.streamingText(id, runId)),
      ]),
      ...[...holdings.workflowRuns].flatMap((runId) => [
        this.redis.del(this.keys.workflowRun(id, runId)),
        this.redis.hdel(this.keys.workflowRunIndex(), runId),
        this.redis.zrem(this.keys.ownerWorkflowRuns(owner), runId),
      ]),
      ...[...holdings.approvals].flatMap((approvalId) => [
        this.redis.hdel(this.keys.approvals(), approvalId),
        this.redis.zrem(this.keys.ownerApprovals(owner), approvalId),
      ]),
    ]);
    // The log goes after what it was read for: a repeat after a crash here still finds the runs.
    await this.redis.del(this.keys.events(id));
    await this.redis.del(this.keys.dedup(id));
    await this.redis.del(this.keys.stop(id));
    await this.redis.del(this.keys.streaming(id));
    await this.redis.zrem(this.keys.ownerConversations(owner), id);
    await this.redis.del(meta);
    return "removed";
  }

  /** Everything the log names, read page by page from the start (retention bounds its length). */
  private async holdings(id: string): Promise<Holdings> {
    const holdings: Holdings = { jobs: new Map(), agentRuns: new Set(), workflowRuns: new Set(), approvals: new Set(), open: new Set() };
    for (let after = "0"; ; ) {
      const events = await this.conversationLog.read(id, after, 1000);
      const last = events.at(-1);
      if (last === undefined) break;
      after = last.id;
      for (const event of events) {
        switch (event.type) {
          case "message.user": {
            // The manager's turn on it has this run id (server/message-intake.ts) from the moment it is queued.
            const runId = `${id}-${event.id}`;
            holdings.jobs.set(runId, MANAGER);
            holdings.agentRuns.add(runId);
            holdings.open.add(runId);
            break;
          }
          case "run.started":
            if (event.runId === undefined) break;
            holdings.jobs.set(event.runId, event.agent ?? MANAGER);
            holdings.agentRuns.add(event.runId);
            holdings.open.add(event.runId);
            break;
          case "workflow.started":
            if (event.runId === undefined) break;
            holdings.jobs.set(event.runId, WORKFLOWS_QUEUE);
            holdings.workflowRuns.add(event.runId);
            holdings.open.add(event.runId);
            break;
          case "handoff":
            // The child's job is queued before it logs its own start.
            holdings.jobs.set(event.data.childRunId, event.data.to);
            holdings.agentRuns.add(event.data.childRunId);
            holdings.open.add(event.data.childRunId);
            break;
          case "run.completed":
          case "run.failed":
          case "run.cancelled":
          case "workflow.completed":
          case "workflow.failed":
            if (event.runId !== undefined) holdings.open.delete(event.runId);
            break;
          case "approval.requested":
            holdings.approvals.add(event.data.approvalId);
            break;
          default:
            break;
        }
      }
    }
    await this.workflowRunsNotLoggedYet(id, holdings);
    return holdings;
  }

  /**
   * A workflow run started through the API is recorded and queued before its runner logs
   * `workflow.started`: such runs are found in the owner's list of runs instead, among the newest
   * 100 (a run waits in the queue for moments, not for a hundred newer runs).
   */
  private async workflowRunsNotLoggedYet(id: string, holdings: Holdings): Promise<void> {
    const owner = await this.conversations.owner(id);
    if (owner === undefined) return;
    const runIds = await this.redis.zrevrange(this.keys.ownerWorkflowRuns(owner), 0, 99);
    if (runIds.length === 0) return;
    const conversations = await this.redis.hmget(this.keys.workflowRunIndex(), ...runIds);
    runIds.forEach((runId, index) => {
      if (conversations[index] !== id || holdings.workflowRuns.has(runId)) return;
      holdings.jobs.set(runId, WORKFLOWS_QUEUE);
      holdings.workflowRuns.add(runId);
      holdings.open.add(runId);
    });
  }

  /**
   * The runs the log shows as not ended whose jobs are still queued, running or parked; a run
   * whose job is gone or finished (a crash lost its last event) does not hold the conversation.
   */
  private async going(id: string, holdings: Holdings): Promise<string[]> {
    const states = await Promise.all(
      [...holdings.open].map(async (runId) => {
        const job = await Job.fromId(this.queues.queueFor(holdings.jobs.get(runId) ?? MANAGER, id), runId);
        return job && GOING.has(await job.getState()) ? runId : undefined;
      }),
    );
    return states.filter((runId) => runId !== undefined);
  }
}
