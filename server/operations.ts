import { Router, type RequestHandler } from "express";
import type { Cluster, Redis } from "ioredis";
import { connectionStates, probeRedis, type AgentsHealthSource, type Readiness } from "../platform/health.js";
import { metricsRegistry } from "../platform/metrics.js";
import { SwitchboardError } from "../shared/errors.js";
import { requireBearer, type Identity } from "./auth.js";
import type { RateLimits } from "./rate-limits.js";

/** The log tail's state (`LogTail.health()`), as the health check reports it. */
export interface FollowerHealth {
  ok: boolean;
  state: string;
  /** Since the last read that answered, in ms; null before the first. */
  lastReadAgoMs: number | null;
  problem?: string;
}

export interface OperationsDeps {
  /** The server's Redis connection: PING and the cluster state are checked on it. */
  redis: Redis | Cluster;
  /** Every Redis connection of the server by name; all must be up for it to be ready. */
  connections: Record<string, Redis | Cluster>;
  /** The gateway's log tail, which follows conversations for sockets and long polls. */
  followers: { health(): FollowerHealth; running(): boolean };
  /** Sockets open on this server. */
  sockets: () => number;
  /** The agents running in this same process (`npm start`), if any. */
  agents?: () => AgentsHealthSource | undefined;
  readiness: Readiness;
  /** `public`: `/metrics` needs no token; `admin`: the admin token. */
  metrics: "admin" | "public";
  authenticate: (token: string | undefined) => Identity | undefined;
  limits: RateLimits;
}

/**
 * The routes operators and orchestrators use: `GET /api/health` (liveness, with what is failing),
 * `GET /api/ready` (readiness) and `GET /metrics` (Prometheus). Health and readiness need no token:
 * probes carry none, and they say nothing secret (no address, no error text, no names of
 * conversations or users). See docs/operations.md.
 */
export function operationsRoutes(deps: OperationsDeps): Router {
  const router = Router();

  router.get("/api/health", async (_request, response) => {
    const report = await healthReport(deps);
    response.setHeader("Cache-Control", "no-store");
    response.status(report.status === "ok" ? 200 : 503).json(report);
  });

  router.get("/api/ready", (_request, response) => {
    const problems = readinessProblems(deps);
    response.setHeader("Cache-Control", "no-store");
    const status = problems.length === 0 ? "ready" : deps.readiness.state === "ready" ? "not_ready" : deps.readiness.state;
    response.status(problems.length === 0 ? 200 : 503).json({ status, problems });
  });

  const guard: RequestHandler[] = deps.metrics === "public" ? [] : [requireBearer(deps.authenticate, deps.limits), requireAdmin("read the metrics")];
  router.get("/metrics", ...guard, async (_request, response) => {
    const text = await metricsRegistry.metrics();
    response.setHeader("Cache-Control", "no-store");
    response.type(metricsRegistry.contentType).send(text);
  });
  return router;
}

/** After `requireBearer`: only the admin gets through. */
export function requireAdmin(what: string): RequestHandler {
  return (_request, response, next) => {
    if (response.locals.identity.admin) return next();
    next(new SwitchboardError("forbidden", `Only the admin token may ${what}.`));
  };
}

/** Liveness with detail: each part, and `failing` naming the parts that are not ok. */
export async function healthReport(deps: OperationsDeps) {
  const redis = await probeRedis(deps.redis);
  const followers = deps.followers.health();
  const agents = deps.agents?.()?.health();
  const failing = [...(redis.ok ? [] : ["redis"]), ...(followers.ok ? [] : ["server.followers"]), ...(agents && !agents.ok ? ["agents"] : [])];
  return {
    status: failing.length === 0 ? ("ok" as const) : ("failing" as const),
    failing,
    redis,
    server: { ok: followers.ok, state: deps.readiness.state, sockets: deps.sockets(), followers },
    ...(agents ? { agents } : {}),
  };
}

/** Why the server should not get traffic now; empty when it should. */
function readinessProblems(deps: OperationsDeps): string[] {
  const problems: string[] = [];
  if (deps.readiness.state === "starting") problems.push("the server is starting");
  if (deps.readiness.state === "stopping") problems.push("the server is shutting down");
  for (const name of connectionStates(deps.connections).down) problems.push(`Redis connection ${name} is not connected`);
  if (!deps.followers.running()) problems.push("the log tail is not running");
  const agents = deps.agents?.();
  if (agents && !agents.ready()) problems.push("the agents in this process are not ready");
  return problems;
}
