import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { inject } from "vitest";
import { TEST_TOKEN as ADMIN_TOKEN } from "../../support/api-client.js";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const MAIN = fileURLToPath(new URL("./served-platform-main.ts", import.meta.url));

/** A platform (agents and server) in a process of its own, on the test Redis with its own key prefix. */
export interface ServedPlatform {
  url: string;
  prefix: string;
  child: ChildProcess;
  /** Everything the process printed (its JSON log lines included). */
  output(): string;
  /** Set once the process has exited, told to or not. */
  exit(): { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** Stops it with SIGTERM and waits for it; true when it was still running (it had not crashed). */
  stop(): Promise<boolean>;
}

export async function startServedPlatform(options: { env?: Record<string, string>; agents?: boolean } = {}): Promise<ServedPlatform> {
  const prefix = `f${randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const child = spawn(process.execPath, ["--import", "tsx", MAIN], {
    cwd: ROOT,
    env: {
      ...process.env,
      REDIS_URL: inject("redisUrl"),
      PORT: "0",
      HOST: "127.0.0.1",
      SWITCHBOARD_PREFIX: prefix,
      SWITCHBOARD_TOKEN: ADMIN_TOKEN,
      OFFLINE_MODEL_DELAY_MS: "0",
      SWITCHBOARD_LOCK_MS: "2000",
      SWITCHBOARD_STALLED_MS: "1000",
      LOG_LEVEL: "warn",
      SERVED_PLATFORM_AGENTS: options.agents === false ? "0" : "1",
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.on("exit", (code, signal) => (exited = { code, signal }));
  const url = await new Promise<string>((resolve, reject) => {
    const check = () => {
      const ready = /served-platform ready (http:\/\/\S+)/.exec(output);
      if (ready?.[1]) resolve(ready[1]);
      else if (exited) reject(new Error(`the platform process exited (${exited.code ?? exited.signal}):\n${output}`));
    };
    child.stdout?.on("data", check);
    child.on("exit", check);
  });
  return {
    url,
    prefix,
    child,
    output: () => output,
    exit: () => exited,
    stop: async () => {
      if (exited) return false;
      const done = once(child, "exit");
      child.kill("SIGTERM");
      await done;
      return true;
    },
  };
}
