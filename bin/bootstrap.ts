import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import dotenv from "dotenv";
import { createLogger, type Logger } from "../platform/logger.js";
import { ensureRedis, RedisUnavailableError } from "../platform/redis-server.js";
import type { RedisTarget } from "../platform/redis.js";
import { shutdownTracing } from "../platform/tracing.js";
import { parseConfig, type Config } from "../shared/config.js";
import { ConfigurationError } from "../agents/errors.js";

/** Reads `.env` and the environment; a bad setting stops the process with every problem listed. */
export function loadConfiguration(): { config: Config; log: Logger } {
  dotenv.config({ quiet: true });
  const parsed = parseConfig(process.env);
  if (!parsed.ok) {
    process.stderr.write(`Switchboard cannot start; fix these settings:\n${parsed.errors.map((e) => `  • ${e}`).join("\n")}\n`);
    process.exit(1);
  }
  return { config: parsed.config, log: createLogger(parsed.config.logLevel) };
}

/**
 * The Redis to use: the cluster REDIS_CLUSTER_NODES names, else the server of REDIS_URL, else the
 * private one this process starts (or finds left running) under the data folder.
 */
export async function connectTarget(config: Config, log: Logger): Promise<{ target: RedisTarget; stop(): Promise<void> }> {
  if (config.redisCluster) return { target: { cluster: config.redisCluster }, stop: async () => {} };
  const redis = await ensureRedis({ redisUrl: config.redisUrl, dataDir: config.dataDir, log, fsync: config.redisFsync });
  return { target: redis.url, stop: () => redis.stop() };
}

/**
 * Starts a part with `start`; when it cannot start, `stop` first stops what had started before it
 * (the agents, the private Redis), so a failed start leaves nothing running, then the error goes on.
 */
export async function startOrStop<T>(log: Logger, start: () => Promise<T>, stop: () => Promise<void>): Promise<T> {
  try {
    return await start();
  } catch (error) {
    await stop().catch((stopError: unknown) => log.warn({ err: stopError }, "could not stop what had started before the failure"));
    throw error;
  }
}

/** Runs `main`; a startup failure a person can fix is printed as a message, not a stack trace. */
export function run(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    if (error instanceof RedisUnavailableError || error instanceof ConfigurationError) {
      process.stderr.write(`Switchboard cannot start:\n${error.message}\n`);
    } else {
      process.stderr.write(`Switchboard stopped on an unexpected error:\n${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    }
    process.exit(1);
  });
}

/** Closes everything once on SIGINT/SIGTERM (the agents drain for SWITCHBOARD_DRAIN_MS), then exits; a second signal exits at once. */
export function onShutdown(log: Logger, close: () => Promise<void>): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      // A second signal means "now": what was not finished resumes from its checkpoints.
      log.warn({ signal }, "stopping at once");
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, "shutting down");
    // The spans not exported yet go out before the exit (nothing to do when tracing is off).
    close()
      .then(() => shutdownTracing().catch((error: unknown) => log.warn({ err: error }, "could not export the last traces")))
      .then(
        () => process.exit(0),
        (error: unknown) => {
          log.error({ err: error }, "shutdown failed");
          process.exit(1);
        },
      );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

/** Leaves the URL and token where `npm run chat` on this machine finds them (owner-only file). */
export function saveEndpoint(dataDir: string, url: string, token: string): void {
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(path.join(dataDir, "endpoint.json"), `${JSON.stringify({ url, token })}\n`, { mode: 0o600 });
}
