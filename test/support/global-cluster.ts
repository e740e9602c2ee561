import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { startLocalCluster, type LocalCluster } from "../../platform/local-cluster.js";
import { findRedisServer } from "../../platform/redis-server.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** Seed nodes of the test cluster, as REDIS_CLUSTER_NODES names them; absent outside `npm run test:cluster`. */
    redisCluster?: string;
  }
}

let cluster: LocalCluster | undefined;
let dir: string | undefined;

/**
 * `npm run test:cluster`: a throwaway Redis Cluster of three masters (no replicas, no append-only
 * file) for the whole run. Tests find its nodes with `inject("redisCluster")`.
 */
export async function setup(project: TestProject): Promise<void> {
  const binary = findRedisServer();
  if (!binary) throw new Error("redis-server is not installed: the tests need it (Debian: apt-get install redis-server)");
  dir = mkdtempSync(path.join(tmpdir(), "switchboard-test-cluster-"));
  try {
    cluster = await startLocalCluster({ binary, dir, masters: 3, persistent: false });
  } catch (error) {
    // Vitest may not run the teardown of a setup that failed; the servers are stopped already.
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  project.provide("redisCluster", cluster.nodes);
}

export async function teardown(): Promise<void> {
  await cluster?.stop();
  cluster = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
}
