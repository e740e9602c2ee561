// First: it starts OpenTelemetry, when configured, before anything else loads.
import "./tracing.js";
import { ensureClientBuilt } from "./client-build.js";
import { connectTarget, loadConfiguration, onShutdown, run, saveEndpoint, startOrStop } from "./bootstrap.js";

/** `npm run start:server`: the HTTP API and gateway alone; scale it out beside agents processes. */
run(async () => {
  const { config, log } = loadConfiguration();
  // Loaded after the settings are checked: a bad one fails at once, before the server's libraries load.
  const { startServer } = await import("../server/server-process.js");
  await ensureClientBuilt(log);
  const redis = await connectTarget(config, log);
  const server = await startOrStop(log, () => startServer({ config, redis: redis.target, log }), redis.stop);
  saveEndpoint(config.dataDir, server.url, server.token);
  onShutdown(log, async () => {
    await server.close();
    await redis.stop();
  });
  // A generated token is shown, since nobody knows it yet; one the operator set is never printed.
  process.stdout.write(
    config.token === undefined
      ? `Switchboard server: ${server.url}/?token=${server.token}\n`
      : `Switchboard server: ${server.url}/ (access token: the one configured in SWITCHBOARD_TOKEN, not printed)\n`,
  );
});
