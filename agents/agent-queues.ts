import { FlowProducer, Queue, type Job, type JobsOptions } from "bullmq";
import type { Redis } from "ioredis";
import type { AgentStatus } from "../shared/agent-spec.js";
import type { Keys } from "../shared/keys.js";
import type { TurnJob } from "./run-state.js";

/** Every step is idempotent, so a job that hit an infrastructure error is simply run again. */
export const JOB_DEFAULTS: JobsOptions = {
  attempts: 3,
  backoff: { type: "exponential", delay: 500 },
  // Kept for a day so a re-sent message finds its job and does not start a second run.
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

/** One BullMQ queue per agent (named after it), all under one hash-tagged prefix. */
export class AgentQueues {
  private readonly queues = new Map<string, Queue>();
  private readonly flows: FlowProducer;

  constructor(
    private readonly connection: Redis,
    private readonly keys: Keys,
  ) {
    this.flows = new FlowProducer({ connection, prefix: keys.queuePrefix() });
  }

  queue(agent: string): Queue {
    let queue = this.queues.get(agent);
    if (!queue) {
      queue = new Queue(agent, { connection: this.connection, prefix: this.keys.queuePrefix(), defaultJobOptions: JOB_DEFAULTS });
      this.queues.set(agent, queue);
    }
    return queue;
  }

  /** Adds one turn; the run id is the job id, so adding the same run twice adds it once. */
  async enqueue(job: TurnJob): Promise<void> {
    await this.queue(job.agent).add(job.mode, job, { ...JOB_DEFAULTS, jobId: job.runId });
  }

  /**
   * Adds delegated turns as children of a running parent job, atomically. A child that fails for
   * good does not strand the parent: it resumes and reports the failure.
   */
  async enqueueChildren(parent: Job, children: TurnJob[]): Promise<void> {
    await this.flows.addBulk(
      children.map((child) => ({
        name: child.mode,
        queueName: child.agent,
        data: child,
        opts: {
          ...JOB_DEFAULTS,
          jobId: child.runId,
          parent: { id: parent.id ?? "", queue: parent.queueQualifiedName },
          ignoreDependencyOnFailure: true,
        },
      })),
    );
  }

  /** Workers online, jobs waiting and running, and when the agent last finished a job. */
  async status(agent: string): Promise<AgentStatus> {
    const queue = this.queue(agent);
    const [workers, counts, [latest]] = await Promise.all([
      queue.getWorkersCount(),
      queue.getJobCounts("wait", "prioritized", "delayed", "active", "waiting-children"),
      queue.getJobs(["completed", "failed"], 0, 0, false),
    ]);
    const finishedOn = latest?.finishedOn;
    return {
      workers,
      waiting: (counts.wait ?? 0) + (counts.prioritized ?? 0) + (counts.delayed ?? 0),
      running: (counts.active ?? 0) + (counts["waiting-children"] ?? 0),
      lastActivity: finishedOn ? new Date(finishedOn).toISOString() : null,
    };
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
    await this.flows.close();
  }
}
