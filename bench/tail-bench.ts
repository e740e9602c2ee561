import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ConversationLog } from "../platform/conversation-log.js";
import { createLogger } from "../platform/logger.js";
import { LogTail } from "../platform/log-tail.js";
import { connectRedis, ShardedSubscriber } from "../platform/redis.js";
import { findRedisServer, spawnRedis } from "../platform/redis-server.js";
import { keys as keyNames } from "../shared/keys.js";
import { percentile } from "./stats.js";

/**
 * `npx tsx bench/tail-bench.ts`: what the log tail costs a server that follows 100 conversations.
 * Two loads on a private redis-server: a burst (32 writers appending to random conversations as
 * fast as they can) and a trickle (one event at a time, each waited for before the next). For each:
 * events per second delivered, Redis CPU per 1,000 delivered events (INFO cpu), and the Redis time
 * of the tail's own commands (INFO commandstats). Figures are in docs/redis-layout.md.
 */
const FOLLOWED = 100;
const BURST_EVENTS = Number(process.env.TAIL_BENCH_EVENTS ?? 20_000);
const TRICKLE_EVENTS = Number(process.env.TAIL_BENCH_TRICKLE ?? 2_000);
const WRITERS = 32;
const log = createLogger("silent");
const say = (line: string) => process.stdout.write(`${line}\n`);

const binary = findRedisServer();
if (!binary) throw new Error("redis-server is not installed (Debian: apt-get install redis-server)");
const dir = mkdtempSync(path.join(os.tmpdir(), "switchboard-tail-bench-"));
const server = await spawnRedis({ binary, dir, persistent: false });
const url = `redis://127.0.0.1:${server.port}`;

interface CommandStat {
  calls: number;
  usec: number;
}

/** INFO commandstats as command → calls and microseconds (commands run by scripts included). */
async function commandStats(redis: Awaited<ReturnType<typeof connectRedis>>): Promise<Map<string, CommandStat>> {
  const stats = new Map<string, CommandStat>();
  for (const line of (await redis.info("commandstats")).split("\n")) {
    const match = /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/.exec(line.trim());
    if (match) stats.set(match[1] ?? "", { calls: Number(match[2]), usec: Number(match[3]) });
  }
  return stats;
}

async function cpuSeconds(redis: Awaited<ReturnType<typeof connectRedis>>): Promise<number> {
  const info = await redis.info("cpu");
  const value = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, "m").exec(info)?.[1] ?? 0);
  return value("used_cpu_user") + value("used_cpu_sys");
}

/** Commands only the tail sends (the append script's own work is the same for both tails but SPUBLISH). */
const TAIL_COMMANDS = ["xread", "client|id", "client|unblock", "xrange", "ssubscribe", "sunsubscribe", "spublish", "xrevrange"];

try {
  const prefix = "tailbench";
  const keys = keyNames(prefix);
  const redis = await connectRedis(url);
  const subscriber = await ShardedSubscriber.connect(url, "bench-tail");
  const conversationLog = new ConversationLog(redis, keys, log, 10_000);
  const tail = new LogTail(subscriber, redis, keys, conversationLog, log);
  const ids = Array.from({ length: FOLLOWED }, (_, index) => `bench${String(index).padStart(4, "0")}`);

  let delivered = 0;
  let waiter: { count: number; resolve: () => void } | undefined;
  const arrivedAt = new Map<string, number>();
  const stops = ids.map((id) =>
    tail.subscribe(id, "0", (event) => {
      delivered++;
      arrivedAt.set(event.id + id, performance.now());
      if (waiter && delivered >= waiter.count) waiter.resolve();
    }),
  );
  const deliveredUpTo = (count: number) =>
    delivered >= count ? Promise.resolve() : new Promise<void>((resolve) => (waiter = { count, resolve }));
  const pick = () => ids[Math.floor(Math.random() * ids.length)] ?? "";
  const append = (id: string, text: string) => conversationLog.append(id, { type: "message.user", data: { text } });

  // Warm up: every followed conversation gets one event, so the tail is in its steady state.
  await Promise.all(ids.map((id) => append(id, "warm-up")));
  await deliveredUpTo(FOLLOWED);

  const measure = async (name: string, load: () => Promise<number>) => {
    await redis.config("RESETSTAT");
    const cpuBefore = await cpuSeconds(redis);
    const started = performance.now();
    const events = await load();
    const seconds = (performance.now() - started) / 1000;
    const cpu = (await cpuSeconds(redis)) - cpuBefore;
    const stats = await commandStats(redis);
    const total = [...stats.values()].reduce((sum, stat) => sum + stat.usec, 0);
    const tailUsec = TAIL_COMMANDS.reduce((sum, command) => sum + (stats.get(command)?.usec ?? 0), 0);
    say(`${name}: ${events} events to ${FOLLOWED} followed conversations`);
    say(`  delivered: ${(events / seconds).toFixed(0)} events/s`);
    say(`  Redis CPU: ${((cpu * 1_000_000) / events).toFixed(1)} µs per delivered event (INFO cpu)`);
    say(`  the tail's commands: ${((tailUsec / Math.max(1, total)) * 100).toFixed(1)}% of Redis command time, ${(tailUsec / events).toFixed(1)} µs per event`);
    for (const command of TAIL_COMMANDS) {
      const stat = stats.get(command);
      if (stat && stat.calls > 0) say(`    ${command}: ${stat.calls} calls, ${(stat.usec / stat.calls).toFixed(1)} µs per call`);
    }
  };

  await measure("burst", async () => {
    const target = delivered + BURST_EVENTS;
    let next = 0;
    await Promise.all(
      Array.from({ length: WRITERS }, async () => {
        while (next < BURST_EVENTS) {
          next++;
          await append(pick(), `burst ${next}`);
        }
      }),
    );
    await deliveredUpTo(target);
    return BURST_EVENTS;
  });

  const latencies: number[] = [];
  await measure("trickle", async () => {
    for (let index = 0; index < TRICKLE_EVENTS; index++) {
      const id = pick();
      const sent = performance.now();
      const target = delivered + 1;
      const { event } = await append(id, `trickle ${index}`);
      await deliveredUpTo(target);
      latencies.push((arrivedAt.get(event.id + id) ?? sent) - sent);
    }
    return TRICKLE_EVENTS;
  });
  say(`  append → delivery: p50 ${percentile(latencies, 50).toFixed(2)} ms, p99 ${percentile(latencies, 99).toFixed(2)} ms`);

  for (const stop of stops) stop();
  await tail.close();
  await subscriber.close();
  redis.disconnect();
} finally {
  server.child.kill("SIGTERM");
  rmSync(dir, { recursive: true, force: true });
}
