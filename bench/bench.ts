import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Queues, queueLayout } from "../platform/queues.js";
import { ConversationLog } from "../platform/conversation-log.js";
import { Conversations } from "../platform/conversations.js";
import { AgentRegistry } from "../platform/agent-registry.js";
import { createLogger } from "../platform/logger.js";
import { LogTail } from "../platform/log-tail.js";
import { connectRedis, ShardedSubscriber } from "../platform/redis.js";
import { findRedisServer, spawnRedis } from "../platform/redis-server.js";
import { MessageIntake } from "../server/message-intake.js";
import type { Event } from "../shared/events.js";
import { keys as keyNames } from "../shared/keys.js";
import { bullmqHop, streamHop } from "./floor.js";
import { ms, rssMb, summarize, type Summary } from "./stats.js";
import { pushLatency, idleClientsMemory } from "./gateway-bench.js";
import { workflowBench, type WorkflowFigures } from "./workflow-bench.js";
import { CHAIN_LONG, FAN_OUT } from "./workflows.js";
import { fsyncBench, type FsyncFigures } from "./fsync-bench.js";
import { browserBench, renderBrowserSection } from "./browser-bench.js";
import { clusterBench, renderClusterSection } from "./cluster-bench.js";

/**
 * `npm run bench`: the floor (raw BullMQ and stream hops on the same Redis) measured in the same run
 * as the platform's handoff overhead, full-turn latency, throughput, and the workflow engine's cost
 * per step and per fan-out (beside raw BullMQ flows), with the offline model at zero delay, so the
 * figures compare as ratios on a noisy machine. Writes docs/benchmarks.md.
 */
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const QUESTION = "What is 17.5% of 2,480?";
/** V8 limits for the memory-capped run: a smaller young generation and a ceiling on the old one. */
const HEAP_CAP = ["--max-semi-space-size=4", "--max-old-space-size=140"];
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 1000);
const THROUGHPUT_SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const log = createLogger("silent");
const say = (line: string) => process.stdout.write(`${line}\n`);

const binary = findRedisServer();
if (!binary) throw new Error("redis-server is not installed (Debian: apt-get install redis-server)");
const redisDir = mkdtempSync(path.join(os.tmpdir(), "switchboard-bench-"));
const redisServer = await spawnRedis({ binary, dir: redisDir, persistent: false });
const redisUrl = `redis://127.0.0.1:${redisServer.port}`;
const children: ChildProcess[] = [];
/** The machine is shared: its 1-minute load average at the start and end of the run goes in the report. */
const loadAtStart = os.loadavg()[0] ?? Number.NaN;

try {
  const prefix = "bench";
  const keys = keyNames(prefix);
  const redis = await connectRedis(redisUrl);
  const reader = await connectRedis(redisUrl, { blocking: true });
  const workerConnection = await connectRedis(redisUrl, { blocking: true });

  say("floor: raw BullMQ add → process …");
  const bullFloor = summarize(await bullmqHop(redis, workerConnection, "{floor}", SAMPLES));
  say("floor: raw XADD → blocked XREAD …");
  const streamFloor = summarize(await streamHop(redis, reader, "floor:stream", SAMPLES));

  const env = { REDIS_URL: redisUrl, SWITCHBOARD_PREFIX: prefix, OFFLINE_MODEL_DELAY_MS: "0", LOG_LEVEL: "info", SWITCHBOARD_CONCURRENCY: "100" };
  const agents = await startProcess("bin/agents.ts", env, /agents ready|"msg":"agents ready"/);
  const conversationLog = new ConversationLog(redis, keys, log, 10_000);
  const conversations = new Conversations(redis, keys);
  const queues = new Queues(redis, keys, queueLayout({ shards: 1, redisCluster: undefined }));
  const intake = new MessageIntake(conversationLog, conversations, queues, new AgentRegistry(redis, keys, log));
  const subscriber = await ShardedSubscriber.connect(redisUrl, "bench-tail");
  const tail = new LogTail(subscriber, redis, keys, conversationLog, log);

  const failures: string[] = [];
  /** One turn: post durably, then follow the log until the specialist's answer and run end. */
  const turn = async (conversationId: string, title: string) => {
    const arrivals: { event: Event; at: number }[] = [];
    let finish: () => void = () => {};
    const finished = new Promise<void>((resolve) => (finish = resolve));
    const cursor = await conversationLog.lastId(conversationId);
    const stop = tail.subscribe(conversationId, cursor, (event) => {
      arrivals.push({ event, at: performance.now() });
      if (event.type === "run.completed" && event.agent === "calculator") finish();
      if (event.type === "run.failed") {
        failures.push(`${event.agent}: ${event.data.reason}`);
        finish();
      }
    });
    const posted = performance.now();
    await intake.post({ owner: "bench", conversationId, title, text: QUESTION });
    const durable = performance.now();
    await finished;
    stop();
    const arrival = (predicate: (event: Event) => boolean) => arrivals.find(({ event }) => predicate(event))?.at ?? Number.NaN;
    const answered = arrival((e) => e.type === "message.agent" && e.agent === "calculator");
    const handoff = arrival((e) => e.type === "handoff");
    const childStarted = arrival((e) => e.type === "run.started" && e.agent === "calculator");
    return { fullTurn: answered - durable, handoff: childStarted - handoff, posted };
  };

  say("platform: sequential turns …");
  const conversation = await conversations.create("bench", "latency");
  for (let i = 0; i < 20; i++) await turn(conversation.id, conversation.title);
  const fullTurns: number[] = [];
  const handoffs: number[] = [];
  const latencySamples = Math.max(50, Math.round(SAMPLES / 4));
  for (let i = 0; i < latencySamples; i++) {
    const fresh = i % 50 === 0 ? await conversations.create("bench", `latency ${i}`) : conversation;
    const result = await turn(fresh.id, fresh.title);
    fullTurns.push(result.fullTurn);
    handoffs.push(result.handoff);
  }
  const fullTurn = summarize(fullTurns);
  const handoff = summarize(handoffs);

  type Throughput = { label: string; concurrency: number; turnsPerSecond: number; p50: number; p99: number; rss: number };
  const measureThroughput = async (concurrency: number, pid: number, label: string): Promise<Throughput> => {
    say(`platform: ${concurrency} concurrent conversations for ${THROUGHPUT_SECONDS} s (${label}) …`);
    const deadline = performance.now() + THROUGHPUT_SECONDS * 1000;
    const latencies: number[] = [];
    let peakRss = 0;
    const sampler = setInterval(() => {
      rssMb(pid).then(
        (rss) => (peakRss = Math.max(peakRss, rss)),
        (error: unknown) => say(`could not read the agents process's memory: ${String(error)}`),
      );
    }, 200);
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async (_, index) => {
        const own = await conversations.create("bench", `load ${label} ${concurrency}/${index}`);
        while (performance.now() < deadline) latencies.push((await turn(own.id, own.title)).fullTurn);
      }),
    );
    clearInterval(sampler);
    const elapsed = (performance.now() - started) / 1000;
    const summary = summarize(latencies);
    return { label, concurrency, turnsPerSecond: latencies.length / elapsed, p50: summary.p50, p99: summary.p99, rss: peakRss };
  };
  const throughput: Throughput[] = [];
  for (const concurrency of [1, 10, 100]) throughput.push(await measureThroughput(concurrency, agents.pid ?? 0, "default"));

  // The same load on an agents process whose V8 heap is capped: what memory costs in throughput.
  agents.child.kill("SIGTERM");
  await once(agents.child, "exit");
  const capped = await startProcess("bin/agents.ts", env, /agents ready/, HEAP_CAP);
  throughput.push(await measureThroughput(100, capped.pid ?? 0, HEAP_CAP.join(" ")));
  capped.child.kill("SIGTERM");
  await once(capped.child, "exit");

  // Workflows: an agents process hosting the bench's workflows, on a prefix of its own.
  const workflowPrefix = "benchwf";
  const workflowAgents = await startProcess("bench/workflow-agents.ts", { ...env, SWITCHBOARD_PREFIX: workflowPrefix }, /agents ready/);
  const workflowRounds = Math.max(50, Math.round(SAMPLES / 10));
  say(`workflows: ${workflowRounds} rounds of chains (1 and ${CHAIN_LONG} steps), ${FAN_OUT}-branch fan-outs and their floors …`);
  const workflows = await workflowBench({ redisUrl, prefix: workflowPrefix, rounds: workflowRounds, warmupRounds: 10, concurrency: Number(env.SWITCHBOARD_CONCURRENCY), log });
  workflowAgents.child.kill("SIGTERM");
  await once(workflowAgents.child, "exit");

  say("gateway: event push latency and idle clients …");
  const server = await startProcess("bin/server.ts", { ...env, PORT: "0", SWITCHBOARD_TOKEN: "bench-token-0123456789" }, /Switchboard server: (http:\/\/\S+)\//);
  const push = summarize(await pushLatency(server.url, "bench-token-0123456789", conversations, conversationLog, Math.round(SAMPLES / 2)));
  const pushFloor = summarize(await streamHop(redis, reader, "floor:stream2", Math.round(SAMPLES / 2)));
  const idle = await idleClientsMemory(server.url, "bench-token-0123456789", server.pid ?? 0, 1000);
  say("durability: a 202 under appendfsync everysec and always …");
  const fsync = await fsyncBench(binary, Math.max(200, Math.round(SAMPLES / 2)));
  const cluster = await clusterBench({ binary, turns: Number(process.env.CLUSTER_BENCH_TURNS ?? 1000), conversations: 100, say });
  const browser = await browserBench();

  await tail.close();
  await subscriber.close();
  await queues.close();
  const load = `load average (1 min) ${loadAtStart.toFixed(2)} at the start, ${(os.loadavg()[0] ?? Number.NaN).toFixed(2)} at the end`;
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? "unknown CPU"}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${os.release()}, Node ${process.version}, Redis ${await redisVersion(redis)}; ${load}`;
  const report = `${renderReport({ machine, bullFloor, streamFloor, handoff, fullTurn, throughput, workflows, push, pushFloor, idle, fsync })}\n${renderClusterSection(cluster).join("\n")}\n${renderBrowserSection(browser)}`;
  writeFileSync(path.join(ROOT, "docs", "benchmarks.md"), report);
  say(`\n${report}`);
  redis.disconnect();
  reader.disconnect();
  workerConnection.disconnect();
} finally {
  for (const child of children) child.kill("SIGTERM");
  redisServer.child.kill("SIGTERM");
  rmSync(redisDir, { recursive: true, force: true });
}

async function startProcess(
  script: string,
  env: Record<string, string>,
  ready: RegExp,
  extraArgs: string[] = [],
): Promise<{ pid: number | undefined; url: string; child: ChildProcess }> {
  // BENCH_NODE_ARGS (e.g. "--cpu-prof") go to the measured processes, for profiling a run.
  const nodeArgs = [...(process.env.BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean), ...extraArgs];
  const child = spawn(process.execPath, [...nodeArgs, "--import", "tsx", script], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let output = "";
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = ready.exec(output);
      if (match) resolve({ pid: child.pid, url: match[1] ?? "", child });
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", () => reject(new Error(`${script} exited:\n${output}`)));
  });
}

async function redisVersion(redis: Awaited<ReturnType<typeof connectRedis>>): Promise<string> {
  const info = await redis.info("server");
  return /redis_version:(\S+)/.exec(info)?.[1] ?? "?";
}

function renderReport(r: {
  machine: string;
  bullFloor: Summary;
  streamFloor: Summary;
  handoff: Summary;
  fullTurn: Summary;
  throughput: { label: string; concurrency: number; turnsPerSecond: number; p50: number; p99: number; rss: number }[];
  workflows: WorkflowFigures;
  push: Summary;
  pushFloor: Summary;
  idle: { clients: number; rssMb: number; baselineMb: number };
  fsync: FsyncFigures;
}): string {
  const w = r.workflows;
  const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}×` : "—");
  const row = (name: string, s: Summary, floor?: Summary) =>
    `| ${name} | ${s.n} | ${ms(s.p50)} | ${ms(s.p99)} | ${floor ? `${ratio(s.p50, floor.p50)} / ${ratio(s.p99, floor.p99)}` : ""} |`;
  return [
    "# Benchmarks",
    "",
    `Measured by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}: ${r.machine}.`,
    "The offline model runs at zero delay; one agents process and one server process, each a separate",
    "Node process, on one private Redis. Floors are measured in the same run; ratios compare against them.",
    "Where the time and memory go, and what would cut them: [performance.md](performance.md).",
    "",
    "## Latency (ms)",
    "",
    "| measurement | samples | p50 | p99 | vs floor (p50 / p99) |",
    "|---|---|---|---|---|",
    row("floor: raw BullMQ add → process", r.bullFloor),
    row("floor: raw XADD → blocked XREAD", r.streamFloor),
    row("handoff overhead (handoff logged → specialist's run started)", r.handoff, r.bullFloor),
    row("full turn (message durable → specialist's answer in the log)", r.fullTurn),
    row("event push (appended → received by a Socket.IO client)", r.push, r.pushFloor),
    row("floor for push: raw XADD → blocked XREAD (same phase)", r.pushFloor),
    "",
    "A full turn is three model calls (manager, then the calculator's tool call and answer), one",
    "handoff, one tool run and about nine durable events.",
    "",
    "## Workflows (ms)",
    "",
    "Runs started as the API starts them (`WorkflowRuns.start`), timed to `workflow.completed` in the log,",
    "on an agents process hosting the bench's workflows (`bench/workflows.ts`). Each round runs every row",
    `once, the chains as A/B/A (1 step, ${CHAIN_LONG} steps, 1 step), with raw hops and raw flows in between, so`,
    "the floors share the runs' window. A step's cost is the difference of the chains' percentiles over",
    `the ${CHAIN_LONG - 1} steps added: the run's start and finish cancel out. Its p99 is the chains' p99`,
    `difference spread over ${CHAIN_LONG - 1} steps, a tail of the whole chain rather than of one step, so its`,
    "ratio to the hop's p99 reads low.",
    "",
    "| measurement | samples | p50 | p99 | vs floor (p50 / p99) |",
    "|---|---|---|---|---|",
    row("floor: raw BullMQ add → process (between the runs)", w.hop),
    row("chain of 1 `code` step, start → completed", w.code1),
    row(`chain of ${CHAIN_LONG} \`code\` steps, start → completed`, w.codeLong),
    row(`one \`code\` step: (t(${CHAIN_LONG}) − t(1)) / ${CHAIN_LONG - 1}`, w.codeStep, w.hop),
    row("chain of 1 `llm` step (offline model), start → completed", w.llm1),
    row(`chain of ${CHAIN_LONG} \`llm\` steps, start → completed`, w.llmLong),
    row(`one \`llm\` step, model call included: (t(${CHAIN_LONG}) − t(1)) / ${CHAIN_LONG - 1}`, w.llmStep, w.hop),
    row(`floor: raw BullMQ parent job adds ${FAN_OUT} flow children → parent resumes`, w.fanFloor),
    row(`floor: raw BullMQ flow of parent + ${FAN_OUT} children added at once → parent runs`, w.staticFlow),
    row(`\`parallel\` of ${FAN_OUT} \`code\` branches, start → join (completed)`, w.fanCode, w.fanFloor),
    row(`\`parallel\` of ${FAN_OUT} \`llm\` branches (offline model), start → join`, w.fanLlm, w.fanFloor),
    "",
    "Ratios: a step against the raw hop between the runs; a fan-out against the first flow floor, the",
    "BullMQ mechanism `parallel` runs on, alone. A step journals itself twice (`workflow.step` started,",
    `then completed with its output), each one atomic event + journal write. A fan-out adds ${FAN_OUT} branch`,
    "jobs as flow children of the run's job in one call; each branch job loads the run and journals the",
    "branch and its step (four writes); the run's job resumes, reads the children's values and the",
    "journal, and completes.",
    "",
    "## Throughput",
    "",
    "| concurrent conversations | agents process | turns/s | turn p50 (ms) | turn p99 (ms) | agents process peak RSS (MB) |",
    "|---|---|---|---|---|---|",
    ...r.throughput.map(
      (t) => `| ${t.concurrency} | ${t.label} | ${t.turnsPerSecond.toFixed(1)} | ${ms(t.p50)} | ${ms(t.p99)} | ${t.rss.toFixed(0)} |`,
    ),
    "",
    "## Durability of a 202 (ms)",
    "",
    "A message made durable (logged and its run queued, as `POST …/messages` does before answering 202)",
    "on a Redis with its append-only file, fsynced once a second (the default) or before every write is",
    "acknowledged (`SWITCHBOARD_REDIS_FSYNC=always`). Both servers share the disk; rounds alternate.",
    "",
    "| appendfsync | samples | p50 | p99 | vs everysec (p50 / p99) |",
    "|---|---|---|---|---|",
    row("everysec (default)", r.fsync.everysec),
    row("always", r.fsync.always, r.fsync.everysec),
    "",
    "## Server memory",
    "",
    `${r.idle.clients} connected idle Socket.IO clients: server RSS ${r.idle.rssMb.toFixed(0)} MB (${r.idle.baselineMb.toFixed(0)} MB before they connected).`,
    "",
  ].join("\n");
}
