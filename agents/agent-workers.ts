import { Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { Logger } from "../platform/logger.js";
import type { Config } from "../shared/config.js";
import type { Keys } from "../shared/keys.js";
import type { AgentDirectory } from "./agent-directory.js";
import type { AgentLoop } from "./agent-loop.js";

/**
 * One BullMQ worker per agent of the team. Locks are short so a crashed process's jobs come back
 * within seconds (lock expiry + one stalled-check interval) and resume from their checkpoints.
 */
export class AgentWorkers {
  private readonly workers = new Map<string, Worker>();

  constructor(
    private readonly connection: Redis,
    private readonly keys: Keys,
    private readonly loop: AgentLoop,
    private readonly config: Config,
    private readonly log: Logger,
  ) {}

  /** Starts a worker for every agent in the directory that has none yet. */
  async start(directory: AgentDirectory): Promise<void> {
    for (const agent of directory.list()) {
      if (this.workers.has(agent.name)) continue;
      const worker = new Worker(agent.name, (job, token) => this.loop.process(job, token), {
        connection: this.connection,
        prefix: this.keys.queuePrefix(),
        concurrency: this.config.workers.concurrency,
        lockDuration: this.config.workers.lockMs,
        stalledInterval: this.config.workers.stalledMs,
        maxStalledCount: 3,
        autorun: false,
      });
      worker.on("error", (error) => this.log.error({ err: error, agent: agent.name }, "worker error"));
      worker.on("failed", (job, error) =>
        this.log.error({ err: error, agent: agent.name, jobId: job?.id, attempts: job?.attemptsMade }, "job attempt failed"),
      );
      worker.run().catch((error: unknown) => this.log.error({ err: error, agent: agent.name }, "worker stopped on an error"));
      await worker.waitUntilReady();
      this.workers.set(agent.name, worker);
    }
    this.log.info({ agents: [...this.workers.keys()] }, "agent workers running");
  }

  async close(): Promise<void> {
    await Promise.all([...this.workers.values()].map((worker) => worker.close()));
    this.workers.clear();
  }
}
