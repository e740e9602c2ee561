/**
 * What docs/operations.md promises of one process running the server and the agents (`npm start`):
 * health and readiness that tell the truth, Prometheus metrics that count a turn, and the admin's
 * queue dashboard, each with the access it documents.
 */
import { hostname } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiErrorBody } from "../shared/errors.js";
import { ApiClient, startPlatform, TEST_TOKEN, turnFinished, type Platform } from "./support/harness.js";
import { ended, runEnded, startRun } from "./support/workflow-client.js";

const ALICE = "alice-token-0123456789";

let platform: Platform;
let alice: ApiClient;
let anonymous: ApiClient;
beforeAll(async () => {
  platform = await startPlatform({ env: { SWITCHBOARD_USERS: `alice:${ALICE}` } });
  alice = new ApiClient(platform.server.url, ALICE);
  anonymous = new ApiClient(platform.server.url, undefined);
});
afterAll(async () => platform?.close());

const errorCode = (body: Record<string, unknown>) => ApiErrorBody.parse(body).error.code;

/** GET with optional headers; the body as text. */
async function get(path: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${platform.server.url}${path}`, { headers, redirect: "manual" });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** The value of one sample of the Prometheus text, or undefined when it is not there. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split("\n")) {
    if (line.startsWith("#") || !line.startsWith(name)) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(match[3]);
  }
  return undefined;
}

describe("health", () => {
  it("answers 200 without a token, with Redis, the log tail and this process's workers", async () => {
    const response = await anonymous.request("GET", "/api/health");
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      status: "ok",
      failing: [],
      redis: { ok: true, mode: "standalone", latencyMs: expect.any(Number) },
      server: { ok: true, sockets: expect.any(Number), followers: { ok: true } },
      agents: { ok: true, worker: `${hostname()}:${process.pid}`, state: "ready" },
    });
    const workers = (response.body.agents as { workers: Record<string, { running: boolean }> }).workers;
    expect(workers.manager).toEqual({ running: true, paused: false });
    expect(workers.calculator?.running).toBe(true);
    expect(workers._workflows?.running).toBe(true);
  });

  it("says nothing secret: no token, no address of Redis", async () => {
    const text = JSON.stringify((await anonymous.request("GET", "/api/health")).body);
    expect(text).not.toContain(TEST_TOKEN);
    expect(text).not.toMatch(/127\.0\.0\.1|redis:\/\//);
  });
});

describe("metrics", () => {
  it("need the admin token by default: none is 401, a user's is 403", async () => {
    const none = await anonymous.request("GET", "/metrics");
    expect(none.status).toBe(401);
    expect(errorCode(none.body)).toBe("missing_token");
    const user = await alice.request("GET", "/metrics");
    expect(user.status).toBe(403);
    expect(errorCode(user.body)).toBe("forbidden");
  });

  it("count a turn: runs per agent, model steps, tokens, the turn's latency, queue depths", async () => {
    const conversationId = await platform.api.createConversation();
    const sent = await platform.api.send(conversationId, "What is 17.5% of 2,480?");
    const events = await platform.api.waitFor(conversationId, turnFinished, { after: sent });
    expect(events.filter((e) => e.type === "run.completed").map((e) => e.agent)).toEqual(["manager", "calculator"]);

    const response = await get("/metrics", { authorization: `Bearer ${TEST_TOKEN}` });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = response.text;
    expect(sample(text, "switchboard_runs_started_total", { agent: "manager" })).toBeGreaterThanOrEqual(1);
    expect(sample(text, "switchboard_runs_started_total", { agent: "calculator" })).toBeGreaterThanOrEqual(1);
    expect(sample(text, "switchboard_runs_finished_total", { agent: "manager", outcome: "completed" })).toBeGreaterThanOrEqual(1);
    expect(sample(text, "switchboard_runs_finished_total", { agent: "calculator", outcome: "completed" })).toBeGreaterThanOrEqual(1);
    expect(sample(text, "switchboard_tokens_total", { agent: "manager", kind: "prompt" })).toBeGreaterThan(0);
    expect(sample(text, "switchboard_tokens_total", { agent: "calculator", kind: "completion" })).toBeGreaterThan(0);
    expect(sample(text, "switchboard_model_step_seconds_count", { agent: "calculator", model: "offline" })).toBeGreaterThanOrEqual(1);
    expect(sample(text, "switchboard_turn_seconds_count", { outcome: "completed" })).toBeGreaterThanOrEqual(1);
    expect(sample(text, "switchboard_cost_usd_total", { agent: "manager" })).toBe(0);
    // Read from BullMQ when scraped: the manager's finished job is in its queue.
    expect(sample(text, "switchboard_queue_jobs", { queue: "manager", state: "completed" })).toBeGreaterThanOrEqual(1);
    expect(sample(text, "switchboard_queue_jobs", { queue: "_workflows", state: "wait" })).toBe(0);
    expect(sample(text, "switchboard_socket_connections")).toBe(0);
    // The default process metrics of prom-client.
    expect(sample(text, "process_cpu_user_seconds_total")).toBeGreaterThan(0);
    expect(text).toMatch(/^# TYPE switchboard_redis_errors_total counter$/m);
  });

  it("count a workflow's llm steps among the model steps, under workflow:<name>", async () => {
    const { runId, conversationId } = await startRun(platform.api, "order-triage", { orderId: "4413", message: "My lamp has not arrived yet" });
    const events = await platform.api.waitFor(conversationId, runEnded(runId));
    expect(ended(events, runId).type).toBe("workflow.completed");
    const text = (await get("/metrics", { authorization: `Bearer ${TEST_TOKEN}` })).text;
    expect(sample(text, "switchboard_model_step_seconds_count", { agent: "workflow:order-triage", model: "offline" })).toBeGreaterThanOrEqual(1);
    expect(sample(text, "switchboard_tokens_total", { agent: "workflow:order-triage", kind: "prompt" })).toBeGreaterThan(0);
  });
});

describe("the queue dashboard", () => {
  it("refuses anyone but the admin", async () => {
    const none = await get("/admin/queues/api/queues");
    expect(none.status).toBe(401);
    expect(errorCode(JSON.parse(none.text))).toBe("missing_token");
    const user = await get("/admin/queues/api/queues", { authorization: `Bearer ${ALICE}` });
    expect(user.status).toBe(403);
    const userPage = await get(`/admin/queues?token=${ALICE}`);
    expect(userPage.status).toBe(403);
    const wrong = await get("/admin/queues?token=not-a-token-at-all");
    expect(wrong.status).toBe(401);
    expect(errorCode(JSON.parse(wrong.text))).toBe("invalid_token");
  });

  it("lists every agent's queue and the workflows queue to the admin, and who ran each job", async () => {
    type Listing = { queues: { name: string; readOnlyMode: boolean; jobs: { processedBy?: string }[] }[] };
    const list = async (query = "") => {
      const response = await get(`/admin/queues/api/queues${query}`, { authorization: `Bearer ${TEST_TOKEN}` });
      expect(response.status).toBe(200);
      return (JSON.parse(response.text) as Listing).queues;
    };
    const queues = await list();
    const names = queues.map((queue) => queue.name);
    // One per agent and the workflows queue (on each shard's BullMQ prefix when there are several).
    for (const queue of ["manager", "calculator", "researcher", "writer", "_workflows"]) expect(names.some((name) => name.endsWith(queue))).toBe(true);
    expect(queues.every((queue) => queue.readOnlyMode)).toBe(true);
    // Earlier tests in this file ran a turn: its job names the worker that ran it, this process.
    const processedBy: (string | undefined)[] = [];
    for (const name of names.filter((queue) => queue.endsWith("manager"))) {
      const listed = await list(`?activeQueue=${encodeURIComponent(name)}&status=completed&page=1&jobsPerPage=10`);
      processedBy.push(...(listed.find((queue) => queue.name === name)?.jobs.map((job) => job.processedBy) ?? []));
    }
    expect(processedBy).toContain(`${hostname()}:${process.pid}`);
  });

  it("shows an agent added at run time on the next request", async () => {
    const created = await platform.api.request("POST", "/api/agents", {
      name: "poet",
      description: "Writes haiku poems and short verses about any topic.",
      instructions: "Answer with a haiku.",
    });
    expect(created.status).toBe(201);
    // The list is read from the registry at most once a second.
    for (let attempt = 0; ; attempt++) {
      const response = await get("/admin/queues/api/queues", { authorization: `Bearer ${TEST_TOKEN}` });
      const names = (JSON.parse(response.text) as { queues: { name: string }[] }).queues.map((queue) => queue.name);
      if (names.some((name) => name.endsWith("poet"))) break;
      await new Promise((resolve) => setTimeout(resolve, 100 * Math.min(attempt + 1, 5)));
    }
  });

  it("opens in a browser with ?token= once: a session cookie, and the address without the token", async () => {
    const opened = await get(`/admin/queues?token=${TEST_TOKEN}`);
    expect(opened.status).toBe(303);
    expect(opened.headers.get("location")).toBe("/admin/queues");
    const cookie = opened.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/^sb_queues=\d+\.[\w-]+;/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    expect(cookie).toMatch(/Path=\/admin\/queues/);
    expect(cookie).not.toContain(TEST_TOKEN);

    const session = cookie.split(";")[0] ?? "";
    const page = await get("/admin/queues", { cookie: session });
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/text\/html/);
    expect(page.text).toContain('<base href="/admin/queues/"');
    // The relaxed policy is the dashboard's alone: scripts still only from the server itself.
    const csp = page.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("style-src 'self' 'unsafe-inline'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    const api = await get("/admin/queues/api/queues", { cookie: session });
    expect(api.status).toBe(200);

    const forged = await get("/admin/queues", { cookie: `sb_queues=${Math.floor(Date.now() / 1000) + 3600}.forged` });
    expect(forged.status).toBe(401);
  });
});

describe("readiness", () => {
  it("is 200 while serving, and 503 from the moment a shutdown begins, while everything still answers", async () => {
    const ready = await anonymous.request("GET", "/api/ready");
    expect(ready).toMatchObject({ status: 200, body: { status: "ready", problems: [] } });
    // close() begins with this; a process's SIGTERM handler calls it first.
    platform.server.beginShutdown();
    const draining = await anonymous.request("GET", "/api/ready");
    expect(draining).toMatchObject({ status: 503, body: { status: "stopping", problems: ["the server is shutting down"] } });
    expect((await anonymous.request("GET", "/api/health")).status).toBe(200);
  });
});
