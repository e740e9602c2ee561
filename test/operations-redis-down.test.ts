/**
 * Health tells the truth when Redis goes away: a server on a redis-server of its own, which the
 * test stops and starts again. And `SWITCHBOARD_METRICS=public` opens /metrics to scrapers without
 * a token.
 */
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../platform/logger.js";
import { findRedisServer, spawnRedis } from "../platform/redis-server.js";
import { startServer, type RunningServer } from "../server/server-process.js";
import { reportIfStillWaiting, testConfig } from "./support/harness.js";

let dir: string;
let redis: { port: number; child: ChildProcess } | undefined;
let server: RunningServer | undefined;

beforeAll(async () => {
  const binary = findRedisServer();
  if (!binary) throw new Error("redis-server is not installed");
  dir = mkdtempSync(path.join(tmpdir(), "switchboard-health-redis-"));
  redis = await spawnRedis({ binary, dir, persistent: false });
  const config = testConfig({ SWITCHBOARD_METRICS: "public" });
  server = await startServer({ config, redis: `redis://127.0.0.1:${redis.port}`, log: createLogger(config.logLevel) });
});
afterAll(async () => {
  await server?.close();
  if (redis && redis.child.exitCode === null) {
    const exited = once(redis.child, "exit");
    redis.child.kill("SIGKILL");
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

async function health(): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${server?.url}/api/health`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Asks /api/health until it answers `status`; no deadline but the test's. */
async function healthUntil(status: number): Promise<Record<string, unknown>> {
  let last: unknown;
  const over = reportIfStillWaiting(`/api/health to answer ${status}`, () => `it last answered ${JSON.stringify(last)}`);
  try {
    for (let attempt = 1; ; attempt++) {
      const answer = await health();
      last = answer;
      if (answer.status === status) return answer.body;
      await new Promise((resolve) => setTimeout(resolve, Math.min(50 * attempt, 500)));
    }
  } finally {
    over();
  }
}

describe("health without Redis", () => {
  it("is 200 with Redis up, 503 naming redis when it is gone, and 200 again once it is back", { timeout: 60_000 }, async () => {
    const up = await health();
    expect(up.status).toBe(200);
    expect(up.body).toMatchObject({ status: "ok", redis: { ok: true, mode: "standalone" } });

    const port = redis?.port ?? 0;
    const exited = once(redis?.child as ChildProcess, "exit");
    redis?.child.kill("SIGKILL");
    await exited;
    const down = await healthUntil(503);
    expect(down).toMatchObject({ status: "failing", redis: { ok: false, latencyMs: null } });
    expect(down.failing).toContain("redis");
    expect(String((down.redis as { problem?: string }).problem)).toMatch(/Redis/);
    // Readiness says the same without a round trip: the connection is down.
    const ready = await fetch(`${server?.url}/api/ready`);
    expect(ready.status).toBe(503);
    // Metrics still answer (without queue gauges), and count the connection's errors: each
    // reconnect attempt that is refused is one.
    let metrics = "";
    const over = reportIfStillWaiting("a Redis error counted in /metrics", () => metrics);
    for (let attempt = 1; !/^switchboard_redis_errors_total\{connection="server"\} [1-9]/m.test(metrics); attempt++) {
      if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, Math.min(50 * attempt, 500)));
      const response = await fetch(`${server?.url}/metrics`);
      expect(response.status).toBe(200);
      metrics = await response.text();
    }
    over();
    expect(metrics).not.toMatch(/^switchboard_queue_jobs\{/m);

    const binary = findRedisServer() ?? "redis-server";
    redis = await spawnRedis({ binary, dir, persistent: false, port });
    const again = await healthUntil(200);
    expect(again).toMatchObject({ status: "ok", failing: [], redis: { ok: true } });
  });
});

describe("SWITCHBOARD_METRICS=public", () => {
  it("serves /metrics without a token", async () => {
    const response = await fetch(`${server?.url}/metrics`);
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/^# TYPE switchboard_runs_started_total counter$/m);
  });
});
