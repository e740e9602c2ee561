import { hostname } from "node:os";
import type { Cluster, Redis } from "ioredis";

/** What a health check says of Redis. No address, password or error text of a connection: the check needs no token. */
export interface RedisHealth {
  ok: boolean;
  /** Round trip of a PING, in milliseconds; null when it got no answer. */
  latencyMs: number | null;
  mode: "standalone" | "cluster";
  /** `cluster_state` of CLUSTER INFO (`ok` or `fail`), in cluster mode. */
  clusterState?: string;
  /** Why it is not ok, in words that give nothing away. */
  problem?: string;
}

/** A PING that has not answered after this long counts as no answer. */
const PROBE_TIMEOUT_MS = 2000;

/**
 * The name BullMQ workers of this process carry (`Worker` option `name`), stored on each job it
 * runs as `processedBy` and shown in the queue dashboard: `<host>:<pid>`.
 */
export const PROCESS_NAME = `${hostname()}:${process.pid}`;

/**
 * Checks the connection answers now: a PING's round trip, and in cluster mode (an ioredis Cluster,
 * or a server with cluster mode on) that CLUSTER INFO says `cluster_state:ok`.
 */
export async function probeRedis(redis: Redis | Cluster, timeoutMs = PROBE_TIMEOUT_MS): Promise<RedisHealth> {
  let mode: RedisHealth["mode"] = redis.isCluster ? "cluster" : "standalone";
  if (redis.status !== "ready") return { ok: false, latencyMs: null, mode, problem: `the connection to Redis is ${redis.status}` };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("timeout")), timeoutMs);
  });
  try {
    const started = performance.now();
    const [, info] = await Promise.race([Promise.all([redis.ping(), redis.info("cluster")]), timeout]);
    const latencyMs = Math.round((performance.now() - started) * 100) / 100;
    if (/^cluster_enabled:1\b/m.test(info)) mode = "cluster";
    if (mode === "standalone") return { ok: true, latencyMs, mode };
    const clusterInfo = String(await Promise.race([redis.cluster("INFO"), timeout]));
    const clusterState = /^cluster_state:(\w+)/m.exec(clusterInfo)?.[1] ?? "unknown";
    return clusterState === "ok"
      ? { ok: true, latencyMs, mode, clusterState }
      : { ok: false, latencyMs, mode, clusterState, problem: `the Redis cluster state is ${clusterState}` };
  } catch (error) {
    const timedOut = error instanceof Error && error.message === "timeout";
    return { ok: false, latencyMs: null, mode, problem: timedOut ? `Redis did not answer within ${timeoutMs} ms` : "Redis did not answer" };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Whether a process should be sent work: `starting` until it has everything running, `ready`,
 * then `stopping` from the moment a shutdown begins (before anything closes), so a load balancer
 * or orchestrator stops sending to it while it drains.
 */
export class Readiness {
  private current: "starting" | "ready" | "stopping" = "starting";

  get state(): "starting" | "ready" | "stopping" {
    return this.current;
  }

  /** Started; ignored once stopping. */
  ready(): void {
    if (this.current === "starting") this.current = "ready";
  }

  stopping(): void {
    this.current = "stopping";
  }
}

/** The agents' part of a health report: this process's workers, one per queue it works. */
export interface AgentsHealth {
  ok: boolean;
  /** The workers' name, on every job they run (`processedBy`). */
  worker: string;
  state: Readiness["state"];
  /** Queue name → its worker's state. */
  workers: Record<string, { running: boolean; paused: boolean }>;
  /** This process's own Redis connections (BullMQ's, the registry's) by name → status. */
  connections: Record<string, string>;
  problem?: string;
}

/** What a running agents process tells health and readiness checks. */
export interface AgentsHealthSource {
  health(): AgentsHealth;
  /** Started, not stopping, and its Redis connections up. */
  ready(): boolean;
}

/** Statuses of named Redis connections, and the names of those not ready. */
export function connectionStates(connections: Record<string, Redis | Cluster>): { states: Record<string, string>; down: string[] } {
  const states: Record<string, string> = {};
  for (const [name, connection] of Object.entries(connections)) states[name] = connection.status;
  return { states, down: Object.keys(states).filter((name) => states[name] !== "ready") };
}
