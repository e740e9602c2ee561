import { Redis, type RedisOptions } from "ioredis";

/**
 * Opens a Redis connection and waits until it is usable.
 * `blocking` connections (BullMQ workers, stream tails) retry forever; producers fail fast so a
 * caller sees an outage as an error instead of a request that hangs.
 */
export async function connectRedis(url: string, options: { blocking?: boolean; name?: string } = {}): Promise<Redis> {
  const redisOptions: RedisOptions = options.blocking
    ? { maxRetriesPerRequest: null, enableReadyCheck: true }
    : { maxRetriesPerRequest: 2, enableOfflineQueue: false };
  const redis = new Redis(url, { ...redisOptions, connectionName: options.name, lazyConnect: true });
  await redis.connect();
  return redis;
}
