import { FlowProducer, Job, Queue, type JobType, type JobsOptions } from "bullmq";
import type { AgentStatus } from "../shared/agent-spec.js";
import type { Config } from "../shared/config.js";
import { WORKFLOWS_QUEUE, type TurnJob, type WorkflowJob } from "../shared/jobs.js";
import type { Keys } from "../shared/keys.js";
import type { RedisClient } from "./redis.js";
import { bullmqTelemetry } from "./tracing.js";

/** Every step is idempotent, so a job that hit an infrastructure error is simply run again. */
export const JOB_DEFAULTS: JobsOptions = {
  attempts: 3,
  backoff: { type: "exponential", delay: 500 },
  // Kept for a day so a re-sent message finds its job and does not start a second run.
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

/** A job to add as a child of a running job; its id is deterministic, so adding it again adds nothing. */
export interface ChildJob {
  queue: string;
  id: string;
  name: string;
  data: TurnJob | WorkflowJob;
}

/** Where queues are: one set per shard, and the legacy set where it is still worked. */
export interface QueueLayout {
  /** SWITCHBOARD_SHARDS: shards 0 to shards − 1 each have their own queues. */
  shards: number;
  /** The queues of conversations made before shards (`{<prefix>}:q`); worked on a single Redis only. */
  legacy: boolean;
}

/**
 * The layout a configuration asks for. A cluster never held a legacy conversation (Switchboard
 * could not run on one before shards), so only a single Redis keeps working the legacy queues.
 */
export function queueLayout(config: Pick<Config, "shards" | "redisCluster">): QueueLayout {
  return { shards: config.shards, legacy: config.redisCluster === undefined };
}

/**
 * The queues work travels on: one per agent (named after it) and one for workflow runs, under the
 * BullMQ prefix of the conversation's shard, which shares the conversation's hash tag: a turn, its
 * flow children on other agents' queues and the conversation's keys are in one slot, and the
 * shards spread the queues over the cluster.
 */
export class Queues {
  private readonly queues = new Map<string, Queue>();
  private readonly flows: FlowProducer;

  constructor(
    private readonly connection: RedisClient,
    private readonly keys: Keys,
    private readonly layout: QueueLayout,
  ) {
    // Each flow job names its own prefix; this one is only the default.
    this.flows = new FlowProducer({ connection, prefix: keys.legacyQueuePrefix(), ...bullmqTelemetry() });
  }

  /** Every BullMQ prefix work may be under: each shard's, then the legacy one when it is worked. */
  prefixes(): string[] {
    const shards = Array.from({ length: this.layout.shards }, (_, shard) => this.keys.shardQueuePrefix(shard));
    return this.layout.legacy ? [...shards, this.keys.legacyQueuePrefix()] : shards;
  }

  /** The queue `name` under `prefix`. */
  queue(name: string, prefix: string): Queue {
    const key = `${prefix}\u0000${name}`;
    let queue = this.queues.get(key);
    if (!queue) {
      queue = new Queue(name, { connection: this.connection, prefix, defaultJobOptions: JOB_DEFAULTS, ...bullmqTelemetry() });
      this.queues.set(key, queue);
    }
    return queue;
  }

  /** The queue `name` that carries the conversation's work. */
  queueFor(name: string, conversationId: string): Queue {
    return this.queue(name, this.keys.queuePrefix(conversationId));
  }

  /** Adds one turn; the run id is the job id, so adding the same run twice adds it once. */
  async enqueue(job: TurnJob): Promise<void> {
    await this.queueFor(job.agent, job.conversationId).add(job.mode, job, { ...JOB_DEFAULTS, jobId: job.runId });
  }

  /** Starts a workflow run; the run id is the job id. */
  async enqueueWorkflow(job: WorkflowJob & { kind: "run" }): Promise<void> {
    await this.queueFor(WORKFLOWS_QUEUE, job.conversationId).add(job.workflow, job, { ...JOB_DEFAULTS, jobId: job.runId });
  }

  /**
   * Adds jobs as children of a running parent job, atomically, under the parent's prefix (its
   * conversation's): a flow must stay in one slot. A child that fails for good does not strand
   * the parent: it resumes and reports the failure. Adding a child that exists already (a retried
   * parent) leaves it as it is and keeps it linked to the parent.
   */
  async addChildren(parent: Job, children: ChildJob[]): Promise<void> {
    if (children.length === 0) return;
    await this.flows.addBulk(
      children.map((child) => ({
        name: child.name,
        queueName: child.queue,
        prefix: parent.prefix,
        data: child.data,
        opts: {
          ...JOB_DEFAULTS,
          jobId: child.id,
          parent: { id: parent.id ?? "", queue: parent.queueQualifiedName },
          ignoreDependencyOnFailure: true,
        },
      })),
    );
  }

  /**
   * Wakes a job parked in the delayed set (a run waiting for a person) so it runs now; the job is
   * found under its conversation's prefix, or the prefix given. False when the job is not parked:
   * it is running (and will see what changed when it checks) or gone.
   */
  async wake(where: { conversationId: string } | { prefix: string }, queue: string, jobId: string): Promise<boolean> {
    const prefix = "prefix" in where ? where.prefix : this.keys.queuePrefix(where.conversationId);
    const job = await Job.fromId(this.queue(queue, prefix), jobId);
    if (!job || !(await job.isDelayed())) return false;
    try {
      await job.promote();
      return true;
    } catch (error) {
      // Promoted or picked up by someone else between the check and the move.
      if (!(await job.isDelayed())) return false;
      throw error;
    }
  }

  /** Jobs of the queue `name` in each state, summed over every prefix. */
  async jobCounts(name: string, ...states: string[]): Promise<Record<string, number>> {
    const totals: Record<string, number> = {};
    const counts = await Promise.all(this.prefixes().map((prefix) => this.queue(name, prefix).getJobCounts(...(states as JobType[]))));
    for (const byState of counts) for (const [state, count] of Object.entries(byState)) totals[state] = (totals[state] ?? 0) + count;
    return totals;
  }

  /**
   * Workers online, jobs waiting and running, and when the agent last finished a job. Every
   * agents process works every shard, so the workers of the first shard's queue are the agent's.
   */
  async status(agent: string): Promise<AgentStatus> {
    const prefixes = this.prefixes();
    const [workers, counts, latest] = await Promise.all([
      this.queue(agent, prefixes[0] ?? this.keys.legacyQueuePrefix()).getWorkersCount(),
      this.jobCounts(agent, "wait", "prioritized", "delayed", "active", "waiting-children"),
      Promise.all(prefixes.map(async (prefix) => (await this.queue(agent, prefix).getJobs(["completed", "failed"], 0, 0, false))[0]?.finishedOn)),
    ]);
    const finishedOn = Math.max(0, ...latest.map((finished) => finished ?? 0));
    return {
      workers,
      waiting: (counts.wait ?? 0) + (counts.prioritized ?? 0) + (counts.delayed ?? 0),
      running: (counts.active ?? 0) + (counts["waiting-children"] ?? 0),
      lastActivity: finishedOn > 0 ? new Date(finishedOn).toISOString() : null,
    };
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
    await this.flows.close();
  }
}
