import { spawn } from "node:child_process";
import { connect, createServer, type AddressInfo } from "node:net";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { createLogger } from "../platform/logger.js";
import { ensureRedis } from "../platform/redis-server.js";
import { parseConfig } from "../shared/config.js";
import { keys, shardedConversationId, shardOf } from "../shared/keys.js";
import { reportIfStillWaiting } from "./support/harness.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
/** For the tests that start a process (tsx compiles `bin/agents.ts` first; slow on a loaded machine). */
const PROCESS_TEST_TIMEOUT_MS = 180_000;

describe("configuration", () => {
  it("has working defaults: the embedded, offline set-up", () => {
    const parsed = parseConfig({});
    expect(parsed.ok && parsed.config).toMatchObject({
      port: 3000,
      host: "127.0.0.1",
      prefix: "sb",
      redisUrl: undefined,
      model: { offline: true, defaultModel: "offline" },
      limits: { maxSteps: 8, maxHandoffDepth: 4, tokenBudget: 50_000, maxMessageChars: 8000 },
    });
  });

  it("names every bad variable and what is wrong with it", () => {
    const parsed = parseConfig({ PORT: "eighty", REDIS_URL: "http://localhost", SWITCHBOARD_TOKEN: "short", SWITCHBOARD_MAX_STEPS: "0" });
    expect(parsed.ok).toBe(false);
    const errors = parsed.ok ? [] : parsed.errors;
    expect(errors.find((e) => e.startsWith("PORT:"))).toBeTruthy();
    expect(errors.find((e) => e.startsWith("REDIS_URL:"))).toBeTruthy();
    expect(errors.find((e) => e.startsWith("SWITCHBOARD_TOKEN:"))).toMatch(/at least 16 characters/);
    expect(errors.find((e) => e.startsWith("SWITCHBOARD_MAX_STEPS:"))).toBeTruthy();
  });

  it("reads who may see the metrics and the agents process's health port", () => {
    const defaults = parseConfig({});
    expect(defaults.ok && { metrics: defaults.config.metrics, agentsPort: defaults.config.agentsPort }).toEqual({ metrics: "admin", agentsPort: undefined });
    const set = parseConfig({ SWITCHBOARD_METRICS: "public", SWITCHBOARD_AGENTS_PORT: "9464" });
    expect(set.ok && { metrics: set.config.metrics, agentsPort: set.config.agentsPort }).toEqual({ metrics: "public", agentsPort: 9464 });
    const bad = parseConfig({ SWITCHBOARD_METRICS: "everyone", SWITCHBOARD_AGENTS_PORT: "70000" });
    const errors = bad.ok ? [] : bad.errors;
    expect(errors).toContain('SWITCHBOARD_METRICS: use "admin" or "public"');
    expect(errors).toContain("SWITCHBOARD_AGENTS_PORT: use a port number (0–65535)");
  });

  it("reads a cluster's seed nodes, and shards: 1 on a single Redis, 16 on a cluster unless set", () => {
    const single = parseConfig({ REDIS_URL: "redis://127.0.0.1:6379" });
    expect(single.ok && { cluster: single.config.redisCluster, shards: single.config.shards }).toEqual({ cluster: undefined, shards: 1 });
    const cluster = parseConfig({ REDIS_URL: "redis://127.0.0.1:6379", REDIS_CLUSTER_NODES: "10.0.0.1:7000, redis-b:7001,[::1]:7002" });
    expect(cluster.ok && { cluster: cluster.config.redisCluster, shards: cluster.config.shards }).toEqual({
      cluster: [
        { host: "10.0.0.1", port: 7000 },
        { host: "redis-b", port: 7001 },
        { host: "::1", port: 7002 },
      ],
      shards: 16,
    });
    const set = parseConfig({ REDIS_CLUSTER_NODES: "redis-a:7000", SWITCHBOARD_SHARDS: "64" });
    expect(set.ok && set.config.shards).toBe(64);
    const bad = parseConfig({ REDIS_CLUSTER_NODES: "redis-a, redis-b:99999", SWITCHBOARD_SHARDS: "300" });
    const errors = bad.ok ? [] : bad.errors;
    expect(errors).toContain('REDIS_CLUSTER_NODES: "redis-a" is not host:port');
    expect(errors).toContain('REDIS_CLUSTER_NODES: "redis-b:99999" is not host:port');
    expect(errors).toContain("SWITCHBOARD_SHARDS: use a whole number from 1 to 256");
  });

  it("tells a conversation's shard from its id, and an id made before shards from one with a shard", () => {
    const id = shardedConversationId(0xa7, "AbCdEfGhIj_-KlMnOpQr");
    expect(id).toMatch(/^[a-zA-Z0-9_-]{8,64}$/);
    expect(shardOf(id)).toBe(0xa7);
    // Legacy ids: `c` and 16 base64url characters, which may look like a shard at first.
    expect(shardOf("c3f_abcdefghijklm")).toBeUndefined();
    expect(shardOf("cAbCdEfGhIjKlMnOp")).toBeUndefined();
    const k = keys("sb");
    expect(k.events(id)).toBe(`sb:conv:{sb:sa7}:${id}:events`);
    expect(k.queuePrefix(id)).toBe("sb:{sb:sa7}:q");
    expect(k.events("cAbCdEfGhIjKlMnOp")).toBe("sb:conv:{cAbCdEfGhIjKlMnOp}:events");
    expect(k.queuePrefix("cAbCdEfGhIjKlMnOp")).toBe("{sb}:q");
  });

  it("uses a real model when a key or a base URL is given", () => {
    const parsed = parseConfig({ OPENAI_BASE_URL: "http://127.0.0.1:11434/v1" });
    expect(parsed.ok && parsed.config.model).toMatchObject({ offline: false, baseUrl: "http://127.0.0.1:11434/v1", defaultModel: "gpt-4o-mini" });
  });

  it("stops a process with every problem listed instead of a stack trace", { timeout: PROCESS_TEST_TIMEOUT_MS }, async () => {
    const { code, output } = await run(["bin/agents.ts"], { PORT: "eighty", SWITCHBOARD_TOKEN: "short" });
    expect(code).toBe(1);
    expect(output).toMatch(/Switchboard cannot start; fix these settings:/);
    expect(output).toMatch(/PORT:/);
    expect(output).not.toMatch(/at .*\.ts:\d+/);
  });
});

describe("Redis bootstrap", () => {
  it("starts a private redis-server with its append-only file under the data folder, and reuses it", { timeout: PROCESS_TEST_TIMEOUT_MS }, async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "switchboard-data-"));
    const log = createLogger("silent");
    const first = await ensureRedis({ dataDir, log });
    try {
      const redis = new Redis(first.url);
      const [, appendonly] = (await redis.config("GET", "appendonly")) as [string, string];
      expect(appendonly).toBe("yes");
      const [, dir] = (await redis.config("GET", "dir")) as [string, string];
      expect(dir).toBe(path.join(dataDir, "redis"));
      await redis.set("kept", "1");
      redis.disconnect();
      const second = await ensureRedis({ dataDir, log });
      expect(second.url).toBe(first.url);
      expect(readFileSync(path.join(dataDir, "redis", "port"), "utf8").trim()).toBe(new URL(first.url).port);
    } finally {
      await first.stop();
    }
    expect(existsSync(path.join(dataDir, "redis"))).toBe(true);
  });

  it("says when its port is taken, and leaves no private Redis running", { timeout: PROCESS_TEST_TIMEOUT_MS }, async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const port = (taken.address() as AddressInfo).port;
    const dataDir = mkdtempSync(path.join(tmpdir(), "switchboard-data-"));
    try {
      const { code, output } = await run(["bin/server.ts"], { PORT: String(port), SWITCHBOARD_DATA_DIR: dataDir });
      expect(code).toBe(1);
      expect(output).toContain(`Switchboard cannot start:\n127.0.0.1:${port} is in use (another Switchboard, or another program). Stop it, or set PORT to a free port`);
      expect(output).not.toMatch(/at .*\.ts:\d+/);
      // It had started its private Redis before it tried the port: that Redis is gone again.
      const redisPort = Number(readFileSync(path.join(dataDir, "redis", "port"), "utf8"));
      expect(await reach(redisPort)).toBe("ECONNREFUSED");
    } finally {
      taken.close();
    }
  });

  it("stops in order on a Ctrl-C to the terminal's whole process group: the product first, its private Redis last", { timeout: PROCESS_TEST_TIMEOUT_MS }, async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "switchboard-data-"));
    const { REDIS_URL: _unset, ...inherited } = process.env;
    // A group of its own, as a terminal gives `npm start`: the signal goes to every process in it.
    const child = spawn(process.execPath, ["--import", "tsx", "bin/switchboard.ts"], {
      cwd: ROOT,
      env: { ...inherited, PORT: "0", SWITCHBOARD_DATA_DIR: dataDir, LOG_LEVEL: "warn" },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let output = "";
    const exit = new Promise<number | null>((resolve) => child.once("exit", resolve));
    await new Promise<void>((resolve, reject) => {
      const over = reportIfStillWaiting("npm start to be running", () => `it has printed:\n${output || "(nothing)"}`, (reason) => {
        process.kill(-(child.pid ?? 0), "SIGKILL");
        reject(reason);
      });
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (!output.includes("Chat here:")) return;
        over();
        resolve();
      };
      child.stdout.on("data", onData);
      child.stderr.on("data", onData);
    });
    process.kill(-(child.pid ?? 0), "SIGINT");
    expect(await exit, output).toBe(0);
    expect(output).not.toMatch(/ECONNREFUSED|isn't writeable/);
    const redisPort = Number(readFileSync(path.join(dataDir, "redis", "port"), "utf8"));
    expect(await reach(redisPort)).toBe("ECONNREFUSED");
  });

  it("says how to get Redis when none can be had", { timeout: PROCESS_TEST_TIMEOUT_MS }, async () => {
    // No redis-server and no apt-get on this PATH: nothing to start and nothing to install with.
    const dataDir = mkdtempSync(path.join(tmpdir(), "switchboard-data-"));
    const emptyPath = mkdtempSync(path.join(tmpdir(), "switchboard-path-"));
    const { code, output } = await run(["bin/agents.ts"], { PATH: emptyPath, SWITCHBOARD_DATA_DIR: dataDir });
    expect(code).toBe(1);
    expect(output).toMatch(/REDIS_URL is not set and redis-server is not installed/);
    expect(output).toMatch(/apt-get install redis-server/);
    expect(output).toMatch(/docker compose up -d redis/);
    expect(output).toMatch(/REDIS_URL=redis:\/\/host:6379/);
  });
});

/** "connected", or the error code of a connection to the port on loopback. */
function reach(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve("connected");
    });
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

/** Runs a command of the product to its end; no deadline of its own (a test that ends first kills it and reports its output). */
function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const { REDIS_URL: _unset, ...inherited } = process.env;
  const child = spawn(process.execPath, ["--import", "tsx", ...args], { cwd: ROOT, env: { ...inherited, LOG_LEVEL: "silent", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    const over = reportIfStillWaiting(
      `${args.join(" ")} to exit`,
      () => `it has printed:\n${output || "(nothing)"}`,
      (reason) => {
        child.kill("SIGKILL");
        reject(reason);
      },
    );
    // "close", not "exit": by then everything it printed has been read.
    child.once("close", (code) => {
      over();
      resolve({ code, output });
    });
  });
}
