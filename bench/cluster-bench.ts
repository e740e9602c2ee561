import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { startLocalCluster, type LocalCluster } from "../platform/local-cluster.js";
import { findRedisServer } from "../platform/redis-server.js";
import { shardOf } from "../shared/keys.js";
import { ApiClient } from "../test/support/api-client.js";
import { ms, summarize } from "./stats.js";

/**
 * The bench's cluster phase (`npx tsx bench/cluster-bench.ts` alone, or within `npm run bench`):
 * on a local Redis Cluster of three masters (append-only file on, as shipped), a server process
 * and one, then two, agents processes run a fixed number of handoff turns through the REST API
 * (post a message, long-poll the log until the specialist's run completes) over 100 conversations
 * created beforehand. Per run: turns/s, and per master the share of the commands it served
 * (INFO commandstats, reset when the window opens), against the target of none above 45%.
 */
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const QUESTION = "What is 17.5% of 2,480?";
const TOKEN = "cluster-bench-token-0123456789";
const MASTERS = 3;
const LONG_POLL_MS = 10_000;
/** The shipped default: where its shards' tags fall decides how conversations spread over masters. */
const PREFIX = "sb";
/** Cluster mode's default SWITCHBOARD_SHARDS. */
const SHARDS = 16;
export const MAX_SHARE = 0.45;
/** The bench's own measuring, not load: left out of the shares. */
const OWN_COMMANDS = new Set(["info", "config|resetstat"]);

export interface MasterFigures {
  port: number;
  shards: number;
  conversations: number;
  /** Commands served in the window, commands run by scripts included (INFO commandstats). */
  commands: number;
  commandUsec: number;
  cpuSeconds: number;
}

export interface ClusterRun {
  agentsProcesses: number;
  turns: number;
  failed: number;
  turnsPerSecond: number;
  p50: number;
  p99: number;
  /** Share of the machine's CPU time busy in the window (all cores). */
  machineBusy: number;
  /** The machine's 1-minute load average as the window opened: the machine is shared. */
  loadAverage: number;
  masters: MasterFigures[];
}

export interface ClusterFigures {
  conversations: number;
  redisVersion: string;
  load: string;
  runs: ClusterRun[];
}

export interface ClusterBenchOptions {
  binary: string;
  turns: number;
  conversations: number;
  say: (line: string) => void;
}

/** A server or agents process of the phase; keeps the tail of what it prints for error messages. */
class BenchProcess {
  private output = "";

  private constructor(readonly child: ChildProcess) {
    const keep = (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-8000));
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
  }

  /** Starts `script` and resolves with the first match of `ready` in what it prints. */
  static async start(script: string, env: Record<string, string>, ready: RegExp, started: BenchProcess[]): Promise<{ process: BenchProcess; match: RegExpExecArray }> {
    const child = spawn(process.execPath, ["--import", "tsx", script], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    const benchProcess = new BenchProcess(child);
    started.push(benchProcess);
    const match = await new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const found = ready.exec(benchProcess.output);
        if (found) {
          child.stdout?.off("data", check);
          child.off("exit", exited);
          resolve(found);
        }
      };
      const exited = () => reject(new Error(`${script} exited at start:\n${benchProcess.output}`));
      child.stdout?.on("data", check);
      child.once("exit", exited);
    });
    return { process: benchProcess, match };
  }

  /** SIGTERM, and SIGKILL if it has not exited 5 s later: the bench must not leave processes behind. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, "exit");
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  }
}

export async function clusterBench(options: ClusterBenchOptions): Promise<ClusterFigures> {
  const { say } = options;
  const loadAtStart = os.loadavg()[0] ?? Number.NaN;
  const dir = mkdtempSync(path.join(os.tmpdir(), "switchboard-cluster-bench-"));
  const processes: BenchProcess[] = [];
  const masters: Redis[] = [];
  let cluster: LocalCluster | undefined;
  let cleaning: Promise<void> | undefined;
  const cleanUp = () =>
    (cleaning ??= (async () => {
      await Promise.all(processes.map((started) => started.stop()));
      for (const master of masters) master.disconnect();
      await cluster?.stop();
      rmSync(dir, { recursive: true, force: true });
    })());
  // Stopped by a signal, the bench still stops what it started before it exits.
  const onSignal = (signal: NodeJS.Signals) => void cleanUp().finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    say(`cluster: starting ${MASTERS} masters (append-only file on) …`);
    cluster = await startLocalCluster({ binary: options.binary, dir: path.join(dir, "redis"), masters: MASTERS, persistent: true });
    for (const port of cluster.ports) masters.push(new Redis(port, "127.0.0.1"));
    const masterOfShard = await shardPlacement(masters, cluster.ports);

    const env = {
      REDIS_CLUSTER_NODES: cluster.nodes,
      SWITCHBOARD_PREFIX: PREFIX,
      SWITCHBOARD_SHARDS: String(SHARDS),
      SWITCHBOARD_TOKEN: TOKEN,
      SWITCHBOARD_DATA_DIR: path.join(dir, "data"),
      OFFLINE_MODEL_DELAY_MS: "0",
      SWITCHBOARD_CONCURRENCY: "100",
      SWITCHBOARD_DRAIN_MS: "1000",
      // The bench posts far faster than a person: the per-token and per-address limits would refuse it.
      SWITCHBOARD_RATE_MESSAGES: "0",
      SWITCHBOARD_RATE_MESSAGES_PER_ADDRESS: "0",
      SWITCHBOARD_RATE_CONVERSATIONS: "0",
      SWITCHBOARD_RATE_CONVERSATIONS_PER_ADDRESS: "0",
      LOG_LEVEL: "info",
      PORT: "0",
    };
    const server = await BenchProcess.start("bin/server.ts", env, /Switchboard server: (http:\/\/\S+)\//, processes);
    const api = new ApiClient(server.match[1] ?? "", TOKEN);

    const runs: ClusterRun[] = [];
    for (const agentsProcesses of [1, 2]) {
      say(`cluster: agents process ${agentsProcesses} starting …`);
      await BenchProcess.start("bin/agents.ts", env, /agents ready/, processes);
      const ids = await Promise.all(Array.from({ length: options.conversations }, () => api.createConversation()));
      say(`cluster: ${options.conversations} conversations, one warm-up turn each …`);
      await Promise.all(ids.map((id) => turn(api, id)));
      say(`cluster: ${options.turns} turns over ${options.conversations} conversations, ${agentsProcesses} agents process(es) …`);
      runs.push({ agentsProcesses, ...(await measuredWindow(api, ids, options.turns, masters, cluster.ports, masterOfShard, say)) });
    }
    const load = `load average (1 min) ${loadAtStart.toFixed(2)} at the start of the phase, ${(os.loadavg()[0] ?? Number.NaN).toFixed(2)} at the end`;
    const info = await (masters[0] as Redis).info("server");
    return { conversations: options.conversations, redisVersion: /redis_version:(\S+)/.exec(info)?.[1] ?? "?", load, runs };
  } finally {
    await cleanUp();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/**
 * One turn through the REST API, as a client would send it: post (with a `clientMsgId`, so a retry
 * posts nothing new), then long-poll the log until the specialist's run ends.
 */
async function turn(api: ApiClient, conversationId: string): Promise<{ latency: number; failed: boolean }> {
  const started = performance.now();
  const clientMsgId = randomUUID();
  const posted = await resent(() => api.request("POST", `/api/conversations/${conversationId}/messages`, { text: QUESTION, clientMsgId }));
  if (posted.status !== 202) throw new Error(`post a message: ${posted.status} ${JSON.stringify(posted.body)}`);
  let cursor = posted.body.eventId as string;
  for (;;) {
    const events = await resent(() => api.events(conversationId, cursor, LONG_POLL_MS));
    if (events.some((e) => e.type === "run.failed")) return { latency: performance.now() - started, failed: true };
    if (events.some((e) => e.type === "run.completed" && e.agent === "calculator")) return { latency: performance.now() - started, failed: false };
    cursor = events.at(-1)?.id ?? cursor;
  }
}

/**
 * Sends a request again when its connection died under it: on a starved machine the server may
 * close a kept-alive connection as idle just as the client sends on it ("other side closed").
 */
async function resent<T>(request: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await request();
    } catch (error) {
      if (attempt >= 3 || !(error instanceof TypeError && error.message === "fetch failed")) throw error;
    }
  }
}

async function measuredWindow(
  api: ApiClient,
  ids: string[],
  turns: number,
  masters: Redis[],
  ports: number[],
  masterOfShard: number[],
  say: (line: string) => void,
): Promise<Omit<ClusterRun, "agentsProcesses">> {
  await Promise.all(masters.map((master) => master.config("RESETSTAT")));
  const cpuBefore = await Promise.all(masters.map(cpuSeconds));
  const machineBefore = machineTimes();
  const loadAverage = os.loadavg()[0] ?? Number.NaN;
  const latencies: number[] = [];
  let failed = 0;
  let claimed = 0;
  const started = performance.now();
  const progress = setInterval(() => say(`  … ${latencies.length} turns done`), 10_000);
  try {
    await Promise.all(
      ids.map(async (id) => {
        while (claimed < turns) {
          claimed++;
          const result = await turn(api, id);
          latencies.push(result.latency);
          if (result.failed) failed++;
        }
      }),
    );
  } finally {
    clearInterval(progress);
  }
  const seconds = (performance.now() - started) / 1000;
  const machineAfter = machineTimes();
  const cpuAfter = await Promise.all(masters.map(cpuSeconds));
  const stats = await Promise.all(masters.map(commandStats));
  const summary = summarize(latencies);
  return {
    turns: latencies.length,
    failed,
    turnsPerSecond: latencies.length / seconds,
    p50: summary.p50,
    p99: summary.p99,
    loadAverage,
    machineBusy: 1 - (machineAfter.idle - machineBefore.idle) / Math.max(1, machineAfter.total - machineBefore.total),
    masters: ports.map((port, index) => ({
      port,
      shards: masterOfShard.filter((master) => master === index).length,
      conversations: ids.filter((id) => masterOfShard[shardOf(id) ?? -1] === index).length,
      commands: stats[index]?.calls ?? 0,
      commandUsec: stats[index]?.usec ?? 0,
      cpuSeconds: (cpuAfter[index] ?? 0) - (cpuBefore[index] ?? 0),
    })),
  };
}

/** For each shard, the index (in `ports`) of the master serving its slot. */
async function shardPlacement(masters: Redis[], ports: number[]): Promise<number[]> {
  const any = masters[0] as Redis;
  const ranges = await any.cluster("SLOTS");
  return Promise.all(
    Array.from({ length: SHARDS }, async (_, shard) => {
      const slot = Number(await any.cluster("KEYSLOT", `{${PREFIX}:s${shard.toString(16).padStart(2, "0")}}`));
      const range = ranges.find(([from, to]) => slot >= from && slot <= to);
      return ports.indexOf(Number(range?.[2]?.[1]));
    }),
  );
}

/** Calls and microseconds of every command the master served since RESETSTAT, its own measuring left out. */
async function commandStats(master: Redis): Promise<{ calls: number; usec: number }> {
  let calls = 0;
  let usec = 0;
  for (const line of (await master.info("commandstats")).split("\n")) {
    const match = /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/.exec(line.trim());
    if (!match || OWN_COMMANDS.has(match[1] ?? "")) continue;
    calls += Number(match[2]);
    usec += Number(match[3]);
  }
  return { calls, usec };
}

async function cpuSeconds(master: Redis): Promise<number> {
  const info = await master.info("cpu");
  const value = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, "m").exec(info)?.[1] ?? 0);
  return value("used_cpu_user") + value("used_cpu_sys");
}

function machineTimes(): { idle: number; total: number } {
  let idle = 0;
  let total = 0;
  for (const cpu of os.cpus()) {
    idle += cpu.times.idle;
    total += cpu.times.user + cpu.times.nice + cpu.times.sys + cpu.times.idle + cpu.times.irq;
  }
  return { idle, total };
}

const percent = (part: number, whole: number) => `${((part / Math.max(1, whole)) * 100).toFixed(1)}%`;

/** The "Cluster" section of docs/benchmarks.md, as Markdown lines. */
export function renderClusterSection(figures: ClusterFigures): string[] {
  const first = figures.runs[0];
  const second = figures.runs[1];
  const ratio = first && second ? (second.turnsPerSecond / first.turnsPerSecond).toFixed(2) : "—";
  const busy = figures.runs.map((run) => `${(run.machineBusy * 100).toFixed(0)}%`).join(" and ");
  const check = (run: ClusterRun) => {
    const total = run.masters.reduce((sum, master) => sum + master.commands, 0);
    const max = Math.max(...run.masters.map((master) => master.commands / Math.max(1, total)));
    return `${(max * 100).toFixed(1)}% ${max <= MAX_SHARE ? "≤" : ">"} ${MAX_SHARE * 100}%: ${max <= MAX_SHARE ? "met" : "missed"}`;
  };
  return [
    "## Cluster",
    "",
    `Measured by \`npx tsx bench/cluster-bench.ts\` (also a phase of \`npm run bench\`) on ${machineLine()}; ${figures.load}.`,
    `A local Redis Cluster of ${MASTERS} masters, no replicas, append-only file on (everysec), Redis ${figures.redisVersion};`,
    `one server process and one, then two, agents processes (\`SWITCHBOARD_CONCURRENCY=100\`), prefix \`${PREFIX}\`,`,
    `${SHARDS} shards. ${figures.conversations} conversations are created and each runs one warm-up turn before the window; in`,
    "the window each conversation posts a message (`POST …/messages`), long-polls its log until the",
    "calculator's run completes, and posts again, until the run's turns are done (`CLUSTER_BENCH_TURNS`,",
    "default 1,000). Commands are INFO commandstats calls (commands run by scripts included), reset as",
    "the window opens. They include the workers' polling: each agents process runs a BullMQ worker per",
    "agent and shard, so each master also serves polling in proportion to its shards, busy or not.",
    "",
    "| agents processes | turns | failed | turns/s | turn p50 (ms) | turn p99 (ms) | machine CPU busy (all processes) | load average (1 min) at the start |",
    "|---|---|---|---|---|---|---|---|",
    ...figures.runs.map(
      (run) => `| ${run.agentsProcesses} | ${run.turns} | ${run.failed} | ${run.turnsPerSecond.toFixed(1)} | ${ms(run.p50)} | ${ms(run.p99)} | ${(run.machineBusy * 100).toFixed(0)}% | ${run.loadAverage.toFixed(2)} |`,
    ),
    "",
    "| agents processes | master | shards | conversations | commands | share of commands | share of command time | Redis CPU (s) |",
    "|---|---|---|---|---|---|---|---|",
    ...figures.runs.flatMap((run) => {
      const calls = run.masters.reduce((sum, master) => sum + master.commands, 0);
      const usec = run.masters.reduce((sum, master) => sum + master.commandUsec, 0);
      return run.masters.map(
        (master, index) =>
          `| ${run.agentsProcesses} | ${index + 1} | ${master.shards} of ${SHARDS} | ${master.conversations} | ${master.commands} | ${percent(master.commands, calls)} | ${percent(master.commandUsec, usec)} | ${master.cpuSeconds.toFixed(2)} |`,
      );
    }),
    "",
    `Target, no master above ${MAX_SHARE * 100}% of the commands: ${figures.runs.map((run) => `${run.agentsProcesses} agents process${run.agentsProcesses > 1 ? "es" : ""} ${check(run)}`).join("; ")}.`,
    `Two agents processes against one: ${ratio}× the turns/s, with the machine ${busy} busy in the two windows.`,
    "The server, the agents processes, the three masters and the bench's client share its",
    `${os.cpus().length} cores with whatever else runs there, so a second agents process brings no CPU of its own, only`,
    "a share of the same cores (and one more process's workers polling the masters): the ratio says",
    "that two processes share the work, not that they are faster, and it moves with the machine's",
    "load between the windows (the last column). Scaling out pays where each process has cores of its own.",
    "",
  ];
}

function machineLine(): string {
  return `${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? "unknown CPU"}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${os.release()}, Node ${process.version}`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const binary = findRedisServer();
  if (!binary) throw new Error("redis-server is not installed (Debian: apt-get install redis-server)");
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const figures = await clusterBench({ binary, turns: Number(process.env.CLUSTER_BENCH_TURNS ?? 1000), conversations: 100, say });
  say(`\n${renderClusterSection(figures).join("\n")}`);
}
