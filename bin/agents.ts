import { ensureRedis } from "../platform/redis-server.js";
import { startConfiguredAgents } from "./configured-agents.js";
import { loadConfiguration, onShutdown, run } from "./bootstrap.js";

/** `npm run start:agents`: the agent workers alone; run as many as the load needs. */
run(async () => {
  const { config, log } = loadConfiguration();
  const redis = await ensureRedis({ redisUrl: config.redisUrl, dataDir: config.dataDir, log, fsync: config.redisFsync });
  const agents = await startConfiguredAgents(config, redis.url, log);
  onShutdown(log, async () => {
    await agents.close();
    await redis.stop();
  });
});
