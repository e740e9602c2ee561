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
  it("writes a checkpoint with its events in one step, and a retry of it logs each event once", async () => {
    const convLog = new ConversationLog(redis, k, log, 1000);
    const id = randomUUID();
    const checkpoint = (value: string) => [{ op: "set" as const, key: k.run(id, "r1"), value }, { op: "hset" as const, key: k.runSteps(id, "r1"), field: "0", value: "{}" }];
    const events = [
      { event: userMessage("result"), key: "r1:result" },
      { event: userMessage("done"), key: "r1:done" },
    ];
    const first = await convLog.appendWriting(id, events, checkpoint("one"));
    const again = await convLog.appendWriting(id, events, checkpoint("two"));
    if (!("appended" in first) || !("appended" in again)) throw new Error("no stop was asked for");
    expect(first.appended.map((a) => a.created)).toEqual([true, true]);
    expect(again.appended.map((a) => a.created)).toEqual([false, false]);
    expect(again.appended.map((a) => a.event.id)).toEqual(first.appended.map((a) => a.event.id));
    expect((await convLog.read(id)).map((e) => e.type === "message.user" && e.data.text)).toEqual(["result", "done"]);
    // The writes are made either way: the retry's checkpoint is the newer one.
    expect(await redis.get(k.run(id, "r1"))).toBe("two");
    expect(await redis.hget(k.runSteps(id, "r1"), "0")).toBe("{}");
    // With no event, only the writes.
    expect(await convLog.appendWriting(id, [], [{ op: "del", key: k.run(id, "r1") }])).toEqual({ appended: [] });
    expect(await redis.exists(k.run(id, "r1"))).toBe(0);
  });
  it("writes nothing for a turn the stop marker covers, unless its first event is logged already", async () => {
    const convLog = new ConversationLog(redis, k, log, 1000);
    const id = randomUUID();
    const turn = (await convLog.append(id, userMessage("question"))).event.id;
    const answered = await convLog.appendWriting(id, [{ event: userMessage("answer"), key: "r1:answer" }], []);
    await redis.hset(k.stop(id), { through: turn, by: "alice", reason: "stopped", at: new Date().toISOString() });
    const set = [{ op: "set" as const, key: k.run(id, "r2"), value: "after the stop" }];
    expect(await convLog.appendWriting(id, [{ event: userMessage("late answer"), key: "r2:answer" }], set, turn)).toEqual({ stoppedBy: "alice" });
    expect(await redis.exists(k.run(id, "r2"))).toBe(0);
    // A retry of an answer logged before the stop goes on: the answer won.
    const retried = await convLog.appendWriting(id, [{ event: userMessage("answer"), key: "r1:answer" }, { event: userMessage("ended"), key: "r1:end" }], [], turn);
    if (!("appended" in retried) || !("appended" in answered)) throw new Error("the answer came before the stop");
    expect(retried.appended[0]?.event.id).toBe(answered.appended[0]?.event.id);
    expect((await convLog.read(id)).map((e) => e.type === "message.user" && e.data.text)).toEqual(["question", "answer", "ended"]);
  });
  it("opens a run in one step: its history and first event, or its checkpoint, and the stop marker", async () => {
    const convLog = new ConversationLog(redis, k, log, 1000);
    const id = randomUUID();
    await convLog.append(id, userMessage("earlier"));
    await convLog.append(id, { type: "run.slow", data: { step: 0, waitedMs: 1, message: "waiting" } });
    const turn = (await convLog.append(id, userMessage("now"))).event.id;
    const types = new Set(["message.user"] as const);
    const open = () =>
      convLog.openRun(id, {
        checkpointKey: k.run(id, "r1"),
        first: { event: userMessage("started"), key: "r1:started" },
        history: { count: 10, types, before: turn },
        turn,
      });
    const opened = await open();
    expect(opened.checkpoint).toBeUndefined();
    expect(opened.marker).toEqual({});
    expect(opened.history.map((e) => e.type === "message.user" && e.data.text)).toEqual(["earlier"]);
    expect(opened.first?.created).toBe(true);
    // Opened again (a retry before the first checkpoint): the first event is not logged twice.
    expect((await open()).first).toMatchObject({ created: false, event: { id: opened.first?.event.id } });
    await redis.set(k.run(id, "r1"), "checkpoint");
    expect(await open()).toEqual({ checkpoint: "checkpoint", marker: {}, history: [] });
    // A stopped turn's new run starts nothing, and gets the marker.
    await redis.hset(k.stop(id), { through: turn, by: "bob", reason: "stopped", at: "2026-12-02T00:00:00.000Z" });
    const stopped = await convLog.openRun(id, { checkpointKey: k.run(id, "r2"), first: { event: userMessage("started"), key: "r2:started" }, history: { count: 10, types }, turn });
    expect(stopped.first).toBeUndefined();
    expect(stopped.marker).toMatchObject({ by: "bob", through: turn });
    expect((await convLog.read(id)).filter((e) => e.type === "message.user" && e.data.text === "started")).toHaveLength(1);
  });
});
