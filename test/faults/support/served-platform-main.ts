/**
 * The entry of a platform process for the fault tests: the agents as `npm start` configures them
 * (built-in team, catalog, specialists, shipped workflows) and the server, in one process of its
 * own, on the settings in its environment. It prints `served-platform ready <url>` once both run,
 * and stops cleanly on SIGTERM. A test that abuses the server sees it crash as this process
 * exiting, not as its own worker dying. It never builds the browser client.
 */
import { startConfiguredAgents } from "../../../bin/configured-agents.js";
import type { RunningAgents } from "../../../agents/agents-process.js";
import { createLogger } from "../../../platform/logger.js";
import { startServer } from "../../../server/server-process.js";
import { parseConfig } from "../../../shared/config.js";

async function main(): Promise<void> {
  const parsed = parseConfig(process.env);
  if (!parsed.ok) {
    process.stderr.write(`served platform: bad settings:\n${parsed.errors.join("\n")}\n`);
    process.exit(2);
  }
  const { config } = parsed;
  if (!config.redisUrl) throw new Error("served platform: REDIS_URL is required");
  const log = createLogger(config.logLevel);
  const agents: RunningAgents | undefined =
    process.env.SERVED_PLATFORM_AGENTS === "0" ? undefined : await startConfiguredAgents(config, config.redisUrl, log);
  const server = await startServer({ config, redis: config.redisUrl, log });
  let stopping = false;
  process.on("SIGTERM", () => {
    if (stopping) return;
    stopping = true;
    void (async () => {
      await server.close();
      await agents?.close();
      process.exit(0);
    })();
  });
  process.stdout.write(`served-platform ready ${server.url}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`served platform failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
