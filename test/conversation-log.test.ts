import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ConversationLog } from "../platform/conversation-log.js";
import { createLogger } from "../platform/logger.js";
import { LogTail } from "../platform/log-tail.js";
import { connectRedis, ShardedSubscriber } from "../platform/redis.js";
import { keys } from "../shared/keys.js";

const log = createLogger("silent");
const k = keys(`t${randomUUID().slice(0, 8)}`);
let redis: Redis;
let subscriber: ShardedSubscriber;

beforeAll(async () => {
  redis = await connectRedis(inject("redisUrl"));
  subscriber = await ShardedSubscriber.connect(inject("redisUrl"), "test-tail");
});
afterAll(async () => {
  redis.disconnect();
  await subscriber.close();
});

const userMessage = (text: string) => ({ type: "message.user" as const, data: { text } });

describe("conversation log", () => {
  it("appends events and reads them back in order after a cursor", async () => {
    const convLog = new ConversationLog(redis, k, log, 1000);
    const id = randomUUID();
    const first = await convLog.append(id, userMessage("one"));
    const second = await convLog.append(id, userMessage("two"));
    expect(first.created).toBe(true);
    expect((await convLog.read(id)).map((e) => e.data)).toEqual([{ text: "one" }, { text: "two" }]);
    const after = await convLog.read(id, first.event.id);
    expect(after.map((e) => e.id)).toEqual([second.event.id]);
    expect(after[0]?.conversationId).toBe(id);
  });

  it("keeps one copy when a retried step appends the same key again", async () => {
    const convLog = new ConversationLog(redis, k, log, 1000);
    const id = randomUUID();
    const first = await convLog.append(id, userMessage("once"), "run-1:step-0:answer");
    const retry = await convLog.append(id, userMessage("once"), "run-1:step-0:answer");
    expect(retry.created).toBe(false);
    expect(retry.event.id).toBe(first.event.id);
    expect(await convLog.read(id)).toHaveLength(1);
  });

  it("trims the log to the configured retention", async () => {
    const convLog = new ConversationLog(redis, k, log, 100);
    const id = randomUUID();
    for (let i = 0; i < 400; i++) await convLog.append(id, userMessage(`m${i}`));
    const kept = await convLog.read(id, "0", 10_000);
    // MAXLEN ~ trims whole macro nodes: a little more than the bound may stay, never all of it.
    expect(kept.length).toBeLessThan(400);
    expect(kept.length).toBeGreaterThanOrEqual(100);
    expect(kept.at(-1)?.data).toEqual({ text: "m399" });
  });

  it("skips entries of an unknown schema version instead of failing the read", async () => {
    const convLog = new ConversationLog(redis, k, log, 1000);
    const id = randomUUID();
    await redis.xadd(k.events(id), "*", "e", JSON.stringify({ v: 99, type: "message.user", data: {} }));
    await convLog.append(id, userMessage("readable"));
    expect((await convLog.read(id)).map((e) => e.data)).toEqual([{ text: "readable" }]);
  });

  it("tails a log: backlog first, then live events, each once", async () => {
    const convLog = new ConversationLog(redis, k, log, 1000);
    const tail = new LogTail(subscriber, redis, k, convLog, log);
    const id = randomUUID();
    await convLog.append(id, userMessage("before"));
    const seen: string[] = [];
    const done = new Promise<void>((resolve) => {
      tail.subscribe(id, "0", (event) => {
        if (event.type === "message.user") seen.push(event.data.text);
        if (seen.length === 3) resolve();
      });
    });
    await convLog.append(id, userMessage("live-1"));
    await convLog.append(id, userMessage("live-2"));
    await done;
    expect(seen).toEqual(["before", "live-1", "live-2"]);
    const waited = tail.next(id, (await convLog.lastId(id)), 5000);
    await convLog.append(id, userMessage("awaited"));
    expect((await waited).map((e) => e.type === "message.user" && e.data.text)).toEqual(["awaited"]);
    await tail.close();
  });
  it("writes a checkpoint with its event in one step, and a retry of it logs the event once", async () => {
    const convLog = new ConversationLog(redis, k, log, 1000);
    const id = randomUUID();
    const checkpoint = (value: string) => [{ op: "set" as const, key: k.run(id, "r1"), value }, { op: "hset" as const, key: k.runSteps(id, "r1"), field: "0", value: "{}" }];
    const first = await convLog.appendWriting(id, userMessage("result"), "r1:result", checkpoint("one"));
    const again = await convLog.appendWriting(id, userMessage("result"), "r1:result", checkpoint("two"));
    expect(first).toMatchObject({ created: true });
    expect(again).toMatchObject({ created: false, event: { id: first?.event.id } });
    expect((await convLog.read(id)).map((e) => e.id)).toEqual([first?.event.id]);
    // The writes are made either way: the retry's checkpoint is the newer one.
    expect(await redis.get(k.run(id, "r1"))).toBe("two");
    expect(await redis.hget(k.runSteps(id, "r1"), "0")).toBe("{}");
    // With no event, only the writes.
    expect(await convLog.appendWriting(id, undefined, "", [{ op: "del", key: k.run(id, "r1") }])).toBeUndefined();
    expect(await redis.exists(k.run(id, "r1"))).toBe(0);
  });
});
