import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Event, EventOf, MessageDelta } from "../shared/events.js";
import type { StreamedText } from "../shared/streamed-text.js";
import { turnFinished } from "../shared/turn-status.js";
import { TEST_TOKEN, startPlatform, type Platform } from "./support/harness.js";
import { pacedModel } from "./support/paced-model.js";
import { SocketClient } from "./support/socket-client.js";

// A socket that joins while an answer is being written gets the text so far in the join's
// acknowledgement, then the deltas after it: together exactly the answer, nothing twice.

const words = (count: number, from = 0) => Array.from({ length: count }, (_, i) => `w${from + i}`).join(" ");
const HELD = words(40);
const FLOWING = words(120, 100);
const model = pacedModel([HELD, FLOWING], { delayMs: 3 });

let platform: Platform;
const clients: SocketClient[] = [];
beforeAll(async () => {
  platform = await startPlatform({ model: model.client, env: { SWITCHBOARD_MODEL_IDLE_MS: "3600000" } });
});
afterAll(async () => {
  for (const client of clients) client.close();
  await platform.close();
});

async function connect(): Promise<SocketClient> {
  const client = new SocketClient(platform.server.url, TEST_TOKEN);
  clients.push(client);
  await client.connected();
  return client;
}

async function joinStreaming(client: SocketClient, conversationId: string): Promise<StreamedText[]> {
  const joined = await client.join(conversationId);
  if (!joined.ok) throw new Error(joined.error.message);
  return joined.data.streams;
}

/**
 * What a client shows for a run: the joined text, then each delta numbered after it, in order.
 * Fails on a gap (a number skipped); deltas at or below the text's number are already in it.
 */
function rebuild(seed: StreamedText | undefined, deltas: MessageDelta[], runId: string): string {
  let text = seed?.text ?? "";
  let seq = seed?.seq ?? 0;
  for (const delta of deltas.filter((d) => d.runId === runId)) {
    if (delta.seq === undefined) throw new Error("a delta without a number");
    if (delta.seq <= seq) continue;
    expect(delta.seq, `no delta missing after ${seq}`).toBe(seq + 1);
    text += delta.text;
    seq = delta.seq;
  }
  return text;
}

/** Resolves once `client` has received deltas that begin with `text` (joined) for some run; returns that run id. */
function deltasHold(client: SocketClient, text: string): Promise<string> {
  return new Promise((resolve) => {
    const check = () => {
      const runId = client.deltas[0]?.runId;
      if (runId !== undefined && rebuild(undefined, client.deltas, runId).startsWith(text)) {
        client.socket.off("message:delta", check);
        resolve(runId);
      }
    };
    client.socket.on("message:delta", check);
    check();
  });
}

const answerOf = (events: Event[]) => events.find((e): e is EventOf<"message.agent"> => e.type === "message.agent");
/** For a client that joined mid-turn: its live events end with the run's end (deltas come before it). */
const runEnded = (events: Event[]) => events.some((event) => event.type === "run.completed");

describe("joining a conversation mid-answer", () => {
  it("gets the text streamed so far in the acknowledgement, then the rest, nothing twice", async () => {
    const hold = model.holdAfter(0, 15);
    const conversationId = await platform.api.createConversation();
    const watcher = await connect();
    await joinStreaming(watcher, conversationId);
    await platform.api.send(conversationId, "Count for me.");
    await hold.reached;
    // The stream is held after 15 words: once the watcher has them all, so does Redis.
    const runId = await deltasHold(watcher, `${words(15)} `);

    const late = await connect();
    const streams = await joinStreaming(late, conversationId);
    expect(streams).toEqual([{ runId, agent: "manager", text: `${words(15)} `, seq: expect.any(Number) }]);

    hold.release();
    const events = await late.waitFor(runEnded);
    const answer = answerOf(events);
    expect(answer?.data.text).toBe(HELD);
    expect(rebuild(streams[0], late.deltas, runId)).toBe(HELD);
    expect(late.deltas.every((delta) => (delta.seq ?? 0) > (streams[0]?.seq ?? 0))).toBe(true);
    // Once the answer is logged, a joiner is given no streaming text for it.
    expect(await joinStreaming(await connect(), conversationId)).toEqual([]);
  });

  it("joins the kept text with the deltas around it, whenever the join lands in a flowing stream", async () => {
    // Held near the end, so every join lands before the answer does, wherever in the stream.
    const hold = model.holdAfter(1, 110);
    const conversationId = await platform.api.createConversation();
    const watcher = await connect();
    await joinStreaming(watcher, conversationId);
    await platform.api.send(conversationId, "Count some more.");
    const joiners: { client: SocketClient; streams: StreamedText[] }[] = [];
    // A join after every 20 words the watcher sees, while the model goes on streaming.
    for (let count = 20; count <= 100; count += 20) {
      await deltasHold(watcher, `${words(count, 100)} `);
      const client = await connect();
      joiners.push({ client, streams: await joinStreaming(client, conversationId) });
    }
    hold.release();
    const events = await watcher.waitFor(turnFinished);
    const answer = answerOf(events);
    expect(answer?.data.text).toBe(FLOWING);
    const runId = answer?.runId ?? "";
    for (const { client, streams } of joiners) {
      await client.waitFor(runEnded);
      const seed = streams.find((stream) => stream.runId === runId);
      expect(seed?.text.length, "the join came mid-answer").toBeGreaterThan(0);
      expect(rebuild(seed, client.deltas, runId)).toBe(FLOWING);
    }
  });
});
