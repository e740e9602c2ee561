import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { existsSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Redis } from "ioredis";

/** The processes the bench runs as users run them, one Node process each (their pids are the ones measured). */
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const PROBE = path.join(ROOT, "bench", "redis-probe.mjs");

export type Role = "agents" | "server";

/**
 * How a role starts: what `npm run start:agents` / `start:server` run, `node bin/start.mjs <role>`,
 * which imports the compiled entry point (dist/bin/<role>.js) into its own process, so the process
 * spawned is the one that does the work. `buildProduct()` compiles first, so no start waits for it.
 */
export function productCommand(role: Role): string[] {
  return [path.join("bin", "start.mjs"), role];
}

/** Compiles what `npm start` runs (`npm run build:server`), before anything is timed. */
export function buildProduct(): void {
  const result = spawnSync("npm", ["run", "--silent", "build:server"], { cwd: ROOT, stdio: "inherit" });
  if (result.status !== 0) throw new Error("npm run build:server failed: the bench measures the compiled product");
}

export interface ProductProcess {
  role: Role;
  child: ChildProcess;
  pid: number;
  /** What its ready line captured: the server's URL. */
  url: string;
  /** From spawn to the ready line, in ms. */
  readyMs: number;
  stop(): Promise<void>;
}

const READY: Record<Role, RegExp> = { agents: /agents ready/, server: /Switchboard server: (http:\/\/\S+?)\/?[\s(?]/ };

/**
 * Starts a role with the Redis probe preloaded and resolves at its ready line. `BENCH_NODE_ARGS`
 * (e.g. "--cpu-prof") go to the measured processes, for profiling a run; `script` runs another
 * entry point the same way (the bench's workflow agents).
 */
export async function startProduct(role: Role, env: Record<string, string>, options: { script?: string[] } = {}): Promise<ProductProcess> {
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const started = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, "--import", PROBE, ...(options.script ?? productCommand(role))], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exited = once(child, "exit");
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    await exited;
  };
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-20_000);
      const match = READY[role].exec(output);
      if (!match) return;
      child.stdout?.off("data", onData);
      child.stderr?.off("data", onData);
      // Drained, never read: a full pipe would stall the process.
      child.stdout?.resume();
      child.stderr?.resume();
      resolve({ role, child, pid: child.pid ?? 0, url: match[1] ?? "", readyMs: performance.now() - started, stop });
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    void exited.then(() => reject(new Error(`${role} exited before it was ready:\n${output}`)));
  });
}

/** CPU time a process has used (user + system), in ms, from /proc/<pid>/stat. */
export async function cpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  // The command name (field 2) may hold spaces: fields are counted after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / CLOCK_TICKS;
}

/** USER_HZ: 100 on every Linux the bench runs on (sysconf(_SC_CLK_TCK) is not reachable from Node). */
const CLOCK_TICKS = 100;

export interface ProbeCounts {
  commands: number;
  roundTrips: number;
  /** Of the round trips, BullMQ's own job handling (its scripts and blocking waits). */
  queueRoundTrips: number;
}

/** The Redis probe's counts in a process (see redis-probe.mjs): asked by SIGUSR2, answered in a file. */
export async function probeCounts(pid: number, dir: string): Promise<ProbeCounts> {
  const file = path.join(dir, `${pid}.json`);
  const before = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as { reads: number }).reads : 0;
  process.kill(pid, "SIGUSR2");
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (!existsSync(file)) continue;
    let counts: ProbeCounts & { reads: number };
    try {
      counts = JSON.parse(readFileSync(file, "utf8")) as ProbeCounts & { reads: number };
    } catch {
      continue; // Read while being written.
    }
    if (counts.reads > before) return counts;
  }
}

/** Calls per command since Redis started, from INFO commandstats: the commands scripts run included. */
export async function commandCalls(redis: Redis): Promise<Map<string, number>> {
  const calls = new Map<string, number>();
  for (const line of (await redis.info("commandstats")).split("\n")) {
    const match = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim());
    if (match) calls.set(match[1] ?? "", Number(match[2]));
  }
  return calls;
}

export async function redisPid(redis: Redis): Promise<number> {
  return Number(/process_id:(\d+)/.exec(await redis.info("server"))?.[1] ?? 0);
}
