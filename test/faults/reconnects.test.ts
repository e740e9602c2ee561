import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import type { Event } from "../../shared/events.js";
import { TEST_TOKEN, startPlatform, type Platform } from "../support/harness.js";
import {
  FaultApi,
  FaultMeter,
  FollowingSocket,
  LogBook,
  PROMPTS,
  ScenarioRow,
  compareWithLog,
  converse,
  outcome,
  socketLoadCounts,
  sum,
  type Prompt,
  type SentMessage,
} from "./support/process-load.js";

// 300 socket reconnect cycles while the team answers a stream of messages: each socket drops its
// connection, connects again and joins from the last event it holds, over and over (some cut off
// in the middle of a join). Each ends with every event of its conversation once, in order.

const CONVERSATIONS = 3;
const SOCKETS_PER_CONVERSATION = 2;
const CYCLES_PER_SOCKET = 50;
const TOTAL_CYCLES = CONVERSATIONS * SOCKETS_PER_CONVERSATION * CYCLES_PER_SOCKET;

let platform: Platform;
const sockets: FollowingSocket[] = [];

beforeAll(async () => {
  // Server and agents in this process; the words come a little slowly so the stream lasts.
  platform = await startPlatform({ env: { OFFLINE_MODEL_DELAY_MS: "8" } });
});
afterAll(async () => {
  for (const socket of sockets) socket.close();
  await platform?.close();
});

function script(index: number): Prompt[] {
  const prompts = [PROMPTS.percent, PROMPTS.milesAndHandoffs, PROMPTS.kilograms, PROMPTS.twoSums, PROMPTS.fifteenPercent, PROMPTS.milesAndKilograms];
  return [0, 1, 2, 3].map((turn) => prompts[(index + turn) % prompts.length] as Prompt).concat(sum(10 * index));
}

describe(`${TOTAL_CYCLES} socket reconnect cycles while the team answers`, () => {
  it("every socket ends with each event of its conversation once and in order", async () => {
    const meter = new FaultMeter();
    const api = new FaultApi(platform.server.url, TEST_TOKEN, meter);
    const book = new LogBook(api);
    const sent: SentMessage[] = [];
    const conversations: string[] = [];
    let cycles = 0;
    let cutMidJoin = 0;
    let whileStreaming = 0;
    let final: Map<string, Event[]> | undefined;
    const logOf = (id: string) => final?.get(id) ?? book.log(id);

    const row = new ScenarioRow(() => {
      const result = outcome(logOf, sent);
      const seen = sockets.map((socket) => compareWithLog(socket.received, logOf(socket.conversationId)));
      return {
        scenario: "reconnects",
        load: `${conversations.length} conversations, ${sent.length} turns, ${sockets.length} sockets following`,
        faults: `${cycles} socket reconnect cycles (${whileStreaming} while the team answered, ${cutMidJoin} cut mid-join), each re-joining from its cursor`,
        ...socketLoadCounts(result, seen, meter),
        // Server and agents run in the test's own process: a crash of either would end the run.
        crashes: 0,
      };
    });
    onTestFailed(() => void row.record());

    for (let i = 0; i < CONVERSATIONS; i++) conversations.push(await api.createConversation());
    for (const id of conversations) book.follow(id);
    for (const id of conversations) {
      for (let i = 0; i < SOCKETS_PER_CONVERSATION; i++) sockets.push(new FollowingSocket(api.baseUrl, TEST_TOKEN, id, meter, { reconnection: false }));
    }
    await Promise.all(sockets.map((socket) => socket.until(() => socket.joins >= 1)));

    let streaming = true;
    const users = Promise.all(conversations.map((id, index) => converse(api, book, id, script(index), sent))).finally(() => {
      streaming = false;
      for (const socket of sockets) socket.poke();
    });
    users.catch(() => {});

    const cyclists = sockets.map(async (socket, index) => {
      for (let cycle = 0; cycle < CYCLES_PER_SOCKET; cycle++) {
        // Spread the cycles over the stream: each waits for something new (an event or a word of
        // an answer being written), until the stream is over.
        const held = socket.received.length;
        const words = socket.deltas;
        await socket.until(() => socket.received.length > held || socket.deltas > words || !streaming);
        const rejoined = socket.nextJoin();
        // Every fifth cycle drops the connection right after asking to join, before the answer.
        if ((cycle + index) % 5 === 0) {
          socket.join();
          cutMidJoin += 1;
        }
        socket.socket.disconnect();
        socket.socket.connect();
        await rejoined;
        cycles += 1;
        if (streaming) whileStreaming += 1;
      }
    });

    await Promise.all([users, ...cyclists]);
    await book.stop();
    final = new Map(await Promise.all(conversations.map(async (id) => [id, await api.events(id)] as const)));
    await Promise.all(sockets.map((socket) => socket.has(final?.get(socket.conversationId)?.at(-1)?.id ?? "")));
    const result = outcome(logOf, sent);

    row.record();
    expect(cycles).toBe(TOTAL_CYCLES);
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
