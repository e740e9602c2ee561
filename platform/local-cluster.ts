import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { Redis } from "ioredis";
import { spawnRedis } from "./redis-server.js";

export interface LocalCluster {
  /** The masters as REDIS_CLUSTER_NODES names them: `127.0.0.1:<port>,…`. */
  nodes: string;
  /** The masters' ports, in the order `redis-cli --cluster create` gave them slots (ascending ranges). */
  ports: number[];
  /** Stops every redis-server it started and waits for them to exit. Idempotent. */
  stop(): Promise<void>;
}

export interface LocalClusterOptions {
  binary: string;
  /** Each master keeps its files in `<dir>/node-<n>`; the caller owns `dir` and removes it. */
  dir: string;
  masters: number;
  /** Append-only file on, as shipped (the bench); off for throwaway test clusters. */
  persistent: boolean;
}

/**
 * A Redis Cluster of `masters` masters and no replicas on loopback, each on a free port, formed with
 * `redis-cli --cluster create`; resolves once every master agrees that all slots are served. For
 * `npm run test:cluster` and the bench's cluster phase. If anything fails on the way, the servers
 * started so far are stopped before the error is thrown.
 */
export async function startLocalCluster(options: LocalClusterOptions): Promise<LocalCluster> {
  const children: ChildProcess[] = [];
  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= stopAll(children));
  try {
    const ports: number[] = [];
    for (let node = 0; node < options.masters; node++) {
      const started = await spawnRedis({ binary: options.binary, dir: path.join(options.dir, `node-${node}`), persistent: options.persistent, clusterNode: true });
      children.push(started.child);
      ports.push(started.port);
    }
    const nodes = ports.map((port) => `127.0.0.1:${port}`);
    await createCluster(nodes);
    await Promise.all(ports.map((port) => clusterReady(port, options.masters)));
    return { nodes: nodes.join(","), ports, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function createCluster(nodes: string[]): Promise<void> {
  const create = spawn("redis-cli", ["--cluster", "create", ...nodes, "--cluster-replicas", "0", "--cluster-yes"], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  create.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  create.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const [code] = (await once(create, "exit")) as [number | null];
  if (code !== 0) throw new Error(`redis-cli --cluster create failed:\n${output}`);
}

/**
 * Resolves once the node says `cluster_state:ok` and maps every slot to the masters. Redis
 * announces no such moment (the configuration spreads by gossip), so this asks until it holds.
 */
async function clusterReady(port: number, masters: number): Promise<void> {
  const redis = new Redis(port, "127.0.0.1", { lazyConnect: true });
  await redis.connect();
  try {
    for (;;) {
      const info = String(await redis.cluster("INFO"));
      const slots = (await redis.cluster("SLOTS")) as unknown[];
      if (/^cluster_state:ok/m.test(info) && new RegExp(`^cluster_known_nodes:${masters}\\b`, "m").test(info) && slots.length === masters) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    redis.disconnect();
  }
}

async function stopAll(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      await exited;
    }),
  );
}
