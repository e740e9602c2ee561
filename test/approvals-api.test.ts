import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { Approvals, type ApprovalRequest } from "../platform/approvals.js";
import { ConversationLog } from "../platform/conversation-log.js";
import { createLogger } from "../platform/logger.js";
import { Queues, queueLayout } from "../platform/queues.js";
import { connectRedis } from "../platform/redis.js";
import type { Approval } from "../shared/approval.js";
import type { EventOf } from "../shared/events.js";
import { WORKFLOWS_QUEUE } from "../shared/jobs.js";
import { keys as keyNames } from "../shared/keys.js";
import type { AckResponse } from "../shared/socket-events.js";
import { ApiClient, TEST_TOKEN, startPlatform, type Platform } from "./support/harness.js";
import { SocketClient } from "./support/socket-client.js";

const ALICE = "alice-token-0123456789";
const BOB = "bob-token-0123456789ab";

// The server alone: approvals are created here as a run would create them, with the platform's classes.
let platform: Platform;
let redis: Redis;
let queues: Queues;
let approvals: Approvals;
let conversationLog: ConversationLog;
let alice: ApiClient;
let bob: ApiClient;
const sockets: SocketClient[] = [];

beforeAll(async () => {
  platform = await startPlatform({ agents: false, env: { SWITCHBOARD_USERS: `alice:${ALICE},bob:${BOB}` } });
  redis = await connectRedis(inject("redisUrl"));
  const keys = keyNames(platform.config.prefix);
  conversationLog = new ConversationLog(redis, keys, createLogger("silent"), platform.config.retention);
  queues = new Queues(redis, keys, queueLayout(platform.config));
  approvals = new Approvals(redis, keys, conversationLog, queues);
  alice = new ApiClient(platform.server.url, ALICE);
  bob = new ApiClient(platform.server.url, BOB);
});
afterAll(async () => {
  for (const socket of sockets) socket.close();
  await platform.close();
  await queues.close();
  await redis.quit();
});

const error = (body: Record<string, unknown>) => body.error as { code: string; message: string };

/** A pending approval in a new conversation of alice's; its job reference names a job that does not exist. */
async function requestApproval(fields: Partial<ApprovalRequest> = {}): Promise<Approval> {
  const conversationId = await alice.createConversation();
  return approvals.request({
    id: `ap${randomUUID().replaceAll("-", "")}`,
    conversationId,
    owner: "alice",
    runId: `w${randomUUID().replaceAll("-", "").slice(0, 16)}`,
    kind: "workflow",
    title: "Refund order 1042?",
    data: { orderId: "1042", amount: 25, lines: [] },
    workflow: "order-triage",
    path: "damaged/refund-ok",
    requestedAt: new Date().toISOString(),
    onTimeout: "reject",
    job: { queue: WORKFLOWS_QUEUE, id: `missing-${randomUUID()}` },
    ...fields,
  });
}

const decide = (client: ApiClient, id: string, body: unknown) => client.request("POST", `/api/approvals/${encodeURIComponent(id)}`, body);

async function approvalEvents(conversationId: string) {
  const events = await alice.events(conversationId);
  return {
    requested: events.filter((e): e is EventOf<"approval.requested"> => e.type === "approval.requested"),
    resolved: events.filter((e): e is EventOf<"approval.resolved"> => e.type === "approval.resolved"),
  };
}

async function connect(token: string): Promise<SocketClient> {
  const client = new SocketClient(platform.server.url, token);
  sockets.push(client);
  await client.connected();
  return client;
}

const decideOverSocket = (client: SocketClient, payload: unknown): Promise<AckResponse<{ approval: Approval }>> =>
  client.socket.emitWithAck("approval:decide", payload as never);

describe("approvals", () => {
  it("records a request once and logs it once, however often it is asked", async () => {
    const approval = await requestApproval();
    expect(approval).toMatchObject({ v: 1, status: "pending", owner: "alice" });
    const again = await approvals.request({ ...approval, title: "a different title" });
    expect(again).toEqual(approval);

    const { requested } = await approvalEvents(approval.conversationId);
    expect(requested).toHaveLength(1);
    expect(requested[0]).toMatchObject({
      runId: approval.runId,
      data: { approvalId: approval.id, kind: "workflow", title: "Refund order 1042?", data: { lines: [] }, onTimeout: "reject" },
    });

    const pending = await alice.request("GET", "/api/approvals?status=pending");
    expect(pending.status).toBe(200);
    expect((pending.body.approvals as Approval[]).map((a) => a.id)).toContain(approval.id);
  });

  it("decides once: 200 with the decision, an approval.resolved event, and off the pending list", async () => {
    const approval = await requestApproval();
    const decided = await decide(alice, approval.id, { decision: "approve", comment: "  fine by me " });
    expect(decided.status).toBe(200);
    expect(decided.body.approval).toMatchObject({ id: approval.id, status: "approved", decidedBy: "alice", comment: "fine by me" });
    // The stored record keeps the request as it was, empty array included.
    expect((decided.body.approval as Approval).data).toEqual({ orderId: "1042", amount: 25, lines: [] });

    const { resolved } = await approvalEvents(approval.conversationId);
    expect(resolved).toHaveLength(1);
    expect(resolved[0]).toMatchObject({
      runId: approval.runId,
      data: { approvalId: approval.id, decision: "approve", by: "alice", comment: "fine by me" },
    });

    const pending = (await alice.request("GET", "/api/approvals?status=pending")).body.approvals as Approval[];
    expect(pending.map((a) => a.id)).not.toContain(approval.id);
    const approved = (await alice.request("GET", "/api/approvals?status=approved")).body.approvals as Approval[];
    expect(approved.find((a) => a.id === approval.id)?.status).toBe("approved");
  });

  it("refuses a second decision with 409 naming who decided and when", async () => {
    const approval = await requestApproval();
    const first = await decide(alice, approval.id, { decision: "approve" });
    const decidedAt = (first.body.approval as Approval).decidedAt;
    const second = await decide(alice, approval.id, { decision: "reject", comment: "changed my mind" });
    expect(second.status).toBe(409);
    expect(error(second.body)).toEqual({ code: "already_decided", message: `Already approved by alice at ${decidedAt}.` });
    expect(second.body.approval).toMatchObject({ status: "approved", decidedBy: "alice" });
    expect((await approvalEvents(approval.conversationId)).resolved).toHaveLength(1);
  });

  it("says so when the timeout decided first", async () => {
    const approval = await requestApproval();
    expect(await approvals.decide(approval.id, "reject", "timeout")).toMatchObject({ outcome: "decided" });
    const late = await decide(alice, approval.id, { decision: "approve" });
    expect(late.status).toBe(409);
    expect(error(late.body).message).toMatch(/^Already rejected by the timeout at /);
    const { resolved } = await approvalEvents(approval.conversationId);
    expect(resolved.map((e) => e.data)).toEqual([{ approvalId: approval.id, decision: "reject", by: "timeout" }]);
  });

  it("hides another user's approval; the admin sees and decides everyone's", async () => {
    const approval = await requestApproval();
    const bobs = await decide(bob, approval.id, { decision: "approve" });
    expect(bobs.status).toBe(404);
    expect(error(bobs.body).code).toBe("unknown_approval");
    expect(((await bob.request("GET", "/api/approvals")).body.approvals as Approval[]).map((a) => a.id)).not.toContain(approval.id);

    const everyone = (await platform.api.request("GET", "/api/approvals?status=pending")).body.approvals as Approval[];
    expect(everyone.map((a) => a.id)).toContain(approval.id);
    const byAdmin = await decide(platform.api, approval.id, { decision: "reject" });
    expect(byAdmin.status).toBe(200);
    expect(byAdmin.body.approval).toMatchObject({ status: "rejected", decidedBy: "local" });
  });

  it("refuses unknown approvals and bad requests with clear errors", async () => {
    const unknown = await decide(alice, "apDoesNotExist", { decision: "approve" });
    expect(unknown.status).toBe(404);
    expect(error(unknown.body)).toEqual({ code: "unknown_approval", message: 'No approval "apDoesNotExist".' });

    const approval = await requestApproval();
    const badDecision = await decide(alice, approval.id, { decision: "maybe" });
    expect(badDecision.status).toBe(400);
    expect(error(badDecision.body).code).toBe("invalid_decision");
    expect(error(badDecision.body).message).toMatch(/decision/);
    const extra = await decide(alice, approval.id, { decision: "approve", by: "bob" });
    expect(extra.status).toBe(400);
    expect(error(extra.body).message).toMatch(/by/);
    const longComment = await decide(alice, approval.id, { decision: "approve", comment: "x".repeat(2001) });
    expect(longComment.status).toBe(400);
    expect(error(longComment.body).message).toMatch(/comment/);
    const badQuery = await alice.request("GET", "/api/approvals?status=maybe");
    expect(badQuery.status).toBe(400);
    expect(error(badQuery.body).code).toBe("invalid_query");

    // None of that decided anything.
    expect((await approvals.get(approval.id))?.status).toBe("pending");
  });

  it("lets exactly one of two concurrent decisions win", async () => {
    const approval = await requestApproval();
    const [a, b] = await Promise.all([
      decide(alice, approval.id, { decision: "approve" }),
      decide(platform.api, approval.id, { decision: "reject" }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const winner = (a.status === 200 ? a : b).body.approval as Approval;
    expect((a.status === 409 ? a : b).body.approval).toEqual(winner);
    const { resolved } = await approvalEvents(approval.conversationId);
    expect(resolved).toHaveLength(1);
    expect(resolved[0]?.data.by).toBe(winner.decidedBy);

    // Many at once, through the class itself: one decision, the rest see it.
    const many = await requestApproval();
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, (_, i) => approvals.decide(many.id, i % 2 ? "approve" : "reject", `user${i}`)),
    );
    expect(outcomes.filter((o) => o.outcome === "decided")).toHaveLength(1);
    expect(outcomes.filter((o) => o.outcome === "already_decided")).toHaveLength(11);
    expect((await approvalEvents(many.conversationId)).resolved).toHaveLength(1);
  });

  it("wakes the job parked for the decision; a missing job is simply not woken", async () => {
    const jobId = `park-${randomUUID()}`;
    const conversationId = await alice.createConversation();
    // The job is where the conversation's work goes: its shard's queues.
    const queue = queues.queueFor(WORKFLOWS_QUEUE, conversationId);
    await queue.add("parked", { parked: true }, { jobId, delay: 3_600_000 });
    expect(await queue.getJobState(jobId)).toBe("delayed");

    const approval = await requestApproval({ conversationId, job: { queue: WORKFLOWS_QUEUE, id: jobId } });
    expect((await decide(alice, approval.id, { decision: "approve" })).status).toBe(200);
    expect(await queue.getJobState(jobId)).toBe("waiting");

    expect(await queues.wake({ conversationId }, WORKFLOWS_QUEUE, `missing-${randomUUID()}`)).toBe(false);
  });
});

describe("approval:decide over Socket.IO", () => {
  it("decides with the same outcomes and codes as REST", async () => {
    const client = await connect(ALICE);
    const approval = await requestApproval();
    const decided = await decideOverSocket(client, { approvalId: approval.id, decision: "reject", comment: "no" });
    expect(decided).toMatchObject({ ok: true, data: { approval: { id: approval.id, status: "rejected", decidedBy: "alice", comment: "no" } } });

    const again = await decideOverSocket(client, { approvalId: approval.id, decision: "approve" });
    if (again.ok) throw new Error("a second decision was accepted");
    expect(again.error.code).toBe("already_decided");
    expect(again.error.message).toMatch(/^Already rejected by alice at /);

    const { resolved } = await approvalEvents(approval.conversationId);
    expect(resolved.map((e) => e.data)).toEqual([{ approvalId: approval.id, decision: "reject", by: "alice", comment: "no" }]);
  });

  it("hides another user's approval and refuses malformed payloads", async () => {
    const approval = await requestApproval();
    const bobsSocket = await connect(BOB);
    expect(await decideOverSocket(bobsSocket, { approvalId: approval.id, decision: "approve" })).toEqual({
      ok: false,
      error: { code: "unknown_approval", message: `No approval "${approval.id}".` },
    });

    const client = await connect(ALICE);
    for (const payload of [undefined, "approve", { approvalId: approval.id }, { approvalId: approval.id, decision: "yes" }, { approvalId: "", decision: "approve" }, { approvalId: approval.id, decision: "approve", by: "bob" }]) {
      const answer = await decideOverSocket(client, payload);
      if (answer.ok) throw new Error(`accepted ${JSON.stringify(payload)}`);
      expect(answer.error.code).toBe("invalid_decision");
      expect(answer.error.message.length).toBeGreaterThan(0);
    }
    expect((await approvals.get(approval.id))?.status).toBe("pending");

    const admin = await connect(TEST_TOKEN);
    const byAdmin = await decideOverSocket(admin, { approvalId: approval.id, decision: "approve" });
    expect(byAdmin).toMatchObject({ ok: true, data: { approval: { decidedBy: "local" } } });
  });

  it("lets one of a socket decision and a REST decision win", async () => {
    const approval = await requestApproval();
    const client = await connect(ALICE);
    const [overSocket, overRest] = await Promise.all([
      decideOverSocket(client, { approvalId: approval.id, decision: "approve" }),
      decide(alice, approval.id, { decision: "reject" }),
    ]);
    const socketWon = overSocket.ok;
    expect(overRest.status).toBe(socketWon ? 409 : 200);
    if (!socketWon) expect(overSocket.error.code).toBe("already_decided");
    expect((await approvalEvents(approval.conversationId)).resolved).toHaveLength(1);
  });
});
