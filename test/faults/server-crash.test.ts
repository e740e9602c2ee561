import { afterAll, beforeAll, describe, expect, inject, it, onTestFailed } from "vitest";
import type { RunningAgents } from "../../agents/agents-process.js";
import { startConfiguredAgents } from "../../bin/configured-agents.js";
import { createLogger } from "../../platform/logger.js";
import { freePort } from "../../platform/redis-server.js";
import type { Event } from "../../shared/events.js";
import { ensureClientForTests } from "../support/browser.js";
import { TEST_TOKEN, testConfig } from "../support/harness.js";
import { ProcessGroup, startServerProcess, temporaryDir, type OurProcess } from "./support/process-kit.js";
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
  outcome,
  runsInFlight,
  socketLoadCounts,
  sum,
  type SentMessage,
} from "./support/process-load.js";

// The server process is SIGKILLed while turns stream to sockets joined to their conversations; a
// new server process starts on the same port. The sockets reconnect by themselves and join again
// from the last event they hold: each ends with every event of its conversation, once, in order.

const CONVERSATIONS = 3;
const SOCKETS_PER_CONVERSATION = 2;

const group = new ProcessGroup();
const config = testConfig({ OFFLINE_MODEL_DELAY_MS: "20" });
const dataDir = temporaryDir("server");
let port: number;
let server: OurProcess;
let agents: RunningAgents | undefined;
const sockets: FollowingSocket[] = [];

beforeAll(async () => {
  // The server process serves the built page; build it first (once, shared with the browser tests)
  // so the server does not build it at start.
  await ensureClientForTests();
  port = await freePort();
  const [first, started] = await Promise.all([
    startServerProcess(group, "server #1", { redisUrl: inject("redisUrl"), prefix: config.prefix, port, dataDir: dataDir.dir }),
    // The agents in this process: the fault here is the server's.
    startConfiguredAgents(config, inject("redisUrl"), createLogger("silent")),
  ]);
  server = first;
  agents = started;
});
afterAll(async () => {
  for (const socket of sockets) socket.close();
  await group.stopAll("server-crash");
  await agents?.close();
  dataDir.remove();
});

describe("SIGKILL of the server with sockets connected, mid-turn", () => {
  it("every socket ends with each event of its conversation once and in order", async () => {
    const meter = new FaultMeter();
    const api = new FaultApi(`http://127.0.0.1:${port}`, TEST_TOKEN, meter);
    const book = new LogBook(api);
    const stopWatching = group.onCrash((crashed) => book.fail(new Error(`${crashed.name} crashed:\n${crashed.output.slice(-4000)}`)));
    const sent: SentMessage[] = [];
    const conversations: string[] = [];
    let kills = 0;
    let openAtKill = 0;
    let final: Map<string, Event[]> | undefined;
    const logOf = (id: string) => final?.get(id) ?? book.log(id);
    const delivery = () => sockets.map((socket) => compareWithLog(socket.received, logOf(socket.conversationId)));

    const row = new ScenarioRow(() => {
      const result = outcome(logOf, sent);
      const seen = delivery();
      return {
        scenario: "server-crash",
        load: `${conversations.length} conversations, ${sent.length} turns, ${sockets.length} sockets following`,
        faults:
          `${count(kills, "SIGKILL")} of the server with ${count(sockets.length, "socket")} connected and ${count(openAtKill, "run")} streaming, a new server on its port; ` +
          `${count(meter.unreachableDuringOutage, "request")} unanswered while it was down, retried`,
        ...socketLoadCounts(result, seen, meter),
        crashes: group.crashed().length,
      };
    });
    onTestFailed(() => void row.record());

    for (let i = 0; i < CONVERSATIONS; i++) conversations.push(await api.createConversation());
    for (const id of conversations) book.follow(id);
    for (const id of conversations) {
      for (let i = 0; i < SOCKETS_PER_CONVERSATION; i++) sockets.push(new FollowingSocket(api.baseUrl, TEST_TOKEN, id, meter, { reconnection: true }));
    }
    await Promise.all(sockets.map((socket) => socket.until(() => socket.joins >= 1)));

    let restarted: () => void = () => {};
    const serverBack = new Promise<void>((resolve) => (restarted = resolve));
    const firstSocketOf = (id: string) => sockets.find((socket) => socket.conversationId === id) as FollowingSocket;
    // Turn 0 (a delegation, long) over REST; turn 1, after the restart, through a socket.
    const users = conversations.map((id, index) =>
      converse(api, book, id, [index % 2 === 0 ? PROMPTS.milesAndHandoffs : PROMPTS.milesAndKilograms, sum(70 + index)], sent, {
        gate: (turn) => (turn === 1 ? serverBack : Promise.resolve()),
        post: (turn, text, clientMsgId) => (turn === 0 ? api.postMessage(id, text, clientMsgId) : firstSocketOf(id).post(text, clientMsgId)),
      }),
    );
    const usersDone = Promise.all(users);
    usersDone.catch(() => {});

    // Mid-turn: every socket has been sent a run that has not ended yet.
    await Promise.all(sockets.map((socket) => socket.until(() => socket.received.some((e) => e.type === "message.user") && runsInFlight(socket.received).size > 0)));
    meter.beginOutage();
    openAtKill = new Set(sockets.flatMap((socket) => [...runsInFlight(socket.received)])).size;
    await server.kill();
    kills += 1;
    server = await startServerProcess(group, "server #2", { redisUrl: inject("redisUrl"), prefix: config.prefix, port, dataDir: dataDir.dir });
    meter.endOutage();
    // The sockets come back by themselves and join again from their cursors.
    await Promise.all(sockets.map((socket) => socket.until(() => socket.joins >= 2)));
    restarted();

    await usersDone;
    stopWatching();
    await book.stop();
    final = new Map(await Promise.all(conversations.map(async (id) => [id, await api.events(id)] as const)));
    // Every socket gets to the end of its conversation's log.
    await Promise.all(sockets.map((socket) => socket.has(final?.get(socket.conversationId)?.at(-1)?.id ?? "")));
    const result = outcome(logOf, sent);

    row.record();
    expect(group.crashReport()).toBe("");
    expect(result.acknowledged).toBe(CONVERSATIONS * 2);
    expect(result.lost).toEqual([]);
    expect(result.duplicated).toEqual([]);
    expect(result.failed).toEqual([]);
    expect(result.wrong).toEqual([]);
    for (const socket of sockets) {
      expect(socket.received.map((e) => e.id), `socket of ${socket.conversationId}`).toEqual(final.get(socket.conversationId)?.map((e) => e.id));
      expect(socket.errors()).toEqual([]);
    }
    expect(meter.http5xx).toEqual([]);
    expect(meter.unexpected).toEqual([]);
  });
});
