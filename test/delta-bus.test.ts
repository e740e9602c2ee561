import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConversationLog } from "../platform/conversation-log.js";
import { DeltaPublisher, StreamingTexts, type NewDelta } from "../platform/delta-bus.js";
import { createLogger } from "../platform/logger.js";
import { connectRedis, ShardedSubscriber, type RedisClient } from "../platform/redis.js";
import { MessageDelta } from "../shared/events.js";
import { keys as keyNames, shardedConversationId } from "../shared/keys.js";
import { testRedis } from "./support/harness.js";

// The text a run has streamed, kept for clients that join mid-answer: it is exactly what its
// deltas said, numbered so a client can join the two, and it goes once the log holds it.

const TTL_MS = 60_000;
const keys = keyNames(`t${randomUUID().replaceAll("-", "").slice(0, 12)}`);
let redis: RedisClient;
let subscriber: ShardedSubscriber;
let publisher: DeltaPublisher;
let texts: StreamingTexts;

beforeAll(async () => {
  redis = await connectRedis(testRedis());
  subscriber = await ShardedSubscriber.connect(testRedis(), "test-deltas");
  publisher = new DeltaPublisher(redis, keys, createLogger("silent"), { ttlMs: TTL_MS });
  texts = new StreamingTexts(redis, keys);
});
afterAll(() => {
  redis.disconnect();
  subscriber.connection.disconnect();
});

const newConversation = () => shardedConversationId(1, randomUUID().replaceAll("-", "").slice(0, 20));

/** Records the deltas published on a conversation's channel; `received(n)` waits until there are n. */
async function listen(conversationId: string) {
  const deltas: MessageDelta[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  await subscriber.subscribe(keys.deltas(conversationId), (message) => {
    deltas.push(MessageDelta.parse(JSON.parse(message)));
    for (const waiter of waiters.filter((w) => deltas.length >= w.count)) waiter.resolve();
  });
  return {
    deltas,
    received: (count: number) =>
      deltas.length >= count ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ count, resolve })),
  };
}

/** Publishes each word in its own tick, so each is its own delta (words of one tick are coalesced). */
async function stream(base: Omit<NewDelta, "text">, words: string[]): Promise<void> {
  for (const word of words) {
    publisher.publish({ ...base, text: word });
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe("the text of a streaming run", () => {
  it("is kept equal to the deltas published, each numbered in order, under a short TTL", async () => {
    const conversationId = newConversation();
    const channel = await listen(conversationId);
    const words = ["The ", "answer ", "is ", "for", "ty-two."];
    await stream({ conversationId, runId: "r1", agent: "manager" }, words);
    await channel.received(words.length);

    expect(channel.deltas.map((delta) => delta.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(channel.deltas.map((delta) => delta.text).join("")).toBe(words.join(""));
    expect(await texts.read(conversationId)).toEqual([{ runId: "r1", agent: "manager", text: "The answer is forty-two.", seq: 5 }]);
    for (const key of [keys.streaming(conversationId), keys.streamingText(conversationId, "r1")]) {
      const ttl = await redis.pttl(key);
      expect(ttl, key).toBeGreaterThan(0);
      expect(ttl, key).toBeLessThanOrEqual(TTL_MS);
    }
  });

  it("keeps each run of a conversation apart, and coalesces one tick's words into one delta", async () => {
    const conversationId = newConversation();
    const channel = await listen(conversationId);
    publisher.publish({ conversationId, runId: "r1", agent: "manager", text: "Let me " });
    publisher.publish({ conversationId, runId: "r2", agent: "calculator", text: "17.5% " });
    publisher.publish({ conversationId, runId: "r1", agent: "manager", text: "ask." });
    publisher.publish({ conversationId, runId: "r2", agent: "calculator", text: "of 2,480" });
    await channel.received(2);
    const read = await texts.read(conversationId);
    expect(read.sort((a, b) => a.runId.localeCompare(b.runId))).toEqual([
      { runId: "r1", agent: "manager", text: "Let me ask.", seq: 1 },
      { runId: "r2", agent: "calculator", text: "17.5% of 2,480", seq: 1 },
    ]);
  });

  it("starts over when the step is tried again, numbering on", async () => {
    const conversationId = newConversation();
    const channel = await listen(conversationId);
    await stream({ conversationId, runId: "r1", agent: "manager" }, ["The ", "ans"]);
    await stream({ conversationId, runId: "r1", agent: "manager", attempt: 2 }, ["The ", "answer."]);
    await channel.received(4);
    expect(channel.deltas.map((delta) => [delta.seq, delta.attempt])).toEqual([[1, undefined], [2, undefined], [3, 2], [4, 2]]);
    expect(await texts.read(conversationId)).toEqual([{ runId: "r1", agent: "manager", text: "The answer.", attempt: 2, seq: 4 }]);
  });

  it("goes once its answer is logged, keeps what the run streams next (after that event), and is removed when the run ends", async () => {
    const conversationId = newConversation();
    const channel = await listen(conversationId);
    await stream({ conversationId, runId: "r1", agent: "manager" }, ["Let me ", "check."]);
    // Words still buffered when the answer is logged are sent first: none lands after it.
    publisher.publish({ conversationId, runId: "r1", agent: "manager", text: " Done" });
    await publisher.logged(conversationId, "r1", "manager", "1700000000000-5");
    await channel.received(3);
    expect(channel.deltas.map((delta) => delta.text).join("")).toBe("Let me check. Done");
    expect(await texts.read(conversationId)).toEqual([]);

    await stream({ conversationId, runId: "r1", agent: "manager" }, ["It is ", "42."]);
    await channel.received(5);
    expect(channel.deltas.map((delta) => delta.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(await texts.read(conversationId)).toEqual([{ runId: "r1", agent: "manager", text: "It is 42.", seq: 5, after: "1700000000000-5" }]);

    // The run's last write (its last event and checkpoint) drops its text in the same script.
    publisher.publish({ conversationId, runId: "r1", agent: "manager", text: " Bye." });
    await new ConversationLog(redis, keys, createLogger("silent"), 1000).appendWriting(conversationId, [], publisher.endWrites(conversationId, "r1"));
    await channel.received(6);
    expect(await texts.read(conversationId)).toEqual([]);
    expect(await redis.exists(keys.streaming(conversationId), keys.streamingText(conversationId, "r1"))).toBe(0);
  });

  it("withdraws a failed attempt's text when the retry is logged, before the retry streams", async () => {
    const conversationId = newConversation();
    const channel = await listen(conversationId);
    await stream({ conversationId, runId: "r1", agent: "manager" }, ["The ", "ans"]);
    await channel.received(2);
    await publisher.logged(conversationId, "r1", "manager", "1700000000000-7");
    expect(await texts.read(conversationId)).toEqual([]);
    await stream({ conversationId, runId: "r1", agent: "manager", attempt: 2 }, ["The ", "answer."]);
    await channel.received(4);
    expect(await texts.read(conversationId)).toEqual([{ runId: "r1", agent: "manager", text: "The answer.", attempt: 2, seq: 4, after: "1700000000000-7" }]);
  });
});
