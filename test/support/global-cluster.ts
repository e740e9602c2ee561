import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import type { TestProject } from "vitest/node";
import { findRedisServer, freePort, spawnRedis } from "../../platform/redis-server.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** Seed nodes of the test cluster, as REDIS_CLUSTER_NODES names them; absent outside `npm run test:cluster`. */
    redisCluster?: string;
  }
}

const MASTERS = 3;
let children: ChildProcess[] = [];
let dir: string | undefined;

/**
 * `npm run test:cluster`: a throwaway Redis Cluster of three masters (no replicas), formed with
 * `redis-cli --cluster create`, for the whole run. Tests find its nodes with `inject("redisCluster")`.
 */
export async function setup(project: TestProject): Promise<void> {
  const binary = findRedisServer();
  if (!binary) throw new Error("redis-server is not installed: the tests need it (Debian: apt-get install redis-server)");
  dir = mkdtempSync(path.join(tmpdir(), "switchboard-test-cluster-"));
  try {
    project.provide("redisCluster", await startCluster(binary, dir));
  } catch (error) {
    // Vitest may not run the teardown of a setup that failed: stop what did start.
    await teardown();
    throw error;
  }
}

/** Starts the masters and forms the cluster; resolves with its nodes as `host:port,…`. */
async function startCluster(binary: string, dir: string): Promise<string> {
  const ports: number[] = [];
  for (let node = 0; node < MASTERS; node++) {
    const started = await spawnRedis({ binary, dir: path.join(dir, `node-${node}`), persistent: false, clusterNode: true, port: await freePort() });
    children.push(started.child);
    ports.push(started.port);
  }
  const nodes = ports.map((port) => `127.0.0.1:${port}`);
  const create = spawn("redis-cli", ["--cluster", "create", ...nodes, "--cluster-replicas", "0", "--cluster-yes"], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  create.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  create.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const [code] = (await once(create, "exit")) as [number | null];
  if (code !== 0) throw new Error(`redis-cli --cluster create failed:\n${output}`);
  await Promise.all(ports.map((port) => clusterReady(port)));
  return nodes.join(",");
}

/**
 * Resolves once the node says `cluster_state:ok` and maps every slot to the three masters. Redis
 * announces no such moment (the configuration spreads by gossip), so this asks until it holds.
 */
async function clusterReady(port: number): Promise<void> {
  const redis = new Redis(port, "127.0.0.1", { lazyConnect: true });
  await redis.connect();
  try {
    for (;;) {
      const info = String(await redis.cluster("INFO"));
      const slots = (await redis.cluster("SLOTS")) as unknown[];
      if (/^cluster_state:ok/m.test(info) && /^cluster_known_nodes:3/m.test(info) && slots.length === MASTERS) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    redis.disconnect();
  }
}

export async function teardown(): Promise<void> {
  await Promise.all(
    children.map(async (child) => {
      if (child.exitCode !== null) return;
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      await exited;
    }),
  );
  children = [];
  if (dir) rmSync(dir, { recursive: true, force: true });
}
