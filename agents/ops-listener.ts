import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Cluster, Redis } from "ioredis";
import { probeRedis, type AgentsHealth } from "../platform/health.js";
import type { Logger } from "../platform/logger.js";
import { metricsRegistry } from "../platform/metrics.js";
import type { Config } from "../shared/config.js";
import { keys as keyNames } from "../shared/keys.js";

export interface OpsListener {
  url: string;
  close(): Promise<void>;
}

/** Refused tokens are counted per address over this window, as the server does (SWITCHBOARD_RATE_LOGIN_FAILURES). */
const LOGIN_WINDOW_MS = 15 * 60 * 1000;

/**
 * The agents process run alone has no HTTP server; with `SWITCHBOARD_AGENTS_PORT` it gets this
 * small one, on `HOST`, for orchestrators and Prometheus:
 *
 * - `GET /health`: 200 when Redis answers and every worker runs, else 503 naming what fails;
 * - `GET /ready`: 200 once the team's workers run, 503 while starting and from the moment a
 *   shutdown begins (the runs in flight drain meanwhile);
 * - `GET /metrics`: Prometheus text; the admin token unless `SWITCHBOARD_METRICS=public`.
 *
 * No token for health and readiness: probes carry none, and the answers hold nothing secret.
 */
export async function startOpsListener(options: {
  config: Config;
  port: number;
  redis: Redis | Cluster;
  health: () => AgentsHealth;
  ready: () => boolean;
  log: Logger;
}): Promise<OpsListener> {
  const { config, redis, log } = options;
  const keys = keyNames(config.prefix);
  const failures = new Map<string, { count: number; resetAt: number }>();

  const send = (response: ServerResponse, status: number, body: unknown, type = "application/json; charset=utf-8") => {
    response.writeHead(status, {
      "Content-Type": type,
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
    });
    response.end(typeof body === "string" ? body : JSON.stringify(body));
  };
  const refuse = (response: ServerResponse, status: number, code: string, message: string) => send(response, status, { error: { code, message } });

  /** The admin token: the configured one, or the one a server generated and keeps in Redis. */
  const adminToken = async (): Promise<string | undefined> => config.token ?? (await redis.get(keys.accessToken())) ?? undefined;

  const metricsAllowed = async (request: IncomingMessage, response: ServerResponse): Promise<boolean> => {
    if (config.metrics === "public") return true;
    const presented = request.headers.authorization?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim();
    if (!presented) {
      refuse(response, 401, "missing_token", "Send the admin token as 'Authorization: Bearer <token>', or set SWITCHBOARD_METRICS=public.");
      return false;
    }
    const address = request.socket.remoteAddress ?? "unknown";
    const now = Date.now();
    const counted = failures.get(address);
    const limit = config.rateLimits.loginFailures;
    if (limit > 0 && counted && counted.resetAt > now && counted.count >= limit) {
      refuse(response, 429, "rate_limited", "Too many refused tokens from this address; try again later.");
      return false;
    }
    const expected = await adminToken();
    const digest = (token: string) => createHash("sha256").update(token, "utf8").digest();
    if (expected !== undefined && timingSafeEqual(digest(expected), digest(presented))) return true;
    if (limit > 0) {
      if (failures.size > 10_000) for (const [key, entry] of failures) if (entry.resetAt <= now) failures.delete(key);
      const entry = counted && counted.resetAt > now ? counted : { count: 0, resetAt: now + LOGIN_WINDOW_MS };
      entry.count++;
      failures.set(address, entry);
    }
    refuse(response, 401, "invalid_token", "The access token is not the admin token.");
    return false;
  };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const path = new URL(request.url ?? "/", "http://agents.invalid").pathname;
    if (request.method !== "GET" && request.method !== "HEAD") return refuse(response, 405, "not_found", "Only GET is served here.");
    if (path === "/health") {
      const [redisHealth, agents] = [await probeRedis(redis), options.health()];
      const failing = [...(redisHealth.ok ? [] : ["redis"]), ...(agents.ok ? [] : ["agents"])];
      return send(response, failing.length === 0 ? 200 : 503, { status: failing.length === 0 ? "ok" : "failing", failing, redis: redisHealth, agents });
    }
    if (path === "/ready") {
      const ready = options.ready();
      const agents = options.health();
      return send(response, ready ? 200 : 503, { status: ready ? "ready" : agents.state === "ready" ? "not_ready" : agents.state, problems: ready ? [] : [agents.problem ?? "not ready"] });
    }
    if (path === "/metrics") {
      if (!(await metricsAllowed(request, response))) return;
      return send(response, 200, await metricsRegistry.metrics(), metricsRegistry.contentType);
    }
    refuse(response, 404, "not_found", "This port serves /health, /ready and /metrics.");
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      log.error({ err: error }, "agents health listener failed to answer");
      if (!response.headersSent) refuse(response, 503, "unavailable", "Could not answer; try again.");
      else response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, config.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  const url = `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${port}`;
  log.info({ url }, "agents health and metrics listening");
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
