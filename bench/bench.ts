import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { counts as benchProbe } from "./redis-probe.mjs";
import { ConversationLog } from "../platform/conversation-log.js";
import { Conversations } from "../platform/conversations.js";
import { createLogger } from "../platform/logger.js";
import { connectRedis } from "../platform/redis.js";
import { findRedisServer, freePort, spawnRedis } from "../platform/redis-server.js";
import { keys as keyNames } from "../shared/keys.js";
import { restClient, socketClient, type BenchClient, type TurnResult } from "./clients.js";
import { openTwoHopFloor, streamHop } from "./floor.js";
import { pushLatency, idleClientsMemory } from "./gateway-bench.js";
import { buildProduct, commandCalls, cpuMs, probeCounts, redisPid, startProduct, type ProbeCounts, type ProductProcess } from "./product.js";
import { renderReport, writeSection, writeTargets, type LoadFigures, type ReportInput, type Window } from "./report.js";
import { rssMb, summarize } from "./stats.js";
import { workflowBench } from "./workflow-bench.js";
import { fsyncBench } from "./fsync-bench.js";
import { browserBench, renderBrowserSection, withSection } from "./browser-bench.js";
import { clusterBench, renderClusterSection } from "./cluster-bench.js";

/**
 * `npm run bench`: the product as users run it (the agents and server processes as `npm start`
 * starts them, default settings, Redis with its append-only file as shipped, the offline model at
 * zero delay), driven by REST and Socket.IO clients, beside the two-hop BullMQ floor measured in
 * the same windows (A/B/A). Per turn: CPU of every process, Redis commands and round trips.
 * Rewrites its own section of docs/benchmarks.md (between markers) and the targets table of
 * docs/performance.md; then, unless `BENCH_EXTRAS=0`, the Browser and Cluster phases rewrite theirs.
 */
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const QUESTION = "What is 17.5% of 2,480?";
const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const TURNS = env("BENCH_TURNS", 2000);
const CONVERSATIONS = env("BENCH_CONVERSATIONS", 100);
const LATENCY_TURNS = env("BENCH_LATENCY_TURNS", 100);
/** The load runs as A B A … B A: floor and product slices in turn, so both share the machine's weather. */
const SLICES = env("BENCH_SLICES", 4);
/** Floor chains over all A slices. */
const FLOOR_CHAINS = env("BENCH_FLOOR_CHAINS", Math.max(500, TURNS));
const IDLE_SOCKETS = env("BENCH_IDLE_SOCKETS", 1000);
/** `BENCH_EXTRAS=0` skips the workflow, push and fsync sections (kept from the last full run). */
const EXTRAS = process.env.BENCH_EXTRAS !== "0";
/** What the floor runs at: the agents' default concurrency (SWITCHBOARD_CONCURRENCY). */
const DEFAULT_CONCURRENCY = 32;
const TOKEN = "bench-token-0123456789abcdef";
const log = createLogger("silent");
const say = (line: string) => process.stdout.write(`${line}\n`);
const load = () => (os.loadavg()[0] ?? Number.NaN).toFixed(2);

buildProduct();
const binary = findRedisServer();
if (!binary) throw new Error("redis-server is not installed (Debian: apt-get install redis-server)");
const work = mkdtempSync(path.join(os.tmpdir(), "switchboard-bench-"));
const redisPort = process.env.BENCH_REDIS_PORT ? Number(process.env.BENCH_REDIS_PORT) : await freePort();
// As `npm start` runs its private Redis (platform/redis-server.ts ensureRedis): AOF on, fsync every second.
const redisServer = await spawnRedis({ binary, dir: path.join(work, "redis"), persistent: true, fsync: "everysec", port: redisPort });
const redisUrl = `redis://127.0.0.1:${redisPort}`;
const processes: ProductProcess[] = [];
/** Turns whose runs failed: counted and shown (a failed turn has no answer to time). */
const failures: string[] = [];
const checked = (result: TurnResult) => {
  if (result.failure && failures.push(result.failure) <= 5) say(`a turn failed: ${result.failure}`);
  return result;
};
const loadAtStart = load();
say(`load average (1 min) ${loadAtStart}; Redis on port ${redisPort} (append-only file, fsync every second)`);

try {
  const redis = await connectRedis(redisUrl);
  const pids = { redis: await redisPid(redis) };
  // Defaults everywhere but what a bench must set: where Redis is, a token, a private data folder,
  // the offline model at zero delay, and rate limits raised past the load (still on: their Redis
  // work is counted).
  const productEnv: Record<string, string> = {
    REDIS_URL: redisUrl,
    SWITCHBOARD_TOKEN: TOKEN,
    SWITCHBOARD_DATA_DIR: path.join(work, "data"),
    OPENAI_API_KEY: "",
    OFFLINE_MODEL_DELAY_MS: "0",
    PORT: process.env.BENCH_PORT ?? "0",
    BENCH_PROBE_DIR: work,
    SWITCHBOARD_RATE_MESSAGES: "1000000",
    SWITCHBOARD_RATE_MESSAGES_PER_ADDRESS: "1000000",
    SWITCHBOARD_RATE_CONVERSATIONS: "1000000",
    SWITCHBOARD_RATE_CONVERSATIONS_PER_ADDRESS: "1000000",
  };
  // The product processes inherit this environment: settings left in the shell would not be defaults.
  for (const name of ["SWITCHBOARD_CONCURRENCY", "LOG_LEVEL", "SWITCHBOARD_PREFIX", "SWITCHBOARD_SHARDS", "REDIS_CLUSTER_NODES", "SWITCHBOARD_REDIS_FSYNC"]) {
    if (process.env[name] === undefined) continue;
    say(`note: ${name} is set in this shell; the bench runs the product with its default instead`);
    delete process.env[name];
  }

  say("agents: first start, then a second one from a warm cache …");
  const first = await startProduct("agents", productEnv);
  await first.stop();
  const agents = await startProduct("agents", productEnv);
  processes.push(agents);
  say(`agents ready in ${(first.readyMs / 1000).toFixed(1)} s, then ${(agents.readyMs / 1000).toFixed(1)} s (warm)`);
  const server = await startProduct("server", productEnv);
  processes.push(server);
  say(`server ready in ${(server.readyMs / 1000).toFixed(1)} s at ${server.url}`);

  say(`server: ${IDLE_SOCKETS} idle Socket.IO clients …`);
  const idle = await idleClientsMemory(server.url, TOKEN, server.pid, IDLE_SOCKETS);

  const workerConnection = await connectRedis(redisUrl, { blocking: true });
  const floor = await openTwoHopFloor(redis, workerConnection, "{floor}", DEFAULT_CONCURRENCY);

  say(`latency: ${LATENCY_TURNS} rounds of floor chain → REST turn → socket turn, one at a time …`);
  const rest = await restClient(server.url, TOKEN, "latency rest");
  const socket = await socketClient(server.url, TOKEN, "latency socket");
  for (let i = 0; i < 10; i++) {
    checked(await rest.turn(QUESTION));
    checked(await socket.turn(QUESTION));
    await floor.chain();
  }
  const sequential = { floor: [] as number[], rest: [] as number[], socket: [] as number[] };
  for (let i = 0; i < LATENCY_TURNS; i++) {
    sequential.floor.push(await floor.chain());
    for (const client of [rest, socket]) {
      const result = checked(await client.turn(QUESTION));
      if (!result.failure) sequential[client.kind].push(result.latency);
    }
  }
  rest.close();
  socket.close();

  say(`load: ${CONVERSATIONS} conversations (half REST, half Socket.IO), created before the window …`);
  const clients: BenchClient[] = [];
  for (let i = 0; i < CONVERSATIONS; i += 10) {
    const batch = Array.from({ length: Math.min(10, CONVERSATIONS - i) }, (_, j) =>
      (i + j) % 2 === 0 ? restClient(server.url, TOKEN, `load ${i + j}`) : socketClient(server.url, TOKEN, `load ${i + j}`),
    );
    clients.push(...(await Promise.all(batch)));
  }
  // One turn each first: connections, caches and JIT warm, as in a conversation already going.
  await Promise.all(clients.map(async (client) => checked(await client.turn(QUESTION))));

  const measured = [
    { name: "agents", pid: agents.pid, probe: true },
    { name: "server", pid: server.pid, probe: true },
    { name: "redis-server", pid: pids.redis, probe: false },
  ] as const;
  /** Everything a window is judged by, read at its start and end. */
  const snapshot = async () => ({
    at: performance.now(),
    cpu: Object.fromEntries(await Promise.all(measured.map(async (p) => [p.name, await cpuMs(p.pid)] as const))) as Record<(typeof measured)[number]["name"], number>,
    bench: process.cpuUsage(),
    calls: await commandCalls(redis),
    probes: Object.fromEntries(await Promise.all(measured.filter((p) => p.probe).map(async (p) => [p.name, await probeCounts(p.pid, work)] as const))) as Record<"agents" | "server", ProbeCounts>,
    benchProbe: { ...benchProbe },
    load: os.loadavg()[0] ?? Number.NaN,
  });
  /** A window's raw totals, summed over its slices. */
  interface Totals {
    units: number;
    seconds: number;
    steps: number;
    cpu: { agents: number; server: number; redis: number; bench: number };
    commands: number;
    sent: { agents: number; server: number; bench: number };
    roundTrips: { agents: number; server: number; bench: number };
    /** The agents process's round trips that were BullMQ's own job handling. */
    queueRoundTrips: number;
    slices: number[];
    load: number[];
  }
  const measure = async (run: () => Promise<{ units: number; steps?: number }>): Promise<Totals> => {
    const before = await snapshot();
    const { units, steps } = await run();
    const after = await snapshot();
    const seconds = (after.at - before.at) / 1000;
    const bench = process.cpuUsage(before.bench);
    let commands = 0;
    for (const [name, calls] of after.calls) if (name !== "info") commands += calls - (before.calls.get(name) ?? 0);
    return {
      units,
      seconds,
      steps: steps ?? 0,
      cpu: {
        agents: after.cpu.agents - before.cpu.agents,
        server: after.cpu.server - before.cpu.server,
        redis: after.cpu["redis-server"] - before.cpu["redis-server"],
        bench: (bench.user + bench.system) / 1000,
      },
      commands,
      sent: {
        agents: after.probes.agents.commands - before.probes.agents.commands,
        server: after.probes.server.commands - before.probes.server.commands,
        bench: after.benchProbe.commands - before.benchProbe.commands,
      },
      roundTrips: {
        agents: after.probes.agents.roundTrips - before.probes.agents.roundTrips,
        server: after.probes.server.roundTrips - before.probes.server.roundTrips,
        bench: after.benchProbe.roundTrips - before.benchProbe.roundTrips,
      },
      queueRoundTrips: after.probes.agents.queueRoundTrips - before.probes.agents.queueRoundTrips,
      slices: [units / seconds],
      load: [before.load, after.load],
    };
  };
  const sum = <K extends string>(a: Record<K, number>, b: Record<K, number>) =>
    Object.fromEntries(Object.keys(a).map((key) => [key, a[key as K] + b[key as K]])) as Record<K, number>;
  const combine = (a: Totals, b: Totals): Totals => ({
    units: a.units + b.units,
    seconds: a.seconds + b.seconds,
    steps: a.steps + b.steps,
    cpu: sum(a.cpu, b.cpu),
    commands: a.commands + b.commands,
    sent: sum(a.sent, b.sent),
    roundTrips: sum(a.roundTrips, b.roundTrips),
    queueRoundTrips: a.queueRoundTrips + b.queueRoundTrips,
    slices: [...a.slices, ...b.slices],
    load: [...a.load, ...b.load],
  });
  const toWindow = (t: Totals): Window => {
    const per = <K extends string>(values: Record<K, number>) =>
      Object.fromEntries(Object.entries(values).map(([key, value]) => [key, (value as number) / t.units])) as Record<K, number>;
    return {
      units: t.units,
      seconds: t.seconds,
      rate: t.units / t.seconds,
      steps: t.steps,
      cpuMs: per(t.cpu),
      redisCommands: t.commands / t.units,
      sent: per(t.sent),
      roundTrips: per(t.roundTrips),
      queueRoundTrips: t.queueRoundTrips / t.units,
      slices: t.slices,
      load: [Math.min(...t.load), Math.max(...t.load)],
    };
  };

  const floorSlice = (chains: number) =>
    measure(async () => {
      let started = 0;
      await Promise.all(
        Array.from({ length: CONVERSATIONS }, async () => {
          while (started < chains) {
            started++;
            await floor.chain();
          }
        }),
      );
      return { units: started };
    });
  const latencies = { rest: [] as number[], socket: [] as number[] };
  const productSlice = (turns: number) =>
    measure(async () => {
      let started = 0;
      let steps = 0;
      await Promise.all(
        clients.map(async (client) => {
          while (started < turns) {
            started++;
            const result = checked(await client.turn(QUESTION));
            if (!result.failure) latencies[client.kind].push(result.latency);
            steps += result.steps;
          }
        }),
      );
      return { units: started, steps };
    });

  let peak = { agents: 0, server: 0 };
  const sampler = setInterval(() => {
    Promise.all([rssMb(agents.pid), rssMb(server.pid)]).then(
      ([agentsRss, serverRss]) => (peak = { agents: Math.max(peak.agents, agentsRss), server: Math.max(peak.server, serverRss) }),
      (error: unknown) => say(`could not read a process's memory: ${String(error)}`),
    );
  }, 200);
  let floorTotals: Totals | undefined;
  let productTotals: Totals | undefined;
  for (let slice = 0; slice <= SLICES; slice++) {
    const chains = Math.ceil(FLOOR_CHAINS / (SLICES + 1));
    say(`window A${slice + 1}: ${chains} two-hop BullMQ chains, ${CONVERSATIONS} at a time (load ${load()}) …`);
    const a = await floorSlice(chains);
    floorTotals = floorTotals ? combine(floorTotals, a) : a;
    if (slice === SLICES) break;
    const turns = Math.ceil(TURNS / SLICES);
    say(`window B${slice + 1}: ${turns} turns over ${CONVERSATIONS} conversations (load ${load()}) …`);
    const b = await productSlice(turns);
    productTotals = productTotals ? combine(productTotals, b) : b;
  }
  clearInterval(sampler);
  for (const client of clients) client.close();
  await floor.close();
  workerConnection.disconnect();
  if (!floorTotals || !productTotals) throw new Error("BENCH_SLICES must be at least 1");
  const loadFigures: LoadFigures = {
    floor: toWindow(floorTotals),
    product: toWindow(productTotals),
    rest: summarize(latencies.rest),
    socket: summarize(latencies.socket),
    agentsRss: peak.agents,
    serverRss: peak.server,
  };

  let extras: ReportInput["extras"];
  if (EXTRAS) {
    say("gateway: event push latency …");
    const keys = keyNames("sb");
    const conversationLog = new ConversationLog(redis, keys, log, 10_000);
    const push = summarize(await pushLatency(server.url, TOKEN, new Conversations(redis, keys), conversationLog, 300));
    const reader = await connectRedis(redisUrl, { blocking: true });
    const pushFloor = summarize(await streamHop(redis, reader, "floor:stream", 300));
    reader.disconnect();
    await agents.stop();
    const workflowPrefix = "benchwf";
    const workflowAgents = await startProduct("agents", { ...productEnv, SWITCHBOARD_PREFIX: workflowPrefix }, { script: ["--import", "tsx", "bench/workflow-agents.ts"] });
    processes.push(workflowAgents);
    const rounds = env("BENCH_WORKFLOW_ROUNDS", 50);
    say(`workflows: ${rounds} rounds …`);
    const workflows = await workflowBench({ redisUrl, prefix: workflowPrefix, rounds, warmupRounds: 5, concurrency: DEFAULT_CONCURRENCY, log });
    await workflowAgents.stop();
    say("durability: a 202 under appendfsync everysec and always …");
    const fsync = await fsyncBench(binary, 300);
    extras = { push, pushFloor, workflows, fsync };
  }

  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? "unknown CPU"}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${os.release()}, Node ${process.version}, Redis ${/redis_version:(\S+)/.exec(await redis.info("server"))?.[1] ?? "?"}`;
  const report: ReportInput = {
    date: new Date().toISOString().slice(0, 10),
    machine,
    loadAverage: `load average (1 min) ${loadAtStart} at the start, ${load()} at the end`,
    turns: TURNS,
    conversations: CONVERSATIONS,
    failures,
    ready: { firstMs: first.readyMs, warmMs: agents.readyMs, serverMs: server.readyMs },
    idle,
    sequential: { floor: summarize(sequential.floor), rest: summarize(sequential.rest), socket: summarize(sequential.socket) },
    load: loadFigures,
    extras,
  };
  const section = renderReport(report);
  const benchmarks = path.join(ROOT, "docs", "benchmarks.md");
  writeFileSync(benchmarks, writeSection(readFileSync(benchmarks, "utf8"), section));
  const performancePage = path.join(ROOT, "docs", "performance.md");
  writeFileSync(performancePage, writeTargets(readFileSync(performancePage, "utf8"), report));
  say(`\n${section}`);
  redis.disconnect();
} finally {
  await Promise.all(processes.map((p) => p.stop()));
  if (redisServer.child.exitCode === null) {
    redisServer.child.kill("SIGTERM");
    await new Promise((resolve) => redisServer.child.once("exit", resolve));
  }
  rmSync(work, { recursive: true, force: true });
}

if (EXTRAS) {
  const benchmarks = path.join(ROOT, "docs", "benchmarks.md");
  say("browser: Chromium while a long answer streams …");
  const browser = renderBrowserSection(await browserBench());
  writeFileSync(benchmarks, withSection(readFileSync(benchmarks, "utf8"), "Browser", browser));
  say(`\n${browser}`);
  const cluster = renderClusterSection(await clusterBench({ binary, turns: env("CLUSTER_BENCH_TURNS", 1000), conversations: 100, say })).join("\n");
  writeFileSync(benchmarks, withSection(readFileSync(benchmarks, "utf8"), "Cluster", `${cluster}\n`));
  say(`\n${cluster}`);
}
