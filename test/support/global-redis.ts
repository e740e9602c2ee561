import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { findRedisServer, spawnRedis } from "../../platform/redis-server.js";

declare module "vitest" {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

let child: ChildProcess | undefined;
let dir: string | undefined;

/** One throwaway redis-server for the whole run; tests never touch a Redis they did not start. */
export async function setup(project: TestProject): Promise<void> {
  const binary = findRedisServer();
  if (!binary) throw new Error("redis-server is not installed: the tests need it (Debian: apt-get install redis-server)");
  dir = mkdtempSync(path.join(tmpdir(), "switchboard-test-redis-"));
  const started = await spawnRedis({ binary, dir, persistent: false });
  child = started.child;
  project.provide("redisUrl", `redis://127.0.0.1:${started.port}`);
}

export async function teardown(): Promise<void> {
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child?.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
}
