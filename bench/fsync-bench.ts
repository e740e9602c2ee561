import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ConversationLog } from "../platform/conversation-log.js";
import { Conversations } from "../platform/conversations.js";
import { AgentRegistry } from "../platform/agent-registry.js";
import { createLogger } from "../platform/logger.js";
import { Queues, queueLayout } from "../platform/queues.js";
import { connectRedis } from "../platform/redis.js";
import { spawnRedis, type RedisFsync } from "../platform/redis-server.js";
import { MessageIntake } from "../server/message-intake.js";
import { keys as keyNames } from "../shared/keys.js";
import { summarize, type Summary } from "./stats.js";

export interface FsyncFigures {
  everysec: Summary;
  always: Summary;
}

/**
 * What a 202 costs under each `appendfsync` policy: a message made durable (logged and its run
 * queued, as `POST …/messages` does) on two private Redis servers with the append-only file on,
 * one per policy, on the same disk. Rounds alternate A/B/A so both share the machine's weather.
 */
export async function fsyncBench(binary: string, samples: number): Promise<FsyncFigures> {
  const log = createLogger("silent");
  const keys = keyNames("fsync");
  const setups = await Promise.all(
    (["everysec", "always"] as RedisFsync[]).map(async (fsync) => {
      const dir = mkdtempSync(path.join(os.tmpdir(), `switchboard-fsync-${fsync}-`));
      const server = await spawnRedis({ binary, dir, persistent: true, fsync });
      const redis = await connectRedis(`redis://127.0.0.1:${server.port}`);
      const conversations = new Conversations(redis, keys);
      const queues = new Queues(redis, keys, queueLayout({ shards: 1, redisCluster: undefined }));
      const intake = new MessageIntake(new ConversationLog(redis, keys, log, 10_000), conversations, queues, new AgentRegistry(redis, keys, log));
      const conversation = await conversations.create("bench", "fsync");
      return { fsync, dir, server, redis, queues, intake, conversationId: conversation.id, latencies: [] as number[] };
    }),
  );
  try {
    const [everysec, always] = setups as [(typeof setups)[number], (typeof setups)[number]];
    const post = async (setup: typeof everysec) => {
      const started = performance.now();
      await setup.intake.post({ owner: "bench", conversationId: setup.conversationId, title: "fsync", text: "What is 17.5% of 2,480?" });
      setup.latencies.push(performance.now() - started);
    };
    const rounds = Math.max(10, Math.round(samples / 10));
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < 5; i++) await post(everysec);
      for (let i = 0; i < 10; i++) await post(always);
      for (let i = 0; i < 5; i++) await post(everysec);
    }
    return { everysec: summarize(everysec.latencies), always: summarize(always.latencies) };
  } finally {
    for (const setup of setups) {
      await setup.queues.close();
      setup.redis.disconnect();
      setup.server.child.kill("SIGTERM");
      rmSync(setup.dir, { recursive: true, force: true });
    }
  }
}
