import { Worker, type Processor } from "bullmq";
import { PROCESS_NAME } from "../platform/health.js";
import type { Logger } from "../platform/logger.js";
import { redisErrors } from "../platform/metrics.js";
import type { RedisClient } from "../platform/redis.js";
import { bullmqTelemetry } from "../platform/tracing.js";
import type { Config } from "../shared/config.js";
import type { AgentDirectory } from "./agent-directory.js";

/** A worker as a health check reports it. */
export interface WorkerHealth {
  running: boolean;
  paused: boolean;
}

/**
 * BullMQ workers for every agent of the team: one per agent and queue prefix (each shard's, and
 * the legacy one on a single Redis), since a BullMQ worker works one queue under one prefix. An
 * agent's SWITCHBOARD_CONCURRENCY is split evenly over its shards' workers, so a process runs about
 * that many of its jobs at once however many shards there are; the legacy worker, for
 * conversations made before shards, gets a shard's share on top. Locks are short so a crashed
 * process's jobs come back within seconds (lock expiry + one stalled-check interval) and resume
 * from their checkpoints. Every worker is named after this process (`<host>:<pid>`), so a job's
 * `processedBy` says who ran it.
 */
export class AgentWorkers {
  /** The name of this process's workers, on every job they run (`processedBy`). */
  readonly name = PROCESS_NAME;
  /** Queue name → its workers, one per prefix. */
  private readonly workers = new Map<string, Worker[]>();
  /** Queues worked regardless of the team. */
  private readonly fixed = new Set<string>();
  /** Jobs being processed right now, as `queue/jobId`: what a drain waits for. */
  private readonly active = new Set<string>();

  constructor(
    private readonly connection: RedisClient,
    /** The BullMQ prefixes to work (`Queues.prefixes()`). */
    private readonly prefixes: string[],
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
    for (const [name, workers] of stopping) {
      this.workers.delete(name);
      this.log.info({ agent: name }, "stopping the agent's workers; runs in flight finish first");
      for (const worker of workers) worker.close().catch((error: unknown) => this.log.error({ err: error, agent: name }, "worker did not close cleanly"));
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

  /** Every queue this process works (agents and fixed ones): running when all its workers run, paused when any is. */
  health(): Record<string, WorkerHealth> {
    const health: Record<string, WorkerHealth> = {};
    for (const [queue, workers] of this.workers) {
      health[queue] = { running: workers.every((worker) => worker.isRunning()), paused: workers.some((worker) => worker.isPaused()) };
    }
    return health;
  }

  private async startWorker(name: string, processor: Processor): Promise<void> {
    const workers = this.prefixes.map((prefix) => this.createWorker(name, prefix, processor));
    this.workers.set(name, workers);
    await Promise.all(workers.map((worker) => worker.waitUntilReady()));
  }

  private createWorker(name: string, prefix: string, processor: Processor): Worker {
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
      name: this.name,
      connection: this.connection,
      prefix,
      concurrency: Math.ceil(this.config.workers.concurrency / this.config.shards),
      lockDuration: this.config.workers.lockMs,
      stalledInterval: this.config.workers.stalledMs,
      maxStalledCount: 3,
      autorun: false,
      ...bullmqTelemetry(),
    });
    worker.on("error", (error) => {
      // Errors a worker reports are its connections' (the shared one and its blocking duplicate).
      redisErrors.inc({ connection: "agents-workers" });
      this.log.error({ err: error, agent: name }, "worker error");
    });
    worker.on("failed", (job, error) =>
      this.log.error({ err: error, agent: name, jobId: job?.id, attempts: job?.attemptsMade }, "job attempt failed"),
    );
    worker.run().catch((error: unknown) => this.log.error({ err: error, agent: name }, "worker stopped on an error"));
    return worker;
  }

  /**
   * Stops taking jobs and gives the runs in flight `drainMs` to finish. Runs still going then (a
   * hung model call) are left where they are: their locks lapse and another agents process picks
   * them up from their last checkpoint, as after a crash. Returns the jobs left that way.
   */
  async close(drainMs: number): Promise<string[]> {
    const workers = [...this.workers.values()].flat();
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
