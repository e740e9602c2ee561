// First: it starts OpenTelemetry, when configured, before anything else loads.
import "./tracing.js";
import { ensureClientBuilt } from "./client-build.js";
import { connectTarget, loadConfiguration, onShutdown, run, saveEndpoint, startOrStop } from "./bootstrap.js";

/** `npm start`: Redis (private unless REDIS_URL is set), the agents and the server in one process. */
run(async () => {
  const { config, log } = loadConfiguration();
  // Loaded after the settings are checked: a bad one fails at once, before the heavy libraries load.
  const [{ startServer }, { startConfiguredAgents }] = await Promise.all([import("../server/server-process.js"), import("./configured-agents.js")]);
  await ensureClientBuilt(log);
  const redis = await connectTarget(config, log);
  const agents = await startOrStop(log, () => startConfiguredAgents(config, redis.target, log), redis.stop);
  // The server's /api/health and /api/ready cover these agents too (no SWITCHBOARD_AGENTS_PORT here).
  const server = await startOrStop(
    log,
    () => startServer({ config, redis: redis.target, log, agents: () => agents }),
    async () => {
      await agents.close();
      await redis.stop();
    },
  );
  saveEndpoint(config.dataDir, server.url, server.token);
  onShutdown(log, async () => {
    // Readiness says 503 first; the server goes on serving (and streaming the runs in flight) while they drain.
    server.beginShutdown();
    await agents.close();
    await server.close();
    await redis.stop();
  });
  process.stdout.write(
    [
      "",
      `Switchboard is running${config.model.offline ? " with the offline model (set OPENAI_API_KEY or OPENAI_BASE_URL for a real one)" : ""}.`,
      // A generated token is shown, since nobody knows it yet; one the operator set is never printed.
      ...(config.token === undefined
        ? [`  Open:          ${server.url}/?token=${server.token}`, `  Access token:  ${server.token}`]
        : [`  Open:          ${server.url}/`, "  Access token:  the one configured in SWITCHBOARD_TOKEN (not printed)"]),
      `  Chat here:     npm run chat -- "What is 17.5% of 2,480?"`,
      "",
    ].join("\n") + "\n",
  );
});
