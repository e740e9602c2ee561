import { FlowProducer, Job, Queue, type JobsOptions } from "bullmq";
import type { Redis } from "ioredis";
import type { AgentStatus } from "../shared/agent-spec.js";
import { WORKFLOWS_QUEUE, type TurnJob, type WorkflowJob } from "../shared/jobs.js";
import type { Keys } from "../shared/keys.js";

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

/**
 * The queues work travels on: one per agent (named after it) and one for workflow runs, all under
 * one hash-tagged prefix, since every queue of a flow tree must live in one slot.
 */
export class Queues {
  private readonly queues = new Map<string, Queue>();
  private readonly flows: FlowProducer;

  constructor(
    private readonly connection: Redis,
    private readonly keys: Keys,
  ) {
    this.flows = new FlowProducer({ connection, prefix: keys.queuePrefix() });
  }

  queue(name: string): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.connection, prefix: this.keys.queuePrefix(), defaultJobOptions: JOB_DEFAULTS });
      this.queues.set(name, queue);
    }
    return queue;
  }

  /** Adds one turn; the run id is the job id, so adding the same run twice adds it once. */
  async enqueue(job: TurnJob): Promise<void> {
    await this.queue(job.agent).add(job.mode, job, { ...JOB_DEFAULTS, jobId: job.runId });
  }

  /** Starts a workflow run; the run id is the job id. */
  async enqueueWorkflow(job: WorkflowJob & { kind: "run" }): Promise<void> {
    await this.queue(WORKFLOWS_QUEUE).add(job.workflow, job, { ...JOB_DEFAULTS, jobId: job.runId });
  }

  /**
   * Adds jobs as children of a running parent job, atomically. A child that fails for good does not
   * strand the parent: it resumes and reports the failure. Adding a child that exists already (a
   * retried parent) leaves it as it is and keeps it linked to the parent.
   */
  async addChildren(parent: Job, children: ChildJob[]): Promise<void> {
    if (children.length === 0) return;
    await this.flows.addBulk(
      children.map((child) => ({
        name: child.name,
        queueName: child.queue,
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
   * Wakes a job parked in the delayed set (a run waiting for a person) so it runs now. False when the
   * job is not parked: it is running (and will see what changed when it checks) or gone.
   */
  async wake(queue: string, jobId: string): Promise<boolean> {
    const job = await Job.fromId(this.queue(queue), jobId);
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
