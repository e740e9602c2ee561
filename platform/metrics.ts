import type { JobType } from "bullmq";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { Logger } from "./logger.js";

/**
 * The Prometheus metrics of this process (prom-client), in one registry: the server's `/metrics`
 * and the agents process's serve it. `npm start` runs both halves in one process, so one scrape
 * there has the agents' metrics too. Every name and what it means is listed in docs/operations.md.
 *
 * Counters and histograms are observed where things happen (a run's events, a model step); the
 * gauges are read when scraped, from the sources the running parts register below.
 */
export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry });

/** Job states a queue gauge reports (BullMQ's own names). */
const QUEUE_STATES = ["wait", "prioritized", "delayed", "active", "waiting-children", "completed", "failed"] as const satisfies readonly JobType[];

/** Reads the job counts of every queue the process knows, by queue name. */
export type QueueCountsSource = () => Promise<Map<string, Record<string, number>>>;

const queueSources = new Map<string, QueueCountsSource>();
const socketSources = new Set<() => number>();

export const runsStarted = new Counter({
  name: "switchboard_runs_started_total",
  help: "Agent runs started, by agent.",
  labelNames: ["agent"] as const,
  registers: [metricsRegistry],
});

export const runsFinished = new Counter({
  name: "switchboard_runs_finished_total",
  help: "Agent runs finished, by agent and outcome (completed, failed, or cancelled: stopped by a person).",
  labelNames: ["agent", "outcome"] as const,
  registers: [metricsRegistry],
});

export const modelStepSeconds = new Histogram({
  name: "switchboard_model_step_seconds",
  help: "Latency of one model step (a streamed model call, retries included), by agent and model.",
  labelNames: ["agent", "model"] as const,
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120],
  registers: [metricsRegistry],
});

export const turnSeconds = new Histogram({
  name: "switchboard_turn_seconds",
  help: "From a user's message to the end of the manager's run for it (answered, handed on or failed).",
  labelNames: ["outcome"] as const,
  buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300],
  registers: [metricsRegistry],
});

export const tokensTotal = new Counter({
  name: "switchboard_tokens_total",
  help: "Model tokens used, by agent and kind (prompt or completion).",
  labelNames: ["agent", "kind"] as const,
  registers: [metricsRegistry],
});

export const costUsdTotal = new Counter({
  name: "switchboard_cost_usd_total",
  help: "Estimated model cost in US dollars, by agent (known models only; the offline model costs nothing).",
  labelNames: ["agent"] as const,
  registers: [metricsRegistry],
});

export const redisErrors = new Counter({
  name: "switchboard_redis_errors_total",
  help: "Errors reported by a Redis connection of this process (a failed connect or reconnect, a broken socket), by connection name.",
  labelNames: ["connection"] as const,
  registers: [metricsRegistry],
});

new Gauge({
  name: "switchboard_queue_jobs",
  help: "Jobs in each BullMQ queue (one per agent, and _workflows) by state, read from Redis when scraped.",
  labelNames: ["queue", "state"] as const,
  registers: [metricsRegistry],
  async collect() {
    this.reset();
    // Processes of one deployment read the same queues: one source per key prefix is enough.
    const totals = new Map<string, number>();
    for (const source of queueSources.values()) {
      let counts: Map<string, Record<string, number>>;
      try {
        counts = await source();
      } catch {
        // Redis unreachable: the scrape still answers, without queue gauges (health says why).
        continue;
      }
      for (const [queue, byState] of counts) {
        for (const state of QUEUE_STATES) totals.set(`${queue}\u0000${state}`, (totals.get(`${queue}\u0000${state}`) ?? 0) + (byState[state] ?? 0));
      }
    }
    for (const [key, value] of totals) {
      const [queue = "", state = ""] = key.split("\u0000");
      this.set({ queue, state }, value);
    }
  },
});

new Gauge({
  name: "switchboard_socket_connections",
  help: "Socket.IO connections open on this server process.",
  registers: [metricsRegistry],
  collect() {
    let open = 0;
    for (const source of socketSources) open += source();
    this.set(open);
  },
});

/**
 * Registers where the queue gauge reads its counts for the deployment with key prefix `prefix`;
 * the last registration for a prefix wins (in `npm start` the server and the agents read the same
 * queues). Returns the function that removes it again.
 */
export function registerQueueSource(prefix: string, source: QueueCountsSource): () => void {
  queueSources.set(prefix, source);
  return () => {
    if (queueSources.get(prefix) === source) queueSources.delete(prefix);
  };
}

/** Registers a count of open sockets (a server process's gateway); returns its removal. */
export function registerSocketSource(source: () => number): () => void {
  socketSources.add(source);
  return () => socketSources.delete(source);
}

/** Job counts of the named queues, each read with one BullMQ call; for a `QueueCountsSource`. */
export async function queueCounts(
  names: Iterable<string>,
  countsOf: (queue: string) => Promise<Record<string, number>>,
): Promise<Map<string, Record<string, number>>> {
  const unique = [...new Set(names)];
  const counts = await Promise.all(unique.map((name) => countsOf(name)));
  return new Map(unique.map((name, index) => [name, counts[index] ?? {}]));
}

/** The states to ask BullMQ's `getJobCounts` for. */
export const queueStates = (): JobType[] => [...QUEUE_STATES];

/**
 * Counts every `error` a Redis connection emits (ioredis reports each failed connect and
 * reconnect) and logs it: a listener here replaces ioredis's own "Unhandled error event" print.
 */
export function countRedisErrors(
  connection: { on(event: "error", listener: (error: Error) => void): unknown },
  name: string,
  log?: Logger,
): void {
  connection.on("error", (error) => {
    redisErrors.inc({ connection: name });
    log?.warn({ err: error, connection: name }, "redis connection error");
  });
}

/** The milliseconds part of a stream id ("1718000000000-0"): when the entry was written. */
function streamIdMs(id: string): number | undefined {
  const ms = Number(id.split("-")[0]);
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

/**
 * Counts a run's start or end, once: the caller passes only events it has just written to the log
 * (a retried step's event again is not counted again). The end of a `turn` run (the manager's run
 * for a user's message) is also the end of the turn: its time since the message is observed.
 */
export function observeRunEvent(job: { agent: string; mode: string; triggerEventId?: string | undefined }, type: string): void {
  if (type === "run.started") {
    runsStarted.inc({ agent: job.agent });
    return;
  }
  if (type !== "run.completed" && type !== "run.failed" && type !== "run.cancelled") return;
  const outcome = type === "run.completed" ? "completed" : type === "run.failed" ? "failed" : "cancelled";
  runsFinished.inc({ agent: job.agent, outcome });
  const sent = job.mode === "turn" && job.triggerEventId ? streamIdMs(job.triggerEventId) : undefined;
  if (sent !== undefined) turnSeconds.observe({ outcome }, Math.max(0, Date.now() - sent) / 1000);
}

/** One finished model step: its latency, tokens and cost. */
export function observeModelStep(
  agent: string,
  model: string,
  step: { latencyMs: number; usage: { promptTokens: number; completionTokens: number }; costUsd: number },
): void {
  modelStepSeconds.observe({ agent, model }, step.latencyMs / 1000);
  tokensTotal.inc({ agent, kind: "prompt" }, step.usage.promptTokens);
  tokensTotal.inc({ agent, kind: "completion" }, step.usage.completionTokens);
  costUsdTotal.inc({ agent }, step.costUsd);
}
