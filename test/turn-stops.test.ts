import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectRedis, ShardedSubscriber, type RedisClient } from "../platform/redis.js";
import { TurnStops, type StopMarker } from "../platform/turn-stops.js";
import { keys as keyNames } from "../shared/keys.js";
import { testRedis } from "./support/harness.js";

let redis: RedisClient;
let subscriber: ShardedSubscriber;
const keys = keyNames(`t${randomUUID().replaceAll("-", "").slice(0, 12)}`);

beforeAll(async () => {
  redis = await connectRedis(testRedis());
  subscriber = await ShardedSubscriber.connect(testRedis(), "test-stops");
});
afterAll(async () => {
  await subscriber.close();
  redis.disconnect();
});

/** Servers subscribed to the channel, as Redis counts them. */
async function subscribers(channel: string): Promise<number> {
  const reply = (await redis.call("PUBSUB", "SHARDNUMSUB", channel)) as [string, number];
  return Number(reply[1]);
}

describe("watching a conversation's stops", () => {
  it("keeps the channel subscribed between the runs of a turn, hears stops in the next run, and lets go after the linger", async () => {
    const stops = new TurnStops(redis, keys, 300);
    const conversationId = `c${randomUUID().replaceAll("-", "").slice(0, 20)}`;
    const channel = keys.stops(conversationId);
    const first = await stops.watch(subscriber, conversationId, () => {});
    first();
    // The next run of the turn comes within moments: no SUNSUBSCRIBE and SSUBSCRIBE in between.
    expect(await subscribers(channel)).toBe(1);

    const heard: StopMarker[] = [];
    const second = await stops.watch(subscriber, conversationId, (marker) => heard.push(marker));
    await stops.stop(conversationId, { through: "1-0", by: "alice", reason: "test", at: new Date().toISOString() });
    await expect.poll(() => heard.map((marker) => marker.by)).toEqual(["alice"]);
    second();

    await expect.poll(() => subscribers(channel), { timeout: 30_000 }).toBe(0);
  });
});
