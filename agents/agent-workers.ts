import { Worker, type Processor } from "bullmq";
import type { Redis } from "ioredis";
import type { Logger } from "../platform/logger.js";
import type { Config } from "../shared/config.js";
import type { Keys } from "../shared/keys.js";
import type { AgentDirectory } from "./agent-directory.js";

/**
 * One BullMQ worker per agent of the team. Locks are short so a crashed process's jobs come back
 * within seconds (lock expiry + one stalled-check interval) and resume from their checkpoints.
 */
export class AgentWorkers {
  private readonly workers = new Map<string, Worker>();
  /** Queues worked regardless of the team. */
  private readonly fixed = new Set<string>();
  /** Jobs being processed right now, as `queue/jobId`: what a drain waits for. */
  private readonly active = new Set<string>();

  constructor(
    private readonly connection: Redis,
    private readonly keys: Keys,
    private readonly processor: Processor,
    private readonly config: Config,
    private readonly log: Logger,
  ) {}

  /**
   * Makes the running workers match the directory: a worker for every enabled agent, none for
   * agents that were disabled or deleted. Closing a worker lets its jobs in flight finish.
   */
  async reconcile(directory: AgentDirectory): Promise<void> {
    const wanted = new Set(directory.list().map((agent) => agent.name));
    const stopping = [...this.workers.entries()].filter(([name]) => !wanted.has(name) && !this.fixed.has(name));
    for (const [name, worker] of stopping) {
      this.workers.delete(name);
      this.log.info({ agent: name }, "stopping the agent's worker; runs in flight finish first");
      worker.close().catch((error: unknown) => this.log.error({ err: error, agent: name }, "worker did not close cleanly"));
    }
    const starting = [...wanted].filter((name) => !this.workers.has(name));
    await Promise.all(starting.map((name) => this.startWorker(name, this.processor)));
    if (starting.length > 0) this.log.info({ agents: starting }, "agent workers started");
  }

  /** Starts a worker for a queue that is not an agent's (workflow runs); it runs until close. */
  async startFixed(queue: string, processor: Processor): Promise<void> {
    await this.startWorker(queue, processor);
    this.fixed.add(queue);
  }

  /** Agents this process runs a worker for. */
  running(): string[] {
    return [...this.workers.keys()].filter((name) => !this.fixed.has(name));
  }

  private async startWorker(name: string, processor: Processor): Promise<void> {
    const tracked: Processor = async (job, token, signal) => {
      const key = `${name}/${job.id}`;
      this.active.add(key);
      try {
        return await processor(job, token, signal);
      } finally {
        this.active.delete(key);
      }
    };
    const worker = new Worker(name, tracked, {
      connection: this.connection,
      prefix: this.keys.queuePrefix(),
      concurrency: this.config.workers.concurrency,
      lockDuration: this.config.workers.lockMs,
      stalledInterval: this.config.workers.stalledMs,
      maxStalledCount: 3,
      autorun: false,
    });
    worker.on("error", (error) => this.log.error({ err: error, agent: name }, "worker error"));
    worker.on("failed", (job, error) =>
      this.log.error({ err: error, agent: name, jobId: job?.id, attempts: job?.attemptsMade }, "job attempt failed"),
    );
    this.workers.set(name, worker);
    worker.run().catch((error: unknown) => this.log.error({ err: error, agent: name }, "worker stopped on an error"));
    await worker.waitUntilReady();
  }

  /**
   * Stops taking jobs and gives the runs in flight `drainMs` to finish. Runs still going then (a
   * hung model call) are left where they are: their locks lapse and another agents process picks
   * them up from their last checkpoint, as after a crash. Returns the jobs left that way.
   */
  async close(drainMs: number): Promise<string[]> {
    const workers = [...this.workers.values()];
    this.workers.clear();
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      Promise.all(workers.map((worker) => worker.pause())).then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), drainMs))),
    ]);
    clearTimeout(timer);
    const left = drained ? [] : [...this.active];
    await Promise.all(workers.map((worker) => worker.close(!drained)));
    return left;
  }
}
