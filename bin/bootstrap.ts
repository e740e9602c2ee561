import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import dotenv from "dotenv";
import { createLogger, type Logger } from "../platform/logger.js";
import { RedisUnavailableError } from "../platform/redis-server.js";
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
    close().then(
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
