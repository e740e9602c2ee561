/**
 * The agents process run alone (`npm run start:agents`), as docs/operations.md describes it: its
 * optional listener (`SWITCHBOARD_AGENTS_PORT`) for /health, /ready and /metrics, its workers named
 * after it, and its OpenTelemetry traces, sent over OTLP/HTTP to a collector this test plays.
 */
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../platform/redis-server.js";
import { AgentsProcess } from "./support/agents-process.js";
import { reportIfStillWaiting, startPlatform, TEST_TOKEN, turnFinished, type Platform } from "./support/harness.js";

/** A span as OTLP/HTTP JSON carries it. */
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes?: { key: string; value: { stringValue?: string; intValue?: string | number; boolValue?: boolean } }[];
}
interface OtlpExport {
  resourceSpans?: { resource?: { attributes?: OtlpSpan["attributes"] }; scopeSpans?: { spans?: OtlpSpan[] }[] }[];
}

/** A stand-in collector: accepts OTLP/HTTP JSON exports at /v1/traces and keeps their spans. */
class Collector {
  readonly spans: OtlpSpan[] = [];
  readonly resources: Record<string, unknown>[] = [];
  private listeners = new Set<() => void>();
  private constructor(private readonly server: Server) {}

  static async start(): Promise<Collector> {
    const collector: Collector = new Collector(
      createServer((request, response) => {
        let body = "";
        request.on("data", (chunk: Buffer) => (body += chunk.toString()));
        request.on("end", () => {
          if (request.url === "/v1/traces" && request.headers["content-type"]?.startsWith("application/json")) {
            const exported = JSON.parse(body) as OtlpExport;
            for (const resourceSpans of exported.resourceSpans ?? []) {
              collector.resources.push(attributes(resourceSpans.resource?.attributes));
              for (const scope of resourceSpans.scopeSpans ?? []) collector.spans.push(...(scope.spans ?? []));
            }
            for (const listener of collector.listeners) listener();
            response.writeHead(200, { "content-type": "application/json" }).end("{}");
          } else {
            response.writeHead(415).end();
          }
        });
      }),
    );
    await new Promise<void>((resolve) => collector.server.listen(0, "127.0.0.1", resolve));
    return collector;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Resolves once `done` holds for the spans received (checked on each export). */
  async until(what: string, done: (spans: OtlpSpan[]) => boolean): Promise<void> {
    if (done(this.spans)) return;
    const over = reportIfStillWaiting(what, () => `received ${this.spans.length} spans: ${this.spans.map((span) => span.name).join(", ")}`);
    await new Promise<void>((resolve) => {
      const check = () => {
        if (!done(this.spans)) return;
        this.listeners.delete(check);
        resolve();
      };
      this.listeners.add(check);
    });
    over();
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

function attributes(list: OtlpSpan["attributes"]): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map(({ key, value }) => [key, value.stringValue ?? (value.intValue !== undefined ? Number(value.intValue) : value.boolValue)]));
}

let platform: Platform;
let collector: Collector;
let agents: AgentsProcess;
let opsUrl: string;

beforeAll(async () => {
  collector = await Collector.start();
  platform = await startPlatform({ agents: false });
  const port = await freePort();
  opsUrl = `http://127.0.0.1:${port}`;
  agents = await AgentsProcess.start({
    SWITCHBOARD_PREFIX: platform.config.prefix,
    SWITCHBOARD_AGENTS_PORT: String(port),
    OFFLINE_MODEL_DELAY_MS: "0",
    OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
    OTEL_SERVICE_NAME: "switchboard-agents-test",
    // Export each batch within 100 ms rather than 5 s.
    OTEL_BSP_SCHEDULE_DELAY: "100",
  });
}, 120_000);
afterAll(async () => {
  await agents?.kill();
  await platform?.close();
  await collector?.close();
});

async function get(path: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${opsUrl}${path}`, { headers });
  return { status: response.status, text: await response.text() };
}

describe("the agents process's own listener", () => {
  it("answers /health and /ready without a token once its workers run", async () => {
    const ready = await get("/ready");
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.text)).toEqual({ status: "ready", problems: [] });
    const health = await get("/health");
    expect(health.status).toBe(200);
    const body = JSON.parse(health.text) as Record<string, unknown>;
    expect(body).toMatchObject({
      status: "ok",
      failing: [],
      redis: { ok: true },
      agents: { ok: true, state: "ready", worker: expect.stringMatching(new RegExp(`:${agents.child.pid}$`)) },
    });
    expect((body.agents as { workers: Record<string, unknown> }).workers.manager).toEqual({ running: true, paused: false });
  });

  it("names its workers after host and process in the agents ready log line", () => {
    const line = agents.printed().split("\n").find((text) => text.includes('"agents ready"')) ?? "";
    expect(JSON.parse(line)).toMatchObject({ worker: expect.stringMatching(new RegExp(`^.+:${agents.child.pid}$`)), opsUrl });
  });

  it("serves /metrics to the admin token only", async () => {
    expect((await get("/metrics")).status).toBe(401);
    expect((await get("/metrics", { authorization: "Bearer not-the-admin-token-at-all" })).status).toBe(401);
    const metrics = await get("/metrics", { authorization: `Bearer ${TEST_TOKEN}` });
    expect(metrics.status).toBe(200);
    expect(metrics.text).toMatch(/^# TYPE switchboard_runs_started_total counter$/m);
    expect((await get("/nothing")).status).toBe(404);
  });
});

describe("a turn through the agents process", () => {
  it("is counted in its metrics and traced: a run span per agent, each with its model calls as children", { timeout: 60_000 }, async () => {
    const conversationId = await platform.api.createConversation();
    const sent = await platform.api.send(conversationId, "What is 17.5% of 2,480?");
    await platform.api.waitFor(conversationId, turnFinished, { after: sent });

    const metrics = await get("/metrics", { authorization: `Bearer ${TEST_TOKEN}` });
    expect(metrics.text).toMatch(/^switchboard_runs_started_total\{agent="manager"\} 1$/m);
    expect(metrics.text).toMatch(/^switchboard_runs_started_total\{agent="calculator"\} 1$/m);

    const runSpan = (spans: OtlpSpan[], agent: string) =>
      spans.find((span) => span.name === `run ${agent}` && attributes(span.attributes)["switchboard.conversation.id"] === conversationId);
    const modelCalls = (spans: OtlpSpan[], run: OtlpSpan | undefined) => spans.filter((span) => run && span.parentSpanId === run.spanId && span.name === "chat offline");
    // The worker's `process` span ends after the run span inside it: it may come in a later export.
    const processSpan = (spans: OtlpSpan[], agent: string) => spans.find((span) => span.spanId === runSpan(spans, agent)?.parentSpanId);
    await collector.until("a run span for the manager and the calculator, each with its model calls and inside its queue hop", (spans) =>
      ["manager", "calculator"].every((agent) => modelCalls(spans, runSpan(spans, agent)).length > 0 && processSpan(spans, agent) !== undefined),
    );

    const spans = collector.spans;
    for (const agent of ["manager", "calculator"]) {
      const run = runSpan(spans, agent);
      expect(attributes(run?.attributes)).toMatchObject({ "switchboard.agent": agent, "switchboard.run.next": "finish", "switchboard.run.status": "completed" });
      for (const call of modelCalls(spans, run)) {
        expect(attributes(call.attributes)).toMatchObject({ "gen_ai.request.model": "offline", "switchboard.agent": agent });
        expect(attributes(call.attributes)["gen_ai.usage.input_tokens"]).toBeGreaterThan(0);
      }
      // The queue hop: BullMQ's span for processing the job (bullmq-otel) is the run span's parent.
      expect(processSpan(spans, agent)?.name).toBe(`process ${agent}`);
    }
    // The producer side of the hop: the manager's handoff added the calculator's job inside the
    // manager's trace, so the whole turn is one trace.
    expect(runSpan(spans, "calculator")?.traceId).toBe(runSpan(spans, "manager")?.traceId);
    expect(collector.resources[0]).toMatchObject({ "service.name": "switchboard-agents-test", "service.instance.id": expect.stringMatching(new RegExp(`:${agents.child.pid}$`)) });
  });
});

describe("shutdown", () => {
  it("ends on SIGTERM with a clean exit", async () => {
    const exited = once(agents.child, "exit");
    agents.child.kill("SIGTERM");
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
    // Its listener is gone with it.
    await expect(fetch(`${opsUrl}/ready`)).rejects.toThrow();
  });
});
