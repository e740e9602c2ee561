/**
 * Bad input, everywhere: a corpus of several hundred bad requests (test/faults/support/fuzz-corpus.ts)
 * over every REST route and every Socket.IO event, sent to a platform running in a process of its
 * own. Each must be refused with a 4xx and `{error: {code, message}}` (on the socket, an
 * acknowledgement `{ok: false, error}`), never a 5xx, never a dropped connection; none may change
 * anything; and afterwards the platform still answers a person's message, over REST and the socket.
 *
 * Rate limits: login failures are raised to 1,000,000 for this platform, since the corpus presents
 * dozens of wrong tokens from one address on purpose (the default, 30 per 15 minutes, would then
 * refuse every token from it). Every other limit keeps its default, and a 429 anywhere in the
 * corpus counts as a failure: a refused request must not use up an allowance (docs/security.md).
 */
import { isDeepStrictEqual } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Event } from "../../shared/events.js";
import { turnFinished } from "../../shared/turn-status.js";
import { approvalAsked, runEnded } from "../support/workflow-client.js";
import { recordFaultRow } from "./support/fault-table.js";
import { loggedTwice } from "./support/follow.js";
import {
  frameCorpus,
  handshakeCorpus,
  jsonRpcCorpus,
  repeatedCorpus,
  restCorpus,
  socketCorpus,
  staticCorpus,
  type FuzzFixtures,
  type JsonRpcCase,
  type RestCase,
} from "./support/fuzz-corpus.js";
import { ApiClient, TEST_TOKEN as ADMIN_TOKEN } from "../support/api-client.js";
import { errorBody, rawRequest, type RawResponse } from "./support/raw-http.js";
import { startServedPlatform, type ServedPlatform } from "./support/served-platform.js";
import { connectLoose, emitAndSettle, handshake, request, writeFrameAndSettle, type LooseSocket } from "./support/socket-emit.js";

const ALICE = "alice-token-0123456789";
const BOB = "bob-token-0123456789ab";

let platform: ServedPlatform;
let admin: ApiClient;
let alice: ApiClient;
let bob: ApiClient;
let fixtures: FuzzFixtures;
let before: Snapshot;
const sockets: LooseSocket[] = [];

/** What the corpus did, counted as it went. */
const tally = {
  rest: 0,
  restRoutes: new Map<string, number>(),
  socket: 0,
  socketEvents: new Map<string, number>(),
  jsonRpc: 0,
  handshakes: 0,
  frames: 0,
  statics: 0,
  http5xx: 0,
  dropped: 0,
  /** Answered 2xx/3xx, or a status outside what the case allows. */
  accepted: 0,
  /** A refusal without `{error: {code, message}}` (or an ack without `{ok: false, error}`). */
  malformed: 0,
  rateLimited: 0,
  /** What went wrong, by part of the corpus. */
  problems: { rest: [] as string[], socket: [] as string[], jsonRpc: [] as string[] },
  crashes: 0,
  lost: 0,
  duplicated: 0,
  failedTurns: 0,
  leaked: 0,
  /** 1 when anything was different after the corpus (a log, a list, a decision, the team, who is admin). */
  changed: 0,
};
let recorded = false;

beforeAll(async () => {
  platform = await startServedPlatform({
    env: { SWITCHBOARD_USERS: `alice:${ALICE},bob:${BOB}`, SWITCHBOARD_RATE_LOGIN_FAILURES: "1000000" },
  });
  admin = new ApiClient(platform.url, ADMIN_TOKEN);
  alice = new ApiClient(platform.url, ALICE);
  bob = new ApiClient(platform.url, BOB);

  // Real things to aim at: a conversation with a turn in it, a run waiting for a person, a run
  // that has ended and an approval already decided.
  const conversationId = await alice.createConversation();
  const asked = await alice.send(conversationId, "What is 17.5% of 2,480?");
  await alice.waitFor(conversationId, turnFinished, { after: asked });
  const waiting = await startRun(alice, "order-triage", { orderId: "4411", message: "The teapot arrived cracked" });
  const decided = await startRun(alice, "order-triage", { orderId: "4414", message: "Two cups arrived broken" });
  const approvalOf = async (run: { runId: string; conversationId: string }) => {
    const events = await alice.waitFor(run.conversationId, approvalAsked(run.runId));
    const requested = events.find((e) => e.type === "approval.requested" && e.runId === run.runId);
    return (requested?.data as { approvalId: string }).approvalId;
  };
  const [approvalId, decidedApprovalId] = await Promise.all([approvalOf(waiting), approvalOf(decided)]);
  const decision = await alice.request("POST", `/api/approvals/${decidedApprovalId}`, { decision: "approve" });
  expect(decision.status).toBe(200);
  await alice.waitFor(decided.conversationId, runEnded(decided.runId));
  fixtures = {
    conversationId,
    runId: waiting.runId,
    finishedRunId: decided.runId,
    approvalId,
    decidedApprovalId,
    agent: "proofreader",
    workflow: "order-triage",
    numericWorkflow: "refund-approval",
    othersConversationId: await bob.createConversation(),
  };
  before = await snapshot();
}, 120_000);

/** Starts a run over REST, as a user's program would. */
async function startRun(client: ApiClient, workflow: string, input: unknown): Promise<{ runId: string; conversationId: string }> {
  const response = await client.request("POST", `/api/workflows/${workflow}/runs`, { input });
  if (response.status !== 202) throw new Error(`start ${workflow}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body as { runId: string; conversationId: string };
}

afterAll(async () => {
  for (const socket of sockets) socket.close();
  if (!recorded) {
    if (platform?.exit()) tally.crashes = 1;
    record();
  }
  await platform?.stop();
});

interface Snapshot {
  conversations: Record<string, unknown>;
  logs: Record<string, string[]>;
  approvals: unknown;
  runs: Record<string, unknown>;
  agents: unknown;
  mcpServers: unknown;
  me: Record<string, unknown>;
}

/** Everything a bad request could have changed: conversations, their logs, approvals, runs, the team and its MCP servers, who is admin. */
async function snapshot(): Promise<Snapshot> {
  const clients = { admin, alice, bob };
  const conversations: Record<string, unknown> = {};
  const logs: Record<string, string[]> = {};
  const runs: Record<string, unknown> = {};
  const me: Record<string, unknown> = {};
  for (const [name, client] of Object.entries(clients)) {
    const listed = (await client.request("GET", "/api/conversations")).body.conversations as { id: string }[];
    conversations[name] = listed;
    for (const { id } of listed) logs[id] = (await client.events(id)).map((e) => `${e.id} ${e.type}`);
    runs[name] = ((await client.request("GET", "/api/workflow-runs?limit=500")).body.runs as { runId: string; status: string }[]).map((r) => `${r.runId} ${r.status}`);
    me[name] = (await client.request("GET", "/api/me")).body;
  }
  const approvals = ((await admin.request("GET", "/api/approvals")).body.approvals as { id: string; status: string; comment?: string }[]).map(
    (a) => `${a.id} ${a.status} ${a.comment ?? ""}`,
  );
  const agents = ((await admin.request("GET", "/api/agents")).body.agents as Record<string, unknown>[]).map(
    ({ name, description, instructions, tools, handoffs, enabled, model, updatedAt }) => ({ name, description, instructions, tools, handoffs, enabled, model, updatedAt }),
  );
  const mcpServers = ((await admin.request("GET", "/api/mcp-servers")).body.servers as { name: string; source: string }[]).map((server) => `${server.name} ${server.source}`);
  return { conversations, logs, approvals, runs, agents, mcpServers, me };
}

function tokenFor(as: RestCase["as"]): Record<string, string> {
  if (typeof as === "object") return { authorization: as.authorization };
  if (as === "none") return {};
  const token = { admin: ADMIN_TOKEN, alice: ALICE, wrong: "wrong-token-for-the-fuzz-corpus" }[as];
  return { authorization: `Bearer ${token}` };
}

const count = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
let part: "rest" | "socket" | "jsonRpc" = "rest";
const problem = (what: string) => {
  if (tally.problems[part].length < 200) tally.problems[part].push(what);
};

/** What no answer to a bad input may be: dropped, a 5xx, or a 429 (a refusal must not use up an allowance). */
function broken(response: RawResponse): string | undefined {
  if (response.dropped) {
    tally.dropped++;
    return `dropped: ${response.dropped}`;
  }
  if (response.status >= 500) {
    tally.http5xx++;
    return `${response.status} ${response.text.slice(0, 200)}`;
  }
  if (response.status === 429) {
    tally.rateLimited++;
    return `429 ${response.text.slice(0, 200)}`;
  }
  return undefined;
}

/** Judges one REST answer against the contract; returns what was wrong, if anything. */
function judgeRest(testCase: RestCase, response: RawResponse): string | undefined {
  const wrong = broken(response);
  if (wrong) return wrong;
  const allowed = testCase.expect ?? [];
  const statusOk = allowed.length > 0 ? allowed.includes(response.status) : response.status >= 400 && response.status < 500;
  if (!statusOk) {
    tally.accepted++;
    return `answered ${response.status} (allowed: ${allowed.join("/") || "4xx"}) ${response.text.slice(0, 200)}`;
  }
  if (!errorBody(response.json) || !/application\/json/.test(String(response.headers["content-type"]))) {
    tally.malformed++;
    return `no {error: {code, message}} JSON body: ${response.status} ${String(response.headers["content-type"])} ${response.text.slice(0, 200)}`;
  }
  return undefined;
}

describe("bad input over REST", () => {
  it("refuses every bad request with a 4xx and a JSON error that says why; no 5xx, no dropped connection", async () => {
    part = "rest";
    const corpus = [...restCorpus(fixtures), ...repeatedCorpus(fixtures)];
    for (const testCase of corpus) {
      const headers: Record<string, string> = { ...tokenFor(testCase.as), ...testCase.headers };
      if (testCase.body !== undefined && testCase.contentType !== null) headers["content-type"] = testCase.contentType ?? "application/json";
      const response = await rawRequest(platform.url, { method: testCase.method, path: testCase.path, headers, ...(testCase.body !== undefined ? { body: testCase.body } : {}) });
      tally.rest++;
      count(tally.restRoutes, testCase.route);
      const wrong = judgeRest(testCase, response);
      if (wrong) problem(`${testCase.route} — ${testCase.kind}: ${wrong}`);
    }
    // Paths beside the API: never a file they name, never a 5xx.
    for (const testCase of staticCorpus()) {
      const response = await rawRequest(platform.url, { method: "GET", path: testCase.path });
      tally.statics++;
      if (response.dropped) {
        tally.dropped++;
        problem(`static ${testCase.kind}: dropped: ${response.dropped}`);
      } else if (response.status >= 500) {
        tally.http5xx++;
        problem(`static ${testCase.kind}: ${response.status}`);
      } else if (/"name": "switchboard"|root:x:0:0|createAuthenticator|SWITCHBOARD_TOKEN=/.test(response.text)) {
        tally.leaked++;
        problem(`static ${testCase.kind}: served the file it names`);
      }
    }
    expect(corpus.length).toBeGreaterThanOrEqual(200);
    expect(tally.problems.rest).toEqual([]);
  });
});

/**
 * A JSON-RPC endpoint's refusal: Switchboard's `{error: {code, message}}` (a bad token), a JSON-RPC
 * error (the SDKs answer the envelope's faults, often with 200), or an MCP tool result marked
 * `isError` (a tool's arguments). An MCP answer may come as one server-sent event.
 */
function judgeJsonRpc(testCase: JsonRpcCase, response: RawResponse): string | undefined {
  const wrong = broken(response);
  if (wrong) return wrong;
  if (testCase.expect && !testCase.expect.includes(response.status)) {
    tally.accepted++;
    return `answered ${response.status} (allowed: ${testCase.expect.join("/")}) ${response.text.slice(0, 200)}`;
  }
  const streamed = /text\/event-stream/.test(String(response.headers["content-type"]));
  const answers = [streamed ? sseData(response.text) : response.json].flat();
  if (answers.length === 0 || !answers.every((answer) => errorBody(answer) || jsonRpcError(answer) || toolError(answer))) {
    if (answers.some((answer) => (answer as { result?: unknown } | undefined)?.result !== undefined && !toolError(answer))) {
      tally.accepted++;
      return `answered with a result: ${response.status} ${response.text.slice(0, 200)}`;
    }
    tally.malformed++;
    return `no error that says why: ${response.status} ${String(response.headers["content-type"])} ${response.text.slice(0, 200)}`;
  }
  return undefined;
}

const jsonRpcError = (answer: unknown): boolean => {
  const error = (answer as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  return typeof error?.code === "number" && typeof error.message === "string" && error.message.trim() !== "";
};
const toolError = (answer: unknown): boolean => {
  const result = (answer as { result?: { isError?: unknown; content?: { text?: unknown }[] } } | undefined)?.result;
  return result?.isError === true && typeof result.content?.[0]?.text === "string" && result.content[0].text.trim() !== "";
};
/** The JSON of each `data:` line of a server-sent events body. */
function sseData(text: string): unknown[] {
  return text
    .split("\n")
    .filter((line) => line.startsWith("data:"))
    .map((line) => {
      try {
        return JSON.parse(line.slice(5));
      } catch {
        return undefined;
      }
    });
}

describe("bad input to the MCP and A2A endpoints", () => {
  it("answers every bad JSON-RPC request with an error that says why; no 5xx, no dropped connection", async () => {
    part = "jsonRpc";
    const corpus = jsonRpcCorpus(fixtures);
    for (const testCase of corpus) {
      const headers: Record<string, string> = { ...tokenFor(testCase.as), accept: "application/json, text/event-stream" };
      if (testCase.body !== undefined && testCase.contentType !== null) headers["content-type"] = testCase.contentType ?? "application/json";
      const response = await rawRequest(platform.url, { method: testCase.method, path: testCase.endpoint, headers, ...(testCase.body !== undefined ? { body: testCase.body } : {}) });
      tally.jsonRpc++;
      count(tally.restRoutes, `POST ${testCase.endpoint}`);
      const wrong = judgeJsonRpc(testCase, response);
      if (wrong) problem(`${testCase.endpoint} — ${testCase.kind}: ${wrong}`);
    }
    expect(corpus.length).toBeGreaterThanOrEqual(60);
    expect(tally.problems.jsonRpc).toEqual([]);
  });
});

describe("bad input over Socket.IO", () => {
  it("refuses every bad payload in its acknowledgement, on a connection that stays up", async () => {
    const fresh = async (): Promise<LooseSocket> => {
      const socket = connectLoose(platform.url, { token: ALICE });
      sockets.push(socket);
      const result = await handshake(socket);
      if (!result.ok) throw new Error(`could not connect: ${result.error.message}`);
      return socket;
    };
    part = "socket";
    let socket = await fresh();
    for (const testCase of socketCorpus(fixtures)) {
      const outcome = await emitAndSettle(socket, testCase.event, testCase.args, testCase.ack, `${testCase.event} — ${testCase.kind}`);
      tally.socket++;
      count(tally.socketEvents, testCase.event);
      const label = `${testCase.event} — ${testCase.kind}`;
      if (outcome.kind === "disconnected") {
        tally.dropped++;
        problem(`${label}: the connection dropped (${outcome.reason})`);
        socket = await fresh();
      } else if (outcome.kind === "ack") {
        const response = outcome.response as { ok?: unknown; error?: { code?: string; message?: string } };
        if (response?.ok !== false) {
          tally.accepted++;
          problem(`${label}: acknowledged ${JSON.stringify(response).slice(0, 200)}`);
        } else if (!errorBody(response)) {
          tally.malformed++;
          problem(`${label}: refusal without {code, message}: ${JSON.stringify(response).slice(0, 200)}`);
        } else if (response.error?.code === "unavailable") {
          tally.http5xx++;
          problem(`${label}: unavailable (a 5xx)`);
        } else if (response.error?.code === "rate_limited") {
          tally.rateLimited++;
          problem(`${label}: rate limited`);
        } else if (testCase.codes && !testCase.codes.includes(response.error?.code ?? "")) {
          tally.accepted++;
          problem(`${label}: refused with ${response.error?.code}, expected ${testCase.codes.join("/")}`);
        }
      }
    }

    // Handshakes with bad credentials: refused with a reason (and its code), nothing else.
    for (const testCase of handshakeCorpus()) {
      const bad = connectLoose(platform.url, testCase.auth, testCase.namespace);
      sockets.push(bad);
      const result = await handshake(bad);
      tally.handshakes++;
      count(tally.socketEvents, "handshake");
      if (result.ok) {
        tally.accepted++;
        problem(`handshake — ${testCase.kind}: accepted`);
      } else if (!result.error.message.trim()) {
        tally.malformed++;
        problem(`handshake — ${testCase.kind}: refused without a message`);
      } else if (!testCase.namespace && !["missing_token", "invalid_token"].includes(result.error.data?.code ?? "")) {
        tally.malformed++;
        problem(`handshake — ${testCase.kind}: refused with code ${String(result.error.data?.code)}: ${result.error.message}`);
      }
      bad.close();
    }

    // Frames that are not Socket.IO packets (and one over the 1 MB limit): Socket.IO closes that
    // one connection, as its protocol says; the server goes on serving everyone else.
    const oversized = `42${JSON.stringify(["message:send", { conversationId: fixtures.conversationId, text: "m".repeat(1_100_000), clientMsgId: "too-big" }])}`;
    for (const testCase of [...frameCorpus(fixtures), { kind: "a message over the 1 MB limit", frame: oversized }]) {
      const victim = await fresh();
      const outcome = await writeFrameAndSettle(victim, testCase.frame);
      tally.frames++;
      count(tally.socketEvents, "raw frame");
      victim.close();
      // Whatever became of that connection, another one is served at once.
      const check = await fresh();
      const alive = await request(check, "conversation:join", { conversationId: fixtures.conversationId, after: "18446744073709551615-0" });
      if (alive.kind !== "ack" || (alive.response as { ok?: boolean }).ok !== true) {
        tally.dropped++;
        problem(`raw frame — ${testCase.kind}: the next connection was not served (${JSON.stringify(alive)}); the frame's own socket: ${outcome.kind}`);
      }
      check.close();
    }
    expect(tally.problems.socket).toEqual([]);
  });
});

describe("after the corpus", () => {
  it("nothing changed, nothing leaked, and the platform still answers over REST and the socket", async () => {
    const exited = platform.exit();
    if (exited) tally.crashes = 1;
    const health = await rawRequest(platform.url, { method: "GET", path: "/api/health" });
    if (health.status !== 200) tally.crashes = 1;
    expect(exited, platform.output().slice(-2000)).toBeUndefined();

    // No bad request changed a thing: no message in any log, no new conversation, run, decision or
    // agent; and none made anyone admin.
    const after = await snapshot();
    const bobsAgent = await bob.request("POST", "/api/agents", { name: "sneaky", description: "Tries to join the team uninvited.", instructions: "x" });
    if (!isDeepStrictEqual(after, before) || bobsAgent.status !== 403) tally.changed = 1;

    // A person's message over REST is answered…
    const conversationId = await alice.createConversation();
    const restEvent = await alice.send(conversationId, "What is 12 times 12?");
    // …and one over the socket, followed live.
    const socket = connectLoose(platform.url, { token: ALICE });
    sockets.push(socket);
    expect((await handshake(socket)).ok).toBe(true);
    const live: Event[] = [];
    socket.on("conversation:event", (event: Event) => live.push(event));
    const joined = (await socket.emitWithAck("conversation:join", { conversationId })) as { ok: boolean };
    expect(joined.ok).toBe(true);
    const restTurn = await alice.waitFor(conversationId, turnFinished, { after: restEvent });
    const sent = (await socket.emitWithAck("message:send", { conversationId, text: "What is 7% of 300?", clientMsgId: "after-the-corpus" })) as {
      ok: boolean;
      data?: { eventId: string };
    };
    expect(sent.ok).toBe(true);
    const socketTurn = await alice.waitFor(conversationId, turnFinished, { after: sent.data?.eventId });
    for (const turn of [restTurn, socketTurn]) {
      if (!turn.some((e) => e.type === "message.agent")) tally.lost++;
      if (turn.some((e) => e.type === "run.failed")) tally.failedTurns++;
    }
    // The socket saw the second turn live, as it was logged.
    await new Promise<void>((resolve) => {
      const check = () => {
        if (live.some((e) => e.id === socketTurn.at(-1)?.id)) {
          socket.off("conversation:event", check);
          resolve();
        }
      };
      socket.on("conversation:event", check);
      check();
    });
    const all = await alice.events(conversationId);
    tally.duplicated = loggedTwice(all).length + loggedTwice(live).length;
    // Internal errors the server logged while refusing: none expected (a refusal is not an error).
    const errorLines = platform
      .output()
      .split("\n")
      .filter((line) => /"level":50|"level":60/.test(line));

    record();
    printCorpusSizes();
    expect(after).toEqual(before);
    expect(after.me).toEqual({ admin: { user: "local", admin: true }, alice: { user: "alice", admin: false }, bob: { user: "bob", admin: false } });
    expect(bobsAgent.status).toBe(403);
    expect(errorLines).toEqual([]);
    expect(tally).toMatchObject({ changed: 0, http5xx: 0, crashes: 0, dropped: 0, lost: 0, duplicated: 0, failedTurns: 0, leaked: 0, accepted: 0, malformed: 0, rateLimited: 0 });
  });
});

function record(): void {
  recorded = true;
  const routes = [...tally.restRoutes.keys()].filter((route) => route.includes("/api/")).length;
  recordFaultRow({
    scenario: "inputs: fuzz corpus",
    load: `${tally.rest} REST requests over all ${routes} routes and unknown ones, ${tally.jsonRpc} JSON-RPC requests to /mcp and /a2a, ${tally.statics} static paths, ${tally.socket} socket emits over 7 events and unknown ones, ${tally.handshakes} handshakes, ${tally.frames} raw frames; then 2 good turns`,
    faults: `${tally.rest + tally.jsonRpc + tally.statics + tally.socket + tally.handshakes + tally.frames} bad inputs`,
    lost: tally.lost,
    duplicated: tally.duplicated,
    failed: tally.failedTurns,
    http5xx: tally.http5xx,
    crashes: tally.crashes,
    extra: {
      "dropped connections": tally.dropped,
      "accepted bad inputs": tally.accepted,
      "refusals without {code, message}": tally.malformed,
      "429s": tally.rateLimited,
      "files leaked": tally.leaked,
      "state changed by bad input": tally.changed,
    },
  });
}

function printCorpusSizes(): void {
  const lines = [
    `fuzz corpus: ${tally.rest} REST requests, ${tally.jsonRpc} JSON-RPC requests, ${tally.statics} static paths, ${tally.socket} socket emits, ${tally.handshakes} handshakes, ${tally.frames} raw frames`,
    ...[...tally.restRoutes.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([route, n]) => `  ${String(n).padStart(4)}  ${route}`),
    ...[...tally.socketEvents.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([event, n]) => `  ${String(n).padStart(4)}  socket: ${event}`),
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}
