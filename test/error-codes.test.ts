import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { z } from "zod";
import { createApi, RequestError } from "../client/src/api.js";
import { awaitAck } from "../client/src/socket.js";
import { Approvals } from "../platform/approvals.js";
import { ConversationLog } from "../platform/conversation-log.js";
import { createLogger } from "../platform/logger.js";
import { Queues, queueLayout } from "../platform/queues.js";
import { connectRedis } from "../platform/redis.js";
import { WorkflowRegistry } from "../platform/workflow-registry.js";
import { ApiErrorBody, ERRORS, ErrorBody, ErrorCode } from "../shared/errors.js";
import { WORKFLOWS_QUEUE } from "../shared/jobs.js";
import { keys as keyNames, type Keys } from "../shared/keys.js";
import { WORKFLOW_SUMMARY_VERSION, type WorkflowSummary } from "../shared/workflow.js";
import { ApiClient, TEST_TOKEN, startPlatform, type Platform } from "./support/harness.js";
import { SocketClient } from "./support/socket-client.js";

const ALICE = "alice-token-0123456789";
const CAROL = "carol-token-0123456789";
const DAVE = "dave-token-01234567890";

// The server alone, with the registries and an approval written here as agents processes and runs would.
let platform: Platform;
let redis: Redis;
let keys: Keys;
let queues: Queues;
let approvals: Approvals;
let admin: ApiClient;
let alice: ApiClient;
let carol: ApiClient;
const sockets: SocketClient[] = [];

/** Every code a test below met, and where: the last test checks that none of the union is left out. */
const seen = new Map<ErrorCode, string>();

/** A refused acknowledgement exactly as the shared type describes it. */
const AckRefusal = z.object({ ok: z.literal(false), error: ErrorBody }).strict();
/** `data` of a refused connection. */
const ConnectRefusal = z.object({ code: ErrorCode, retryAfter: z.number().optional() }).strict();

/** Workflow `name` with a small input schema and no runner: its runs stay as they are written. */
function workflow(name: string, inputSchema: Record<string, unknown>): WorkflowSummary {
  return {
    v: WORKFLOW_SUMMARY_VERSION,
    name,
    description: `The ${name} workflow, written by hand for a test.`,
    version: `v-${name}-1`,
    inputSchema,
    graph: { nodes: [{ id: "start", kind: "start", label: "start" }, { id: "end", kind: "end", label: "end" }], edges: [{ from: "start", to: "end" }] },
    budget: { modelCalls: { min: 0, max: 0 }, approvals: 0, agentRuns: 0, unboundedSteps: [] },
    source: "code",
    updatedAt: new Date().toISOString(),
  };
}

beforeAll(async () => {
  platform = await startPlatform({
    agents: false,
    env: { SWITCHBOARD_USERS: `alice:${ALICE},carol:${CAROL},dave:${DAVE}`, SWITCHBOARD_RATE_MESSAGES: "1" },
  });
  redis = await connectRedis(inject("redisUrl"));
  keys = keyNames(platform.config.prefix);
  queues = new Queues(redis, keys, queueLayout(platform.config));
  approvals = new Approvals(redis, keys, new ConversationLog(redis, keys, createLogger("silent"), platform.config.retention), queues);
  await new WorkflowRegistry(redis, keys, createLogger("silent")).putAll([
    workflow("ticket", z.toJSONSchema(z.object({ orderId: z.string() })) as Record<string, unknown>),
    workflow("odd-schema", { type: "no-such-type" }),
  ]);
  admin = platform.api;
  alice = new ApiClient(platform.server.url, ALICE);
  carol = new ApiClient(platform.server.url, CAROL);
});
afterAll(async () => {
  for (const socket of sockets) socket.close();
  await platform.close();
  await queues.close();
  await redis.quit();
});

/** A REST refusal: its body parses with `ApiErrorBody`, its code is `code`, its status the code's own. */
function refusedOverRest(response: { status: number; body: Record<string, unknown> }, code: ErrorCode, status: number = ERRORS[code].status) {
  const parsed = ApiErrorBody.safeParse(response.body);
  expect(parsed.success, `${JSON.stringify(response.body)} parses with ApiErrorBody`).toBe(true);
  expect(parsed.data?.error.code).toBe(code);
  expect(response.status, code).toBe(status);
  seen.set(code, "REST");
  return parsed.data?.error;
}

/** A socket refusal: the ack parses with the shared ack type, and its code is `code`. */
function refusedOverSocket(ack: unknown, code: ErrorCode) {
  const parsed = AckRefusal.safeParse(ack);
  expect(parsed.success, `${JSON.stringify(ack)} parses as a refused ack`).toBe(true);
  expect(parsed.data?.error.code).toBe(code);
  seen.set(code, "socket");
  return parsed.data?.error;
}

async function connect(token: string): Promise<SocketClient> {
  const client = new SocketClient(platform.server.url, token);
  sockets.push(client);
  await client.connected();
  return client;
}

/** What a refused connection carries, parsed with the shared shape. */
async function refusedConnection(token: string | undefined, code: ErrorCode): Promise<void> {
  const client = new SocketClient(platform.server.url, token);
  sockets.push(client);
  const refusal: unknown = await client.connected().then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(refusal).toBeInstanceOf(Error);
  expect(ConnectRefusal.parse((refusal as { data?: unknown }).data).code).toBe(code);
  seen.set(code, "socket handshake");
}

const emit = (client: SocketClient, event: "conversation:join" | "message:send" | "approval:decide", payload: unknown): Promise<unknown> =>
  client.socket.timeout(10_000).emitWithAck(event, payload as never);

/** A pending approval in a new conversation of the admin's; its job reference names a job that does not exist. */
async function pendingApproval() {
  return approvals.request({
    id: `ap${randomUUID().replaceAll("-", "")}`,
    conversationId: await admin.createConversation(),
    owner: "local",
    runId: `w${randomUUID().replaceAll("-", "").slice(0, 16)}`,
    kind: "workflow",
    title: "Refund order 1042?",
    data: { orderId: "1042" },
    workflow: "ticket",
    path: "approve",
    requestedAt: new Date().toISOString(),
    onTimeout: "reject",
    job: { queue: WORKFLOWS_QUEUE, id: `missing-${randomUUID()}` },
  });
}

/** A conversation whose metadata Redis cannot read as a hash: reading it fails inside the server. */
async function brokenConversation(): Promise<string> {
  const id = `cBroken${randomUUID().replaceAll("-", "").slice(0, 12)}`;
  await redis.set(keys.meta(id), "not a hash");
  return id;
}

describe("one error taxonomy", () => {
  it("answers every bad REST request with a body of the shared schema and its code's status", async () => {
    refusedOverRest(await new ApiClient(platform.server.url, undefined).request("GET", "/api/conversations"), "missing_token");
    refusedOverRest(await new ApiClient(platform.server.url, "wrong-token-wrong-token").request("GET", "/api/conversations"), "invalid_token");
    refusedOverRest(await admin.request("POST", "/api/conversations", undefined, { raw: '{"title": ' }), "malformed_json");
    refusedOverRest(await admin.request("POST", "/api/conversations", undefined, { raw: JSON.stringify({ title: "x".repeat(300_000) }) }), "payload_too_large");
    const latin = await fetch(`${platform.server.url}/api/conversations`, {
      method: "POST",
      headers: { authorization: `Bearer ${TEST_TOKEN}`, "content-type": "application/json; charset=latin1" },
      body: "{}",
    });
    refusedOverRest({ status: latin.status, body: (await latin.json()) as Record<string, unknown> }, "bad_request", 415);
    refusedOverRest(await admin.request("POST", "/api/conversations", { title: "t", admin: true }), "invalid_request");
    refusedOverRest(await admin.request("GET", "/api/nothing-here"), "not_found");

    const id = await admin.createConversation();
    refusedOverRest(await admin.request("POST", `/api/conversations/${id}/messages`, { text: " " }), "invalid_message");
    refusedOverRest(await admin.request("GET", `/api/conversations/${id}/events?after=yesterday`), "invalid_query");
    refusedOverRest(await alice.request("GET", `/api/conversations/${id}`), "unknown_conversation");

    // No agents process here: the turn stays queued, and a conversation with a turn going is not deleted.
    const busy = await alice.createConversation();
    const eventId = await alice.send(busy, "Wait for me");
    const refusedDelete = await alice.request("DELETE", `/api/conversations/${busy}`);
    refusedOverRest(refusedDelete, "turn_running");
    expect(refusedDelete.body.runs).toEqual([`${busy}-${eventId}`]);
    expect((await alice.request("GET", `/api/conversations/${busy}`)).status).toBe(200);
    // Retry and edit wait for the turn going; a stop needs one going; retry names a message the log holds.
    refusedOverRest(await alice.request("POST", `/api/conversations/${busy}/messages/${eventId}/retry`, {}), "turn_running");
    refusedOverRest(await admin.request("POST", `/api/conversations/${id}/stop`, {}), "no_running_turn");
    refusedOverRest(await admin.request("POST", `/api/conversations/${id}/messages/1-0/retry`, {}), "unknown_message");

    const poet = { name: "poet", description: "Writes haiku poems about any topic.", instructions: "Answer with a haiku." };
    refusedOverRest(await alice.request("POST", "/api/agents", poet), "forbidden");
    refusedOverRest(await admin.request("POST", "/api/agents", { ...poet, description: "short" }), "invalid_agent");
    expect((await admin.request("POST", "/api/agents", poet)).status).toBe(201);
    refusedOverRest(await admin.request("POST", "/api/agents", poet), "agent_exists");
    refusedOverRest(await admin.request("GET", "/api/agents/nobody"), "unknown_agent");
    const manager = { name: "manager", description: "Reads each message and routes it to the team.", instructions: "Route." };
    expect((await admin.request("POST", "/api/agents", manager)).status).toBe(201);
    refusedOverRest(await admin.request("DELETE", "/api/agents/manager"), "protected");
    expect((await admin.request("PUT", "/api/agents/poet", { ...poet, enabled: false })).status).toBe(200);
    refusedOverRest(await admin.request("POST", "/api/conversations", { agent: "poet" }), "agent_unavailable");

    const docs = { name: "docs", url: "http://127.0.0.1:9/mcp" };
    refusedOverRest(await admin.request("POST", "/api/mcp-servers", { name: "shell", command: "sh" }), "invalid_mcp_server");
    expect((await admin.request("POST", "/api/mcp-servers", docs)).status).toBe(201);
    refusedOverRest(await admin.request("POST", "/api/mcp-servers", docs), "mcp_server_exists");
    refusedOverRest(await admin.request("DELETE", "/api/mcp-servers/nothing"), "unknown_mcp_server");

    refusedOverRest(await admin.request("GET", "/api/workflows/nothing"), "unknown_workflow");
    refusedOverRest(await admin.request("POST", "/api/workflows/ticket/runs", { input: { orderId: 7 } }), "invalid_input");
    refusedOverRest(await admin.request("POST", "/api/workflows/odd-schema/runs", { input: {} }), "invalid_workflow");
    refusedOverRest(await admin.request("GET", "/api/workflow-runs/wNoSuchRun"), "unknown_run");
    const started = await admin.request("POST", "/api/workflows/ticket/runs", { input: { orderId: "A-1" } });
    const { runId, conversationId } = started.body as { runId: string; conversationId: string };
    // Ended as a runner would end it.
    const state = JSON.parse((await redis.hget(keys.workflowRun(conversationId, runId), "state")) ?? "{}") as Record<string, unknown>;
    await redis.hset(keys.workflowRun(conversationId, runId), "state", JSON.stringify({ ...state, status: "completed", finishedAt: new Date().toISOString() }));
    const cancel = await admin.request("POST", `/api/workflow-runs/${runId}/cancel`);
    refusedOverRest(cancel, "run_finished");
    expect(cancel.body.run).toMatchObject({ runId, status: "completed" });

    refusedOverRest(await admin.request("POST", "/api/approvals/apNoSuchApproval", { decision: "approve" }), "unknown_approval");
    const approval = await pendingApproval();
    refusedOverRest(await admin.request("POST", `/api/approvals/${approval.id}`, { decision: "maybe" }), "invalid_decision");
    expect((await admin.request("POST", `/api/approvals/${approval.id}`, { decision: "approve" })).status).toBe(200);
    const again = await admin.request("POST", `/api/approvals/${approval.id}`, { decision: "reject" });
    refusedOverRest(again, "already_decided");
    expect(again.body.approval).toMatchObject({ id: approval.id, status: "approved" });
    const [requested] = await admin.events(approval.conversationId);
    expect(requested?.type).toBe("approval.requested");
    refusedOverRest(await admin.request("POST", `/api/conversations/${approval.conversationId}/messages/${requested?.id}/retry`, {}), "not_user_message");

    const carols = await carol.createConversation();
    expect((await carol.request("POST", `/api/conversations/${carols}/messages`, { text: "one" })).status).toBe(202);
    const limited = await carol.request("POST", `/api/conversations/${carols}/messages`, { text: "two" });
    refusedOverRest(limited, "rate_limited");
  });

  it("refuses bad socket handshakes and emits with the same codes, in the shared ack shape", async () => {
    await refusedConnection(undefined, "missing_token");
    await refusedConnection("wrong-token-wrong-token", "invalid_token");

    const client = await connect(TEST_TOKEN);
    const id = await admin.createConversation();
    refusedOverSocket(await emit(client, "conversation:join", { conversationId: id, after: "yesterday" }), "invalid_request");
    refusedOverSocket(await emit(client, "conversation:join", { conversationId: "cNoSuchConversation" }), "unknown_conversation");
    refusedOverSocket(await emit(client, "message:send", { conversationId: id, text: "", clientMsgId: "m1" }), "invalid_message");
    refusedOverSocket(await emit(client, "approval:decide", { approvalId: "ap1", decision: "maybe" }), "invalid_decision");
    refusedOverSocket(await emit(client, "approval:decide", { approvalId: "apNoSuchApproval", decision: "approve" }), "unknown_approval");
    const approval = await pendingApproval();
    expect(await emit(client, "approval:decide", { approvalId: approval.id, decision: "reject" })).toMatchObject({ ok: true });
    const again = refusedOverSocket(await emit(client, "approval:decide", { approvalId: approval.id, decision: "approve" }), "already_decided");
    expect(again?.message).toMatch(/^Already rejected by local at /);

    // Dave has sent nothing yet: his one message a minute is still there to use.
    const dave = await connect(DAVE);
    const daves = await new ApiClient(platform.server.url, DAVE).createConversation();
    expect(await emit(dave, "message:send", { conversationId: daves, text: "one", clientMsgId: "d1" })).toMatchObject({ ok: true });
    refusedOverSocket(await emit(dave, "message:send", { conversationId: daves, text: "two", clientMsgId: "d2" }), "rate_limited");
  });

  it("answers a fault inside the server with `unavailable`, never with its internal message", async () => {
    const broken = await brokenConversation();
    const rest = refusedOverRest(await admin.request("GET", `/api/conversations/${broken}`), "unavailable");
    expect(rest?.message).toBe("The server could not complete the request; try again.");
    const client = await connect(TEST_TOKEN);
    const ack = refusedOverSocket(await emit(client, "conversation:join", { conversationId: broken }), "unavailable");
    expect(ack?.message).toBe("The server could not complete the request; try again.");
    for (const message of [rest?.message, ack?.message]) expect(message).not.toMatch(/WRONGTYPE|Redis|hash/i);
  });

  it("has met every code of the union, so each one is reachable as documented", () => {
    expect([...seen.keys()].sort()).toEqual([...ErrorCode.options].sort());
  });

  it("reaches the browser client typed, a code newer than the client as `unrecognized` with the server's words", async () => {
    const answer = (body: unknown) => async () => new Response(JSON.stringify(body), { status: 409, headers: { "content-type": "application/json" } });
    const known = await createApi("t", answer({ error: { code: "agent_exists", message: "Taken." } })).deleteAgent("poet").catch((error: unknown) => error);
    expect(known).toBeInstanceOf(RequestError);
    expect(known).toMatchObject({ code: "agent_exists", status: 409, message: "Taken." });
    const newer = await createApi("t", answer({ error: { code: "brand_new_code", message: "Something new." } })).deleteAgent("poet").catch((error: unknown) => error);
    expect(newer).toMatchObject({ code: "unrecognized", status: 409, message: "Something new." });

    const ack = (response: unknown) => awaitAck(z.unknown(), (callback) => callback(null, response));
    expect(await ack({ ok: false, error: { code: "already_decided", message: "Already approved." } })).toEqual({ ok: false, code: "already_decided", message: "Already approved." });
    expect(await ack({ ok: false, error: { code: "brand_new_code", message: "Something new." } })).toEqual({ ok: false, code: "unrecognized", message: "Something new." });
  });

  it("is the union and the statuses docs/api.md shows", async () => {
    const docs = await readFile(new URL("../docs/api.md", import.meta.url), "utf8");
    const union = /```ts\ntype ErrorCode =\n([\s\S]*?);\n```/.exec(docs)?.[1] ?? "";
    expect([...union.matchAll(/\| "([a-z_]+)"/g)].map((match) => match[1])).toEqual(ErrorCode.options);
    const rows = [...docs.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \|/gm)].map(([, code, status]) => [code, Number(status)]);
    expect(rows).toEqual(ErrorCode.options.map((code) => [code, ERRORS[code].status]));
  });
});
