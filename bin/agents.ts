// First: it starts OpenTelemetry, when configured, before anything else loads.
import "./tracing.js";
import { connectTarget, loadConfiguration, onShutdown, run, startOrStop } from "./bootstrap.js";

/** `npm run start:agents`: the agent workers alone; run as many as the load needs. */
run(async () => {
  const { config, log } = loadConfiguration();
  // Loaded after the settings are checked: a bad one fails at once, before the team's libraries load.
  const { startConfiguredAgents } = await import("./configured-agents.js");
  const redis = await connectTarget(config, log);
  const agents = await startOrStop(log, () => startConfiguredAgents(config, redis.target, log, { opsPort: config.agentsPort }), redis.stop);
  onShutdown(log, async () => {
    await agents.close();
    await redis.stop();
  });
});
