import { Cluster, Redis, type ClusterOptions, type RedisOptions } from "ioredis";
import type { ClusterNode } from "../shared/config.js";

/** A connection to a single Redis or to a Redis Cluster: BullMQ and every part of Switchboard take either. */
export type RedisClient = Redis | Cluster;

/** Where Redis is: one server's URL, or a cluster's seed nodes (REDIS_CLUSTER_NODES). */
export type RedisTarget = string | { cluster: ClusterNode[] };

export interface ConnectOptions {
  /** BullMQ workers and subscribers: wait out an outage. Producers fail fast instead. */
  blocking?: boolean;
  name?: string;
}

/**
 * Opens a connection and waits until it is usable: the one way every part of Switchboard reaches
 * Redis, standalone or cluster. `blocking` connections (BullMQ workers) retry forever; producers
 * fail fast so a caller sees an outage as an error instead of a request that hangs.
 */
export async function connectRedis(target: string, options?: ConnectOptions): Promise<Redis>;
export async function connectRedis(target: RedisTarget, options?: ConnectOptions): Promise<RedisClient>;
export async function connectRedis(target: RedisTarget, options: ConnectOptions = {}): Promise<RedisClient> {
  const redis = typeof target === "string" ? new Redis(target, { ...standaloneOptions(options), lazyConnect: true }) : new Cluster(target.cluster, clusterOptions(options));
  await redis.connect();
  return redis;
}

function standaloneOptions(options: ConnectOptions): RedisOptions {
  const retries: RedisOptions = options.blocking
    ? { maxRetriesPerRequest: null, enableReadyCheck: true }
    : { maxRetriesPerRequest: 2, enableOfflineQueue: false };
  return { ...retries, ...(options.name ? { connectionName: options.name } : {}) };
}

/**
 * The per-node settings carry the retry policy (BullMQ refuses a blocking cluster connection whose
 * nodes limit retries). The cluster keeps its offline queue either way: its node connections open
 * lazily, and without the queue the first commands to a node that is still connecting would fail.
 * An agents process opens a cluster connection per BullMQ worker (agents × shards) at once: the
 * slot map gets more than ioredis' default second to arrive, so a busy start does not fail.
 */
function clusterOptions(options: ConnectOptions, extra: Partial<ClusterOptions> = {}): ClusterOptions {
  return {
    lazyConnect: true,
    slotsRefreshTimeout: 10_000,
    redisOptions: { maxRetriesPerRequest: options.blocking ? null : 2, ...(options.name ? { connectionName: options.name } : {}) },
    ...extra,
  };
}

type MessageListener = (message: string) => void;

/**
 * Sharded pub/sub (SSUBSCRIBE): one connection on a single Redis; on a cluster, ioredis' sharded
 * subscribers, one connection per master, each channel subscribed on the master of its slot. Many
 * listeners may share a channel. After a reconnect (a restarted Redis, a failover, a moved slot)
 * every channel is subscribed again and `onResubscribed` callbacks run once that is in effect,
 * so a follower can read what it missed from its cursor.
 */
export class ShardedSubscriber {
  private readonly listeners = new Map<string, Set<MessageListener>>();
  /** The SSUBSCRIBE in flight or done for each channel with listeners. */
  private readonly subscribed = new Map<string, Promise<void>>();
  private readonly resubscribedCallbacks = new Set<() => void>();
  private resubscribing: Promise<void> = Promise.resolve();
  private closed = false;

  private constructor(readonly connection: RedisClient) {
    connection.on("smessage", (channel: string, message: string) => {
      for (const listener of this.listeners.get(channel) ?? []) listener(message);
    });
  }

  static async connect(target: RedisTarget, name: string): Promise<ShardedSubscriber> {
    const options = { blocking: true, name };
    // A single Redis: this class subscribes again itself after a reconnect, so it knows when that is in effect.
    const connection =
      typeof target === "string"
        ? new Redis(target, { ...standaloneOptions(options), autoResubscribe: false, lazyConnect: true })
        : new Cluster(target.cluster, clusterOptions(options, { shardedSubscribers: true }));
    await connection.connect();
    const subscriber = new ShardedSubscriber(connection);
    // ioredis subscribes the cluster's channels again on new subscriber connections, then says
    // "subscribersReady" without waiting for the replies; a single Redis says "ready".
    connection.on(connection instanceof Cluster ? "subscribersReady" : "ready", () => subscriber.resubscribe());
    return subscriber;
  }

  /** Adds a listener of `channel`; resolves once the channel is subscribed (messages published from then on arrive). */
  async subscribe(channel: string, listener: MessageListener): Promise<void> {
    let listeners = this.listeners.get(channel);
    if (!listeners) {
      listeners = new Set();
      this.listeners.set(channel, listeners);
    }
    listeners.add(listener);
    let subscribed = this.subscribed.get(channel);
    if (!subscribed) {
      subscribed = this.connection.ssubscribe(channel).then(() => undefined);
      this.subscribed.set(channel, subscribed);
      // A failed subscription is forgotten, so the next listener tries again.
      subscribed.catch(() => {
        if (this.subscribed.get(channel) === subscribed) this.subscribed.delete(channel);
      });
    }
    await subscribed;
  }

  /** Removes a listener; the last one of a channel unsubscribes it. */
  unsubscribe(channel: string, listener: MessageListener): void {
    const listeners = this.listeners.get(channel);
    if (!listeners?.delete(listener) || listeners.size > 0) return;
    this.listeners.delete(channel);
    this.subscribed.delete(channel);
    if (this.closed) return;
    // Sent after any SSUBSCRIBE of the channel on the same connection; a later one is sent after it.
    this.connection.sunsubscribe(channel).catch(() => {
      // The connection is gone: nothing is subscribed on it any more.
    });
  }

  /** Runs `callback` each time the channels are subscribed again after a reconnect; returns its removal. */
  onResubscribed(callback: () => void): () => void {
    this.resubscribedCallbacks.add(callback);
    return () => this.resubscribedCallbacks.delete(callback);
  }

  private resubscribe(): void {
    this.resubscribing = this.resubscribing.then(async () => {
      const cluster = this.connection instanceof Cluster;
      for (let attempt = 1; !this.closed; attempt++) {
        const results = await Promise.allSettled(
          [...this.listeners.keys()].map(async (channel) => {
            // On a cluster, ioredis has sent SSUBSCRIBE on the new connection already, without
            // telling us when it is in effect: leave and join again, so the reply of our own
            // SSUBSCRIBE says so (ioredis keeps a copy of the channel per SSUBSCRIBE: one goes first).
            if (cluster) await this.connection.sunsubscribe(channel);
            await this.connection.ssubscribe(channel);
            // Its last listener left meanwhile, and that SUNSUBSCRIBE may have gone out first.
            if (!this.listeners.has(channel)) await this.connection.sunsubscribe(channel);
          }),
        );
        if (results.every((result) => result.status === "fulfilled")) break;
        await new Promise((resolve) => setTimeout(resolve, Math.min(2000, 100 * attempt)));
      }
      if (!this.closed) for (const callback of this.resubscribedCallbacks) callback();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    this.subscribed.clear();
    this.connection.disconnect();
  }
}
