import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import type { Event } from "../../shared/events.js";
import { freePort } from "../../platform/redis-server.js";
import { ensureClientForTests } from "../support/browser.js";
import { TEST_TOKEN, testConfig } from "../support/harness.js";
import { ProcessGroup, RedisProcess, startAgentsProcess, startServerProcess, temporaryDir, type OurProcess } from "./support/process-kit.js";
import {
  FaultApi,
  FaultMeter,
  FollowingSocket,
  LogBook,
  PROMPTS,
  ScenarioRow,
  compareWithLog,
  converse,
  count,
  delegationsInFlight,
  outcome,
  runsInFlight,
  socketLoadCounts,
  sum,
  turnDone,
  type Prompt,
  type SentMessage,
} from "./support/process-load.js";

// Redis itself is SIGKILLed mid-load and started again on the same port from its append-only file
// (written with `appendfsync always`: see docs/faults.md). The server and the agents process, each
// its own process, must reconnect by themselves; every message acknowledged with a 202 must be in
// the log afterwards, answered; a post while Redis is down gets a clear 503 `unavailable`, and the
// client's retry with the same clientMsgId posts it once.

const CONVERSATIONS = 4;
const TURNS = 4;
/**
 * Acknowledged messages before the kill: a conversation at its third turn (the delegation) makes
 * at least 3 + 1 + 1 + 1.
 */
const ACKED_BEFORE_KILL = 6;

const group = new ProcessGroup();
const config = testConfig({ OFFLINE_MODEL_DELAY_MS: "20" });
const redisDir = temporaryDir("redis");
const dataDir = temporaryDir("redis-server-data");
let redis: RedisProcess;
let server: OurProcess;
let agents: OurProcess;
const sockets: FollowingSocket[] = [];

beforeAll(async () => {
  await ensureClientForTests();
  redis = await RedisProcess.start(group, redisDir.dir);
  const product = { redisUrl: redis.url, prefix: config.prefix, env: { OFFLINE_MODEL_DELAY_MS: "20" } };
  [server, agents] = await Promise.all([
    startServerProcess(group, "server", { ...product, port: await freePort(), dataDir: dataDir.dir }),
    startAgentsProcess(group, "agents", product),
  ]);
});
afterAll(async () => {
  for (const socket of sockets) socket.close();
  await group.stopAll("redis-crash");
  redisDir.remove();
  dataDir.remove();
});

/** Two transfers, a delegation (turn 2: the kill waits for one in flight), and a sum. */
function script(index: number): Prompt[] {
  const transfers = [PROMPTS.percent, PROMPTS.kilograms, PROMPTS.fifteenPercent];
  const delegations = [PROMPTS.milesAndHandoffs, PROMPTS.milesAndKilograms, PROMPTS.twoSums];
  return [transfers[index % 3], transfers[(index + 1) % 3], delegations[index % 3], sum(20 + index)] as Prompt[];
}

describe("SIGKILL of Redis mid-load, restarted from its append-only file", () => {
  it("loses no acknowledged message, answers each once, and refuses posts during the outage with 503", async () => {
    const meter = new FaultMeter();
    const url = server.output.match(/Switchboard server: (http:\/\/[^/\s]+)/)?.[1] ?? "";
    const api = new FaultApi(url, TEST_TOKEN, meter);
    const book = new LogBook(api);
    const stopWatching = group.onCrash((crashed) => book.fail(new Error(`${crashed.name} crashed:\n${crashed.output.slice(-4000)}`)));
    const sent: SentMessage[] = [];
    const conversations: string[] = [];
    let final: Map<string, Event[]> | undefined;
    let ackedBeforeKill = 0;
    let probe: { status: number; code: unknown } | undefined;
    let persistence: { appendonly: string; appendfsync: string } | undefined;
    const logOf = (id: string) => final?.get(id) ?? book.log(id);

    const row = new ScenarioRow(() => {
      const result = outcome(logOf, sent);
      const seen = sockets.map((socket) => compareWithLog(socket.received, logOf(socket.conversationId)));
      return {
        scenario: "redis-crash",
        load: `${conversations.length} conversations, ${sent.length} turns (${ackedBeforeKill} acknowledged before the kill)`,
        faults:
          `1 SIGKILL of Redis mid-load (a delegation in flight), restarted from its AOF (fsync always); ` +
          `${count(meter.refusedDuringOutage, "request")} refused with 503 unavailable while it was down, retried`,
        ...socketLoadCounts(result, seen, meter),
        crashes: group.crashed().length,
      };
    });
    onTestFailed(() => void row.record());

    for (let i = 0; i <= CONVERSATIONS; i++) conversations.push(await api.createConversation());
    // The last conversation is the probe's: one post made while Redis is down.
    const probeConversation = conversations.pop() as string;
    for (const id of [...conversations, probeConversation]) book.follow(id);
    // A socket follows each conversation through the outage (its connection to the server stays up).
    for (const id of [...conversations, probeConversation]) sockets.push(new FollowingSocket(url, TEST_TOKEN, id, meter, { reconnection: true }));
    await Promise.all(sockets.map((socket) => socket.until(() => socket.joins >= 1)));
    const users = Promise.all(conversations.map((id, index) => converse(api, book, id, script(index), sent)));
    users.catch(() => {});

    // Mid-load: several messages acknowledged, and a delegation in flight (its child running, its
    // manager waiting in BullMQ's waiting-children).
    const acked = () => sent.filter((message) => message.eventId !== undefined).length;
    await book.until(() => acked() >= ACKED_BEFORE_KILL && conversations.some((id) => delegationsInFlight(book.log(id)).length > 0));
    meter.beginOutage();
    // Watched from before the kill: the agents process must see its connections fail.
    const agentsNoticed = agents.waitForOutput(/ECONNRESET|ECONNREFUSED|EPIPE|Connection is closed|isn't writeable/);
    agentsNoticed.catch(() => {}); // Awaited below; a crash meanwhile is reported there.
    await redis.kill();
    ackedBeforeKill = acked();

    // A post while Redis is down: a clear refusal, not a hang and not a 500.
    const probeMessage: SentMessage = { conversationId: probeConversation, clientMsgId: `m-${randomUUID()}`, prompt: PROMPTS.percent, turn: 0 };
    const refused = await api.request("POST", `/api/conversations/${probeConversation}/messages`, { text: probeMessage.prompt.text, clientMsgId: probeMessage.clientMsgId });
    probe = { status: refused.status, code: (refused.body.error as { code?: unknown } | undefined)?.code };

    // Redis stays down until both the server (the refusal) and the agents have felt it.
    await agentsNoticed;
    await redis.restart();
    persistence = await redis.persistence();
    await api.healthy();
    meter.endOutage();

    // The user posts the refused message again, with the same clientMsgId.
    sent.push(probeMessage);
    probeMessage.eventId = await api.postMessage(probeConversation, probeMessage.prompt.text, probeMessage.clientMsgId);
    await book.until(() => turnDone(book.log(probeConversation), probeMessage.eventId ?? ""));

    await users;
    stopWatching();
    await book.stop();
    final = new Map(await Promise.all([...conversations, probeConversation].map(async (id) => [id, await api.events(id)] as const)));
    await Promise.all(sockets.map((socket) => socket.has(final?.get(socket.conversationId)?.at(-1)?.id ?? "")));
    const result = outcome(logOf, sent);

    row.record();
    expect(group.crashReport()).toBe("");
    // What the restarted Redis ran with; that it loaded its file, the messages in the log show.
    expect(persistence).toEqual({ appendonly: "yes", appendfsync: "always" });
    expect(probe).toEqual({ status: 503, code: "unavailable" });
    for (const socket of sockets) {
      expect(socket.received.map((e) => e.id), `socket of ${socket.conversationId}`).toEqual(final.get(socket.conversationId)?.map((e) => e.id));
      expect(socket.errors()).toEqual([]);
    }
    expect(result.acknowledged).toBe(CONVERSATIONS * TURNS + 1);
    expect(result.lost).toEqual([]);
    expect(result.duplicated).toEqual([]);
    expect(result.failed).toEqual([]);
    expect(result.wrong).toEqual([]);
    expect(meter.http5xx).toEqual([]);
    expect(meter.unexpected).toEqual([]);
  });
});
