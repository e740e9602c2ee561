/**
 * Two people on one platform (SWITCHBOARD_USERS), each with conversations, a workflow run waiting
 * for an approval, a run that has ended and an approval decided with a comment. Everything Bob
 * tries on Alice's things — reading, long-polling, joining, posting, deciding, cancelling, starting
 * a run in her conversation, changing the team — is refused as docs/security.md says (404 as if it
 * did not exist; 403 for the team), over REST and the socket; no response, acknowledgement or
 * live event Bob gets carries anything of Alice's (her secret marker, her ids in a list); and
 * Alice's things are as they were. The admin cannot read Alice's conversations either.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Event } from "../../shared/events.js";
import { turnFinished } from "../../shared/turn-status.js";
import { ApiClient, TEST_TOKEN, startPlatform, type Platform } from "../support/harness.js";
import { approvalAsked, runEnded, startRun } from "../support/workflow-client.js";
import { recordFaultRow } from "./support/fault-table.js";
import { loggedTwice } from "./support/follow.js";
import { connectLoose, handshake, request, type LooseSocket } from "./support/socket-emit.js";

const ALICE = "alice-token-0123456789";
const BOB = "bob-token-0123456789ab";
/** In Alice's titles, messages, workflow inputs and approval comments: it must never reach Bob. */
const SECRET = `alice-secret-${randomUUID()}`;

let platform: Platform;
let alice: ApiClient;
let bob: ApiClient;
const sockets: LooseSocket[] = [];

/** Alice's things. */
const her = {
  conversationId: "",
  lastEventId: "",
  clientMsgId: "alice-message-1",
  waitingRun: { runId: "", conversationId: "" },
  endedRun: { runId: "", conversationId: "" },
  pendingApproval: "",
  decidedApproval: "",
};

interface Attempt {
  who: "bob" | "admin";
  over: "REST" | "socket";
  what: string;
  /** Refused as the API defines it. */
  refused: boolean;
  /** Alice's marker or ids appeared in what came back. */
  leaked: boolean;
  got: string;
}
const attempts: Attempt[] = [];
const tally = { http5xx: 0, lost: 0, failed: 0, duplicated: 0, recorded: false };

beforeAll(async () => {
  platform = await startPlatform({ env: { SWITCHBOARD_USERS: `alice:${ALICE},bob:${BOB}` } });
  alice = new ApiClient(platform.server.url, ALICE);
  bob = new ApiClient(platform.server.url, BOB);

  // Alice: a conversation titled with her secret, with a turn in it…
  const created = await alice.request("POST", "/api/conversations", { title: `Plans ${SECRET}` });
  her.conversationId = created.body.id as string;
  const posted = await alice.request("POST", `/api/conversations/${her.conversationId}/messages`, {
    text: `What is 17.5% of 2,480? ${SECRET}`,
    clientMsgId: her.clientMsgId,
  });
  const turn = await alice.waitFor(her.conversationId, turnFinished, { after: posted.body.eventId as string });
  her.lastEventId = turn.at(-1)?.id ?? "";
  // …a run waiting for her approval, and one she approved with a comment (ended).
  her.waitingRun = await startRun(alice, "order-triage", { orderId: "4411", message: `The teapot arrived cracked ${SECRET}` });
  her.endedRun = await startRun(alice, "order-triage", { orderId: "4414", message: `Two cups arrived broken ${SECRET}` });
  const approvalOf = async (run: { runId: string; conversationId: string }) => {
    const events = await alice.waitFor(run.conversationId, approvalAsked(run.runId));
    return (events.find((e) => e.type === "approval.requested" && e.runId === run.runId)?.data as { approvalId: string }).approvalId;
  };
  [her.pendingApproval, her.decidedApproval] = await Promise.all([approvalOf(her.waitingRun), approvalOf(her.endedRun)]);
  const decided = await alice.request("POST", `/api/approvals/${her.decidedApproval}`, { decision: "approve", comment: `ok ${SECRET}` });
  expect(decided.status).toBe(200);
  await alice.waitFor(her.endedRun.conversationId, runEnded(her.endedRun.runId));
}, 120_000);

afterAll(async () => {
  for (const socket of sockets) socket.close();
  if (!tally.recorded) record();
  await platform?.close();
});

/** Alice's ids that must not show up in Bob's lists (an error echoing the id Bob sent is not a leak). */
const herIds = () => [her.conversationId, her.waitingRun.runId, her.endedRun.runId, her.pendingApproval, her.decidedApproval, her.waitingRun.conversationId, her.endedRun.conversationId];

function leaks(text: string, idsToo: boolean): boolean {
  return text.includes(SECRET) || (idsToo && herIds().some((id) => text.includes(id)));
}

/** One REST attempt; `refusal` is the status and code the API defines for it. */
async function tryRest(who: "bob" | "admin", what: string, method: string, path: string, body: unknown, refusal: { status: number; code: string }): Promise<void> {
  const client = who === "bob" ? bob : platform.api;
  const response = await client.request(method, path, body);
  if (response.status >= 500) tally.http5xx++;
  const error = response.body.error as { code?: string; message?: string } | undefined;
  const text = JSON.stringify(response.body);
  attempts.push({
    who,
    over: "REST",
    what: `${method} ${what}`,
    refused: response.status === refusal.status && error?.code === refusal.code && Boolean(error.message),
    // An error names the id it was given; any other mention of Alice's things is a leak.
    leaked: leaks(text, false) || Object.keys(response.body).some((key) => key !== "error"),
    got: `${response.status} ${text.slice(0, 160)}`,
  });
}

/** A list Bob may read: it must hold none of Alice's things. */
async function tryList(what: string, path: string): Promise<void> {
  const response = await bob.request("GET", path);
  if (response.status >= 500) tally.http5xx++;
  const text = JSON.stringify(response.body);
  attempts.push({ who: "bob", over: "REST", what: `GET ${what}`, refused: response.status === 200, leaked: leaks(text, true), got: `${response.status} ${text.slice(0, 160)}` });
}

async function connect(token: string): Promise<LooseSocket> {
  const socket = connectLoose(platform.server.url, { token });
  sockets.push(socket);
  const result = await handshake(socket);
  if (!result.ok) throw new Error(result.error.message);
  return socket;
}

async function trySocket(who: "bob" | "admin", socket: LooseSocket, what: string, event: string, payload: unknown, code: string): Promise<void> {
  const outcome = await request(socket, event, payload);
  const response = outcome.kind === "ack" ? (outcome.response as { ok?: boolean; error?: { code?: string; message?: string } }) : undefined;
  if (response?.error?.code === "unavailable") tally.http5xx++;
  const text = JSON.stringify(outcome);
  attempts.push({
    who,
    over: "socket",
    what: `${event} ${what}`,
    refused: response?.ok === false && response.error?.code === code && Boolean(response.error.message),
    leaked: leaks(text, false),
    got: text.slice(0, 160),
  });
}

describe("Bob and Alice's things", () => {
  it("over REST: every read, post, decision, cancel and change is refused; no list shows hers", async () => {
    const conv = her.conversationId;
    const notHers = { status: 404, code: "unknown_conversation" };
    await tryRest("bob", "her conversation", "GET", `/api/conversations/${conv}`, undefined, notHers);
    await tryRest("bob", "her conversation (trailing slash)", "GET", `/api/conversations/${conv}/`, undefined, notHers);
    await tryRest("bob", "her conversation (first letter percent-encoded)", "GET", `/api/conversations/%${conv.charCodeAt(0).toString(16)}${conv.slice(1)}`, undefined, notHers);
    await tryRest("bob", "her events", "GET", `/api/conversations/${conv}/events`, undefined, notHers);
    await tryRest("bob", "her events after her last one", "GET", `/api/conversations/${conv}/events?after=${her.lastEventId}`, undefined, notHers);
    await tryRest("bob", "her events, long-polled", "GET", `/api/conversations/${conv}/events?after=0&wait=2000`, undefined, notHers);
    await tryRest("bob", "a message to her conversation", "POST", `/api/conversations/${conv}/messages`, { text: "hi from bob" }, notHers);
    await tryRest("bob", "a message to her conversation with her clientMsgId", "POST", `/api/conversations/${conv}/messages`, { text: "hi again", clientMsgId: her.clientMsgId }, notHers);
    await tryRest("bob", "a run in her conversation", "POST", "/api/workflows/order-triage/runs", { input: { orderId: "4413", message: "Where is my lamp?" }, conversationId: conv }, notHers);
    for (const [label, run] of [["her waiting run", her.waitingRun], ["her ended run", her.endedRun]] as const) {
      await tryRest("bob", label, "GET", `/api/workflow-runs/${run.runId}`, undefined, { status: 404, code: "unknown_run" });
      // Not 409 run_finished for the ended one: that would tell him it exists, and show it.
      await tryRest("bob", `${label}, cancelled`, "POST", `/api/workflow-runs/${run.runId}/cancel`, undefined, { status: 404, code: "unknown_run" });
      await tryRest("bob", `${label}'s conversation`, "GET", `/api/conversations/${run.conversationId}/events`, undefined, notHers);
    }
    for (const [label, id] of [["her pending approval", her.pendingApproval], ["her decided approval", her.decidedApproval]] as const) {
      // Not 409 already_decided for the decided one: "Already approved by alice" is hers to know.
      for (const decision of ["approve", "reject"]) {
        await tryRest("bob", `${label}: ${decision}`, "POST", `/api/approvals/${encodeURIComponent(id)}`, { decision, comment: "bob was here" }, { status: 404, code: "unknown_approval" });
      }
    }
    // The team is everyone's to read and the admin's alone to change.
    const poet = { name: "bobs-poet", description: "Writes haiku poems about any topic.", instructions: "Answer with a haiku." };
    await tryRest("bob", "a new agent", "POST", "/api/agents", poet, { status: 403, code: "forbidden" });
    await tryRest("bob", "a changed agent", "PUT", "/api/agents/writer", { description: "Writes whatever Bob says, for anyone.", instructions: "Obey Bob." }, { status: 403, code: "forbidden" });
    await tryRest("bob", "a deleted agent", "DELETE", "/api/agents/writer", undefined, { status: 403, code: "forbidden" });
    // The admin does not read anyone's conversations either.
    await tryRest("admin", "her conversation", "GET", `/api/conversations/${conv}`, undefined, notHers);
    await tryRest("admin", "her events", "GET", `/api/conversations/${conv}/events`, undefined, notHers);
    await tryRest("admin", "a message to her conversation", "POST", `/api/conversations/${conv}/messages`, { text: "hi from the admin" }, notHers);

    // Bob's own lists hold nothing of hers.
    await bob.createConversation();
    await tryList("/api/conversations", "/api/conversations");
    await tryList("/api/workflow-runs", "/api/workflow-runs?limit=500");
    await tryList("/api/workflow-runs?workflow=order-triage", "/api/workflow-runs?workflow=order-triage&limit=500");
    for (const status of ["", "?status=pending", "?status=approved", "?status=rejected"]) await tryList(`/api/approvals${status}`, `/api/approvals${status}`);
    // A clientMsgId of hers in his own conversation is his own message, not a pointer to hers.
    const own = await bob.createConversation();
    const mine = await bob.request("POST", `/api/conversations/${own}/messages`, { text: "my own message", clientMsgId: her.clientMsgId });
    const his = (await bob.events(own)).find((e) => e.id === mine.body.eventId);
    attempts.push({
      who: "bob",
      over: "REST",
      what: "POST her clientMsgId in his own conversation",
      refused: mine.status === 202 && his?.type === "message.user" && (his.data as { text: string }).text === "my own message",
      leaked: leaks(JSON.stringify(mine.body), false),
      got: `${mine.status} ${JSON.stringify(mine.body)}`,
    });

    const wrong = attempts.filter((a) => a.over === "REST" && (!a.refused || a.leaked));
    expect(wrong).toEqual([]);
  });

  it("over the socket: joins, posts and decisions are refused, and no live event of hers reaches him", async () => {
    const conv = her.conversationId;
    const aliceSocket = await connect(ALICE);
    const aliceLive: Event[] = [];
    aliceSocket.on("conversation:event", (event: Event) => aliceLive.push(event));
    expect(await request(aliceSocket, "conversation:join", { conversationId: conv, after: her.lastEventId })).toMatchObject({ kind: "ack", response: { ok: true } });

    const bobSocket = await connect(BOB);
    const bobReceived: unknown[] = [];
    bobSocket.onAny((event: string, ...args: unknown[]) => bobReceived.push({ event, args }));
    const notHers = "unknown_conversation";
    await trySocket("bob", bobSocket, "her conversation", "conversation:join", { conversationId: conv }, notHers);
    await trySocket("bob", bobSocket, "her conversation from the start", "conversation:join", { conversationId: conv, after: "0" }, notHers);
    await trySocket("bob", bobSocket, "her conversation after her last event", "conversation:join", { conversationId: conv, after: her.lastEventId }, notHers);
    await trySocket("bob", bobSocket, "her run's conversation", "conversation:join", { conversationId: her.waitingRun.conversationId }, notHers);
    await trySocket("bob", bobSocket, "a message to her conversation", "message:send", { conversationId: conv, text: "hi from bob", clientMsgId: "bob-1" }, notHers);
    await trySocket("bob", bobSocket, "a message with her clientMsgId", "message:send", { conversationId: conv, text: "hi again", clientMsgId: her.clientMsgId }, notHers);
    for (const [label, id] of [["her pending approval", her.pendingApproval], ["her decided approval", her.decidedApproval]] as const) {
      for (const decision of ["approve", "reject"]) {
        await trySocket("bob", bobSocket, `${label}: ${decision}`, "approval:decide", { approvalId: id, decision, comment: "bob was here" }, "unknown_approval");
      }
    }
    // Leaving what he could not join changes nothing for her.
    bobSocket.emit("conversation:leave", { conversationId: conv });
    const adminSocket = await connect(TEST_TOKEN);
    await trySocket("admin", adminSocket, "her conversation", "conversation:join", { conversationId: conv }, notHers);

    // Alice talks on: her socket follows the whole turn live; his hears nothing of it.
    const posted = await alice.request("POST", `/api/conversations/${conv}/messages`, { text: `And 12 times 12? ${SECRET}` });
    const turn = await alice.waitFor(conv, turnFinished, { after: posted.body.eventId as string });
    if (!turn.some((e) => e.type === "message.agent")) tally.lost++;
    if (turn.some((e) => e.type === "run.failed")) tally.failed++;
    await new Promise<void>((resolve) => {
      const check = () => {
        if (aliceLive.some((e) => e.id === turn.at(-1)?.id)) {
          aliceSocket.off("conversation:event", check);
          resolve();
        }
      };
      aliceSocket.on("conversation:event", check);
      check();
    });
    // Everything sent to him before his next answer has arrived by then.
    await request(bobSocket, "conversation:join", { conversationId: "bobs-barrier-0000" });
    const heard = JSON.stringify(bobReceived);
    attempts.push({
      who: "bob",
      over: "socket",
      what: "live events while she talks",
      refused: bobReceived.length === 0,
      leaked: leaks(heard, true),
      got: heard.slice(0, 160),
    });

    const wrong = attempts.filter((a) => a.over === "socket" && (!a.refused || a.leaked));
    expect(wrong).toEqual([]);
  });

  it("left Alice's things as they were, and meets the targets", async () => {
    // Nothing Bob or the admin sent reached her conversation, her run or her approval.
    const events = await alice.events(her.conversationId);
    const texts = events.filter((e) => e.type === "message.user").map((e) => (e.data as { text: string }).text);
    const title = (await alice.request("GET", `/api/conversations/${her.conversationId}`)).body.title;
    const runStatus = (await alice.request("GET", `/api/workflow-runs/${her.waitingRun.runId}`)).body.status;
    const pending = ((await alice.request("GET", "/api/approvals?status=pending")).body.approvals as { id: string }[]).map((a) => a.id);
    for (const id of [her.conversationId, her.waitingRun.conversationId, her.endedRun.conversationId]) tally.duplicated += loggedTwice(await alice.events(id)).length;
    const health = await platform.api.request("GET", "/api/health");

    record(health.status === 200 ? 0 : 1);
    expect(texts).toEqual([`What is 17.5% of 2,480? ${SECRET}`, `And 12 times 12? ${SECRET}`]);
    expect(title).toBe(`Plans ${SECRET}`);
    expect(runStatus).toBe("waiting");
    expect(pending).toContain(her.pendingApproval);
    expect(health.status).toBe(200);
    expect(tally).toMatchObject({ http5xx: 0, lost: 0, failed: 0, duplicated: 0 });
    expect(attempts.filter((a) => !a.refused || a.leaked)).toEqual([]);
  });
});

function record(crashes = 0): void {
  tally.recorded = true;
  const rest = attempts.filter((a) => a.over === "REST").length;
  recordFaultRow({
    scenario: "cross-user: Bob (and the admin) on Alice's things",
    load: "2 users: 3 conversations, 2 workflow runs, 2 approvals, 2 turns of Alice's",
    faults: `${attempts.length} attempts (${rest} REST, ${attempts.length - rest} socket): read, long-poll, join, post, decide, cancel, change the team`,
    lost: tally.lost,
    duplicated: tally.duplicated,
    failed: tally.failed,
    http5xx: tally.http5xx,
    crashes,
    extra: {
      "cross-user reads": attempts.filter((a) => a.leaked || (!a.refused && (a.what.startsWith("GET") || a.what.startsWith("conversation:join") || a.what.startsWith("live")))).length,
      "cross-user writes": attempts.filter((a) => !a.refused && !a.leaked && !(a.what.startsWith("GET") || a.what.startsWith("conversation:join") || a.what.startsWith("live"))).length,
    },
  });
}
