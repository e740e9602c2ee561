import { startAgents } from "../agents/agents-process.js";
import { builtInAgents } from "../agents/team/built-in-team.js";
import { ensureRedis } from "../platform/redis-server.js";
import { loadConfiguration, onShutdown, run } from "./bootstrap.js";

/** `npm run start:agents`: the agent workers alone; run as many as the load needs. */
run(async () => {
  const { config, log } = loadConfiguration();
  const redis = await ensureRedis({ redisUrl: config.redisUrl, dataDir: config.dataDir, log });
  const agents = await startAgents({
    config,
    redisUrl: redis.url,
    log,
    agents: await builtInAgents(),
    catalogDir: config.catalogDir,
    specialistsDir: config.specialistsDir,
  });
  onShutdown(log, async () => {
    await agents.close();
    await redis.stop();
  });
});
