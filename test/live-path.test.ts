import { io, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConversationLog } from "../platform/conversation-log.js";
import { createLogger } from "../platform/logger.js";
import { LogTail } from "../platform/log-tail.js";
import { Cluster } from "ioredis";
import { connectRedis, ShardedSubscriber, type RedisClient } from "../platform/redis.js";
import type { Event } from "../shared/events.js";
import { keys } from "../shared/keys.js";
import { compareStreamIds } from "../shared/stream-id.js";
import { TEST_TOKEN, startPlatform, testRedis, type Platform } from "./support/harness.js";
import { SocketClient } from "./support/socket-client.js";

// The live path: a follower far behind catches up without gaps (issue 9), and a socket that joins
// a conversation again gets each event once, in order.

let platform: Platform;
let redis: RedisClient;
let convLog: ConversationLog;
const closers: (() => void)[] = [];

beforeAll(async () => {
  // The server alone: the test writes the log itself, as fast as a busy team would.
  platform = await startPlatform({ agents: false });
  redis = await connectRedis(testRedis());
  convLog = new ConversationLog(redis, keys(platform.config.prefix), createLogger("silent"), platform.config.retention);
});
afterAll(async () => {
  for (const close of closers) close();
  await platform.close();
  redis.disconnect();
});

/** Appends `count` events to the conversation's log (pipelined, in order); returns their ids. */
async function append(conversationId: string, count: number, label = "e"): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < count; start += 500) {
    const batch = Array.from({ length: Math.min(500, count - start) }, (_, i) =>
      convLog.append(conversationId, { type: "message.user", data: { text: `${label}${start + i}` } }),
    );
    ids.push(...(await Promise.all(batch)).map((appended) => appended.event.id));
  }
  return ids;
}

function expectOnceInOrder(ids: string[], expected: string[]): void {
  expect(new Set(ids).size, "no event twice").toBe(ids.length);
  for (let i = 1; i < ids.length; i++) expect(compareStreamIds(ids[i - 1] ?? "0", ids[i] ?? "0"), `in order at ${i}`).toBe(-1);
  expect(ids).toEqual(expected);
}

/** A raw Socket.IO client (not ours) that records, in arrival order, what acks and live events carry. */
class RawClient {
  readonly socket: Socket;
  /** Event ids in the order this client received them, from acks and live events alike. */
  readonly received: string[] = [];
  private readonly waiters = new Set<() => void>();

  constructor() {
    this.socket = io(platform.server.url, { path: "/socket.io", auth: { token: TEST_TOKEN }, transports: ["websocket"], reconnection: false });
    closers.push(() => this.socket.close());
    this.socket.on("conversation:event", (event: Event) => this.record([event]));
  }

  connected(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.once("connect", () => resolve());
      this.socket.once("connect_error", reject);
    });
  }

  /** Joins; the ack's events are recorded the moment the ack arrives (a callback, not a promise). */
  join(conversationId: string, after?: string): Promise<Event[]> {
    return new Promise((resolve, reject) => {
      this.socket.emit("conversation:join", { conversationId, ...(after ? { after } : {}) }, (response: { ok: boolean; data?: { events: Event[] }; error?: unknown }) => {
        if (!response.ok || !response.data) return reject(new Error(JSON.stringify(response.error)));
        this.record(response.data.events);
        resolve(response.data.events);
      });
    });
  }

  /** Resolves once an event with id `id` (or a later one) has been received. */
  until(id: string): Promise<void> {
    const reached = () => this.received.some((received) => compareStreamIds(received, id) >= 0);
    if (reached()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (!reached()) return;
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
    });
  }

  private record(events: Event[]): void {
    this.received.push(...events.map((event) => event.id));
    for (const waiter of [...this.waiters]) waiter();
  }
}

describe("catch-up of a follower more than 1,000 events behind", () => {
  it("a long poll from an old cursor gets every event after it, in order", async () => {
    const conversationId = await platform.api.createConversation();
    const ids = await append(conversationId, 2500);
    expectOnceInOrder((await platform.api.events(conversationId, ids[0], 5000)).map((e) => e.id), ids.slice(1));
    expectOnceInOrder((await platform.api.events(conversationId)).map((e) => e.id), ids);
  });

  it("the log tail gives a late subscriber every event before the live ones", async () => {
    const subscriber = await ShardedSubscriber.connect(testRedis(), "test-tail");
    const tail = new LogTail(subscriber, redis, keys(platform.config.prefix), convLog, createLogger("silent"));
    try {
      const conversationId = await platform.api.createConversation();
      const ids = await append(conversationId, 2500);
      // A follower at the head makes the tail's shared cursor the newest id.
      const ahead: string[] = [];
      const stopAhead = tail.subscribe(conversationId, ids.at(-1) ?? "0", (event) => ahead.push(event.id));
      const [marker] = await append(conversationId, 1, "marker");
      const received: string[] = [];
      let done: () => void = () => {};
      const allThere = new Promise<void>((resolve) => (done = resolve));
      let last = "";
      const stop = tail.subscribe(conversationId, ids[0] ?? "0", (event) => {
        received.push(event.id);
        if (event.id === last) done();
      });
      const more = await append(conversationId, 300, "live");
      last = more.at(-1) ?? "";
      if (received.includes(last)) done();
      await allThere;
      stop();
      stopAhead();
      expectOnceInOrder(received, [...ids.slice(1), marker ?? "", ...more]);
    } finally {
      await tail.close();
      await subscriber.close();
    }
  });

  it("a socket joining 7,000 events behind gets all of them in its ack, then the live ones", async () => {
    const conversationId = await platform.api.createConversation();
    const ids = await append(conversationId, 7000);
    // Another socket already follows the conversation at its head.
    const watcher = new SocketClient(platform.server.url, TEST_TOKEN);
    closers.push(() => watcher.close());
    await watcher.connected();
    expect((await watcher.join(conversationId, ids.at(-1))).ok).toBe(true);

    const client = new RawClient();
    await client.connected();
    const acked = await client.join(conversationId, ids[0]);
    expectOnceInOrder(acked.map((e) => e.id), ids.slice(1));
    const live = await append(conversationId, 50, "live");
    await client.until(live.at(-1) ?? "");
    expectOnceInOrder(client.received, [...ids.slice(1), ...live]);
  });
});

describe("joining a conversation again on the same socket", () => {
  it("delivers each event once and in order while the log keeps growing", async () => {
    const conversationId = await platform.api.createConversation();
    const first = await append(conversationId, 20, "before");
    const client = new RawClient();
    await client.connected();
    expect((await client.join(conversationId)).map((e) => e.id)).toEqual(first);

    // The team keeps appending while the client joins again, each time from an older cursor.
    let writing = true;
    const writer = (async () => {
      const written: string[] = [];
      for (let round = 0; writing || round < 5; round++) written.push(...(await append(conversationId, 25, `r${round}-`)));
      return written;
    })();
    for (let rejoin = 0; rejoin < 15; rejoin++) {
      const held = client.received;
      await client.until(held.at(-1) ?? "0");
      // An older cursor, or none at all.
      const after = rejoin % 3 === 0 ? undefined : held[Math.floor(held.length / (rejoin + 2))];
      await client.join(conversationId, after);
    }
    writing = false;
    const written = await writer;
    await client.until(written.at(-1) ?? "");
    expectOnceInOrder(client.received, [...first, ...written]);
  });

  it("a join, a leave and a join again: the second join starts from its own cursor", async () => {
    const conversationId = await platform.api.createConversation();
    const ids = await append(conversationId, 5);
    const client = new RawClient();
    await client.connected();
    await client.join(conversationId);
    client.socket.emit("conversation:leave", { conversationId });
    // After leaving, a join is a fresh follow: it gets everything after the cursor it gives.
    expect((await client.join(conversationId, ids[1])).map((e) => e.id)).toEqual(ids.slice(2));
  });
});

describe("a follower whose subscription is cut", () => {
  /** Closes every pub/sub connection on every master, as a restarted Redis or a network cut would. */
  async function cutSubscriptions(): Promise<void> {
    const nodes = redis instanceof Cluster ? redis.nodes("master") : [redis];
    await Promise.all(nodes.map((node) => node.call("CLIENT", "KILL", "TYPE", "pubsub")));
  }

  it("reconnects, subscribes again and catches up from its cursor: each event once, in order", async () => {
    const subscriber = await ShardedSubscriber.connect(testRedis(), "test-tail");
    const tail = new LogTail(subscriber, redis, keys(platform.config.prefix), convLog, createLogger("silent"));
    try {
      const conversationId = await platform.api.createConversation();
      const received: string[] = [];
      let last = "";
      let done: () => void = () => {};
      const allThere = new Promise<void>((resolve) => (done = resolve));
      const stop = tail.subscribe(conversationId, "0", (event) => {
        received.push(event.id);
        if (event.id === last) done();
      });
      const written: string[] = [];
      for (let round = 0; round < 3; round++) {
        written.push(...(await append(conversationId, 20, `before${round}-`)));
        await cutSubscriptions();
        // Announced while nobody listens: only the catch-up after the new subscription brings these.
        written.push(...(await append(conversationId, 20, `after${round}-`)));
      }
      last = written.at(-1) ?? "";
      if (received.includes(last)) done();
      await allThere;
      stop();
      expectOnceInOrder(received, written);
    } finally {
      await tail.close();
      await subscriber.close();
    }
  });
});
