import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { z } from "zod";
import { createLogger } from "../platform/logger.js";
import { connectRedis } from "../platform/redis.js";
import { WorkflowRegistry } from "../platform/workflow-registry.js";
import { keys as keyNames, type Keys } from "../shared/keys.js";
import { WORKFLOW_SUMMARY_VERSION, type WorkflowRunLine, type WorkflowRunView, type WorkflowSummary } from "../shared/workflow.js";
import { ApiClient, startPlatform, type Platform } from "./support/harness.js";

const ALICE = "alice-token-0123456789";
const BOB = "bob-token-0123456789ab";

// The server alone: the registry is written here as an agents process would write it; no runner picks up the runs.
let platform: Platform;
let redis: Redis;
let keys: Keys;
let registry: WorkflowRegistry;
let alice: ApiClient;
let bob: ApiClient;

const OrderIssue = z.object({
  orderId: z.string().min(3).max(12),
  kind: z.enum(["damaged", "wrong_item", "late"]),
  amount: z.number().min(0).max(10_000),
  note: z.string().max(200).optional(),
});

function summary(name: string, fields: Partial<WorkflowSummary> = {}): WorkflowSummary {
  return {
    v: WORKFLOW_SUMMARY_VERSION,
    name,
    description: `The ${name} workflow, written by hand for a test.`,
    version: `v-${name}-1`,
    inputSchema: z.toJSONSchema(OrderIssue) as Record<string, unknown>,
    graph: {
      nodes: [
        { id: "start", kind: "start", label: "start" },
        { id: "classify", kind: "llm", label: "classify" },
        { id: "end", kind: "end", label: "end" },
      ],
      edges: [
        { from: "start", to: "classify" },
        { from: "classify", to: "end" },
      ],
    },
    budget: { modelCalls: { min: 1, max: 3 }, approvals: 1, agentRuns: 0, unboundedSteps: [] },
    source: "code",
    updatedAt: new Date().toISOString(),
    ...fields,
  };
}

const VALID_INPUT = { orderId: "A-1042", kind: "damaged", amount: 25 };

beforeAll(async () => {
  platform = await startPlatform({ agents: false, env: { SWITCHBOARD_USERS: `alice:${ALICE},bob:${BOB}` } });
  redis = await connectRedis(inject("redisUrl"));
  keys = keyNames(platform.config.prefix);
  registry = new WorkflowRegistry(redis, keys, createLogger("silent"));
  await registry.putAll([summary("order-triage"), summary("content-pipeline", { source: "catalog", origin: "catalog/content.yaml" })]);
  alice = new ApiClient(platform.server.url, ALICE);
  bob = new ApiClient(platform.server.url, BOB);
});
afterAll(async () => {
  await platform.close();
  await redis.quit();
});

const error = (body: Record<string, unknown>) => body.error as { code: string; message: string };
const start = (client: ApiClient, name: string, body: unknown) => client.request("POST", `/api/workflows/${name}/runs`, body);

describe("workflow registry through REST", () => {
  it("lists workflows sorted by name and reads one", async () => {
    const listed = await alice.request("GET", "/api/workflows");
    expect(listed.status).toBe(200);
    const workflows = listed.body.workflows as WorkflowSummary[];
    expect(workflows.map((w) => w.name)).toEqual(["content-pipeline", "order-triage"]);
    expect(workflows[1]).toEqual(summary("order-triage", { updatedAt: workflows[1]?.updatedAt }));

    const one = await alice.request("GET", "/api/workflows/content-pipeline");
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ name: "content-pipeline", source: "catalog", origin: "catalog/content.yaml", budget: { modelCalls: { max: 3 } } });
  });

  it("answers 404 for an unknown workflow", async () => {
    for (const name of ["no-such-flow", "NOT_A_NAME!"]) {
      const response = await alice.request("GET", `/api/workflows/${encodeURIComponent(name)}`);
      expect(response.status).toBe(404);
      expect(error(response.body)).toEqual({ code: "unknown_workflow", message: `No workflow named "${name}".` });
    }
    const run = await start(alice, "no-such-flow", { input: VALID_INPUT });
    expect(run.status).toBe(404);
    expect(error(run.body).code).toBe("unknown_workflow");
  });

  it("skips an unreadable registry entry, and removes and keeps sources", async () => {
    await redis.hset(keys.workflows(), "broken-entry", "{not json");
    await registry.putAll([summary("short-lived")]);
    const names = ((await alice.request("GET", "/api/workflows")).body.workflows as WorkflowSummary[]).map((w) => w.name);
    expect(names).toEqual(["content-pipeline", "order-triage", "short-lived"]);
    await registry.remove(["broken-entry", "short-lived"]);
    expect((await registry.list()).map((w) => w.name).sort()).toEqual(["content-pipeline", "order-triage"]);
    expect(await registry.get("short-lived")).toBeUndefined();

    const source = { name: "content-pipeline", steps: [{ llm: "draft" }], tags: [] };
    await registry.saveSource("v-content-pipeline-1", source);
    expect(await registry.source("v-content-pipeline-1")).toEqual(source);
    expect(await registry.source("v-unknown")).toBeUndefined();
  });
});

describe("starting workflow runs", () => {
  it("refuses input that does not fit the input schema, naming each field", async () => {
    const wrong = await start(alice, "order-triage", { input: { orderId: "A", kind: "lost", amount: "lots" } });
    expect(wrong.status).toBe(400);
    expect(error(wrong.body).code).toBe("invalid_input");
    const message = error(wrong.body).message;
    expect(message).toMatch(/input\.orderId/);
    expect(message).toMatch(/>=3 characters/);
    expect(message).toMatch(/input\.kind/);
    expect(message).toMatch(/"damaged"\|"wrong_item"\|"late"/);
    expect(message).toMatch(/input\.amount/);
    expect(message).not.toMatch(/input\.note/);

    const extra = await start(alice, "order-triage", { input: { ...VALID_INPUT, admin: true } });
    expect(extra.status).toBe(400);
    expect(error(extra.body).message).toMatch(/admin/);

    const missing = await start(alice, "order-triage", {});
    expect(missing.status).toBe(400);
    expect(error(missing.body).code).toBe("invalid_input");
    expect(error(missing.body).message).toMatch(/expected object/);

    const badBody = await start(alice, "order-triage", { input: VALID_INPUT, priority: "high" });
    expect(badBody.status).toBe(400);
    expect(error(badBody.body).code).toBe("invalid_request");

    const badConversation = await start(alice, "order-triage", { input: VALID_INPUT, conversationId: "x" });
    expect(badConversation.status).toBe(400);
    expect(error(badConversation.body).message).toMatch(/conversationId/);

    // Nothing was started by any of these.
    expect((await alice.request("GET", "/api/workflow-runs")).body.runs).toEqual([]);
  });

  it("says so when the registry holds an input schema it cannot use", async () => {
    await registry.putAll([summary("odd-schema", { inputSchema: { type: "no-such-type" } })]);
    const refused = await start(alice, "odd-schema", { input: VALID_INPUT });
    expect(refused.status).toBe(500);
    expect(error(refused.body)).toEqual({
      code: "invalid_workflow",
      message: 'The input schema of workflow "odd-schema" cannot be used; see the server log.',
    });
    await registry.remove(["odd-schema"]);
  });

  it("runs only in the caller's own conversation", async () => {
    const bobsConversation = await bob.createConversation();
    const refused = await start(alice, "order-triage", { input: VALID_INPUT, conversationId: bobsConversation });
    expect(refused.status).toBe(404);
    expect(error(refused.body).code).toBe("unknown_conversation");
  });

  it("starts a run (202) in a new conversation named after the workflow, visible to its owner and the admin", async () => {
    const started = await start(alice, "order-triage", { input: { ...VALID_INPUT, note: "box crushed" } });
    expect(started.status).toBe(202);
    const { runId, conversationId } = started.body as { runId: string; conversationId: string };
    expect(runId).toMatch(/^w[a-zA-Z0-9]{16}$/);
    const conversations = (await alice.request("GET", "/api/conversations")).body.conversations as { id: string; title: string }[];
    expect(conversations.find((c) => c.id === conversationId)?.title).toBe("Workflow: order-triage");

    const view = await alice.request("GET", `/api/workflow-runs/${runId}`);
    expect(view.status).toBe(200);
    expect(view.body as WorkflowRunView).toMatchObject({
      runId,
      workflow: "order-triage",
      conversationId,
      owner: "alice",
      input: { ...VALID_INPUT, note: "box crushed" },
      budget: { modelCalls: { min: 1, max: 3 } },
    });
    expect((await platform.api.request("GET", `/api/workflow-runs/${runId}`)).status).toBe(200);
    const hidden = await bob.request("GET", `/api/workflow-runs/${runId}`);
    expect(hidden.status).toBe(404);
    expect(error(hidden.body).code).toBe("unknown_run");
    expect((await bob.request("POST", `/api/workflow-runs/${runId}/cancel`)).status).toBe(404);

    const lines = (await alice.request("GET", "/api/workflow-runs")).body.runs as WorkflowRunLine[];
    expect(lines.map((l) => l.runId)).toContain(runId);
    expect((await alice.request("GET", "/api/workflow-runs?workflow=content-pipeline")).body.runs).toEqual([]);
    expect((await bob.request("GET", "/api/workflow-runs")).body.runs).toEqual([]);
    expect((await alice.request("GET", "/api/workflow-runs?workflow=Bad!")).status).toBe(400);
  });

  it("runs in a conversation the caller names, and lists runs newest first", async () => {
    const conversationId = await alice.createConversation();
    const first = await start(alice, "content-pipeline", { input: VALID_INPUT, conversationId });
    const second = await start(alice, "content-pipeline", { input: VALID_INPUT, conversationId });
    expect(first.status).toBe(202);
    expect(second.body.conversationId).toBe(conversationId);
    const lines = (await alice.request("GET", "/api/workflow-runs?workflow=content-pipeline")).body.runs as WorkflowRunLine[];
    expect(lines.map((l) => l.runId).sort()).toEqual([first.body.runId, second.body.runId].sort());
    const times = lines.map((l) => l.startedAt);
    expect(times).toEqual([...times].sort().reverse());
  });

  it("cancels a run it owns, and answers 404 for unknown runs", async () => {
    const started = await start(alice, "order-triage", { input: VALID_INPUT });
    const runId = started.body.runId as string;
    const cancelled = await alice.request("POST", `/api/workflow-runs/${runId}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ runId, workflow: "order-triage" });

    for (const id of ["wAAAAAAAAAAAAAAAA", "not-a-run"]) {
      const unknown = await alice.request("GET", `/api/workflow-runs/${id}`);
      expect(unknown.status).toBe(404);
      expect(error(unknown.body)).toEqual({ code: "unknown_run", message: `No workflow run "${id}".` });
      expect((await alice.request("POST", `/api/workflow-runs/${id}/cancel`)).status).toBe(404);
    }
  });
});
