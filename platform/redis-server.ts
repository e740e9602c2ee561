import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { accessSync, constants, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, createConnection } from "node:net";
import path from "node:path";
import type { Logger } from "./logger.js";

/** Raised when no Redis can be had; the message names every way to get one. */
export class RedisUnavailableError extends Error {
  override name = "RedisUnavailableError";
}

export interface RedisHandle {
  url: string;
  /** Stops the private server, if this process started one. Idempotent. */
  stop(): Promise<void>;
}

const HOW_TO_GET_REDIS = [
  "Switchboard needs Redis 7 or newer. Any one of these works:",
  "  • install it with your package manager (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis),",
  "  • run it in a container: docker compose up -d redis,",
  "  • or point Switchboard at a running server: REDIS_URL=redis://host:6379 npm start",
].join("\n");

/** The program's path on PATH, if it is there and executable. */
function findExecutable(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter).filter(Boolean)) {
    const file = path.join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // Not in this folder; try the next one.
    }
  }
  return undefined;
}

export function findRedisServer(): string | undefined {
  return findExecutable("redis-server");
}

/** Installs Debian's redis-server, but only where that needs no question: root with apt-get. */
function installRedisQuietly(log: Logger): boolean {
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  if (!isRoot || findExecutable("apt-get") === undefined) return false;
  log.info("redis-server not found; installing the Debian package (root, apt-get available)");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const install = () => spawnSync("apt-get", ["install", "-y", "-qq", "redis-server"], { stdio: "ignore", env });
  if (install().status === 0) return true;
  spawnSync("apt-get", ["update", "-qq"], { stdio: "ignore", env });
  return install().status === 0;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** True when something on the port answers PING with PONG. */
async function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: "127.0.0.1" });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once("error", () => done(false));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.once("data", (data) => done(data.toString().startsWith("+PONG")));
  });
}

export interface SpawnRedisOptions {
  binary: string;
  dir: string;
  /** Append-only file on: what the product uses. Off for throwaway test servers. */
  persistent: boolean;
  /**
   * When the append-only file is fsynced: once a second (Redis's default; a crash of the machine
   * can lose the last second) or before every write is acknowledged.
   */
  fsync?: RedisFsync;
  port?: number;
  /** A node of a Redis Cluster (its cluster state file in `dir`); the cluster is formed afterwards. */
  clusterNode?: boolean;
  /**
   * In a process group of its own: a Ctrl-C in the terminal then reaches the product, which drains
   * its runs and stops this Redis last, rather than this Redis first, under the runs still writing.
   */
  ownProcessGroup?: boolean;
}

export type RedisFsync = "everysec" | "always";

/** Starts a redis-server child bound to loopback and resolves once it answers. */
export async function spawnRedis(options: SpawnRedisOptions): Promise<{ port: number; child: ChildProcess }> {
  mkdirSync(options.dir, { recursive: true });
  const port = options.port ?? (await freePort());
  const args = [
    "--port", String(port),
    "--bind", "127.0.0.1",
    "--dir", path.resolve(options.dir),
    "--save", "",
    "--appendonly", options.persistent ? "yes" : "no",
    "--appendfsync", options.fsync ?? "everysec",
    "--protected-mode", "yes",
    // The cluster bus gets a free port of its own: the default, the port + 10000, may be taken or past 65535.
    ...(options.clusterNode
      ? ["--cluster-enabled", "yes", "--cluster-config-file", path.resolve(options.dir, "nodes.conf"), "--cluster-port", String(await freePort())]
      : []),
  ];
  const child = spawn(options.binary, args, { stdio: ["ignore", "pipe", "pipe"], detached: options.ownProcessGroup === true });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  child.stderr?.on("data", (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  for (let attempt = 0; attempt < 200; attempt++) {
    const state = await Promise.race([exited.then(() => "exited" as const), answersPing(port).then((ok) => ok)]);
    if (state === "exited") throw new RedisUnavailableError(`redis-server exited at start:\n${output.trim()}`);
    if (state) return { port, child };
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  child.kill("SIGKILL");
  throw new RedisUnavailableError(`redis-server did not answer on port ${port}:\n${output.trim()}`);
}

/**
 * `REDIS_URL` set: use it. Unset: run a private redis-server with its data under `<dataDir>/redis`
 * (AOF on), reusing one left running there by an earlier start.
 */
export async function ensureRedis(options: { redisUrl?: string; dataDir: string; log: Logger; fsync?: RedisFsync }): Promise<RedisHandle> {
  const { redisUrl, dataDir, log } = options;
  const fsync = options.fsync ?? "everysec";
  if (redisUrl) return { url: redisUrl, stop: async () => {} };

  const dir = path.join(dataDir, "redis");
  const portFile = path.join(dir, "port");
  if (existsSync(portFile)) {
    const previous = Number(readFileSync(portFile, "utf8").trim());
    if (Number.isInteger(previous) && previous > 0 && (await answersPing(previous))) {
      // It may have been started with another SWITCHBOARD_REDIS_FSYNC: this start's setting applies.
      await setFsync(previous, fsync);
      log.info({ port: previous, dir, fsync }, "reusing the private Redis left running by an earlier start");
      return { url: `redis://127.0.0.1:${previous}`, stop: async () => {} };
    }
  }

  const binary = findRedisServer() ?? (installRedisQuietly(log) ? findRedisServer() : undefined);
  if (!binary) throw new RedisUnavailableError(`REDIS_URL is not set and redis-server is not installed.\n${HOW_TO_GET_REDIS}`);

  const { port, child } = await spawnRedis({ binary, dir, persistent: true, fsync, ownProcessGroup: true });
  writeFileSync(portFile, `${port}\n`);
  log.info({ port, dir, fsync }, "started a private Redis (append-only file on)");
  let stopped: Promise<void> | undefined;
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: () =>
      (stopped ??= new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      })),
  };
}

/** `CONFIG SET appendfsync` on a private Redis, in the protocol's inline form (no client needed). */
async function setFsync(port: number, fsync: RedisFsync): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const socket = createConnection({ port, host: "127.0.0.1" });
    socket.setTimeout(2000, () => {
      socket.destroy();
      reject(new RedisUnavailableError(`the private Redis on port ${port} did not answer CONFIG SET appendfsync`));
    });
    socket.once("error", reject);
    socket.once("connect", () => socket.write(`CONFIG SET appendfsync ${fsync}\r\n`));
    socket.once("data", (data) => {
      socket.destroy();
      const reply = data.toString();
      if (reply.startsWith("+OK")) resolve();
      else reject(new RedisUnavailableError(`the private Redis on port ${port} refused appendfsync ${fsync}: ${reply.trim()}`));
    });
  });
}
