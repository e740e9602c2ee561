import type { FsyncFigures } from "./fsync-bench.js";
import { ms, type Summary } from "./stats.js";
import type { WorkflowFigures } from "./workflow-bench.js";
import { CHAIN_LONG, FAN_OUT } from "./workflows.js";

/** One measured window (all its slices): per unit (a turn, or a floor chain) unless named otherwise. */
export interface Window {
  units: number;
  seconds: number;
  /** Units per second. */
  rate: number;
  /** Model steps over the whole window (turns only). */
  steps: number;
  cpuMs: { agents: number; server: number; redis: number; bench: number };
  /** INFO commandstats, every command Redis ran (a script's own commands included), the bench's INFO left out. */
  redisCommands: number;
  /** Commands each process sent (redis-probe.mjs). */
  sent: { agents: number; server: number; bench: number };
  roundTrips: { agents: number; server: number; bench: number };
  /** Of the agents process's round trips, BullMQ's own job handling (its scripts and blocking waits). */
  queueRoundTrips: number;
  /** Units per second of each slice, in order. */
  slices: number[];
  /** Lowest and highest 1-minute load average seen at a slice's start or end. */
  load: [number, number];
}

export interface LoadFigures {
  floor: Window;
  product: Window;
  rest: Summary;
  socket: Summary;
  agentsRss: number;
  serverRss: number;
}

export interface ReportInput {
  date: string;
  machine: string;
  loadAverage: string;
  turns: number;
  conversations: number;
  /** What each failed turn's run said; none in a healthy run. */
  failures: string[];
  ready: { firstMs: number; warmMs: number; serverMs: number };
  idle: { clients: number; rssMb: number; baselineMb: number };
  sequential: { floor: Summary; rest: Summary; socket: Summary };
  load: LoadFigures;
  extras?: { push: Summary; pushFloor: Summary; workflows: WorkflowFigures; fsync: FsyncFigures };
}

export const BEGIN = "<!-- npm run bench: begin (bench/bench.ts rewrites what is between these markers) -->";
export const END = "<!-- npm run bench: end -->";

/**
 * The page with the bench's section replaced. A page without the markers yet is the old layout, all
 * of it the bench's up to the hand-kept sections (Browser, Cluster), which stay.
 */
export function writeSection(page: string, section: string): string {
  const block = `${BEGIN}\n${section.trimEnd()}\n${END}\n`;
  const begin = page.indexOf(BEGIN);
  const end = page.indexOf(END);
  if (begin !== -1 && end > begin) return `${page.slice(0, begin)}${block}${page.slice(end + END.length).replace(/^\n/, "")}`;
  const kept = page.search(/^## (Browser|Cluster)\b/m);
  return kept === -1 ? block : `${block}\n${page.slice(kept)}`;
}

export const TABLE_BEGIN = "<!-- npm run bench: targets begin -->";
export const TABLE_END = "<!-- npm run bench: targets end -->";

/** The targets table, for docs/performance.md: between its markers, or appended when it has none yet. */
export function writeTargets(page: string, r: ReportInput): string {
  const block = `${TABLE_BEGIN}\n${targetsTable(r).join("\n")}\n${TABLE_END}`;
  const begin = page.indexOf(TABLE_BEGIN);
  const end = page.indexOf(TABLE_END);
  if (begin !== -1 && end > begin) return `${page.slice(0, begin)}${block}${page.slice(end + TABLE_END.length)}`;
  return `${page.trimEnd()}\n\n${block}\n`;
}

function targetsTable(r: ReportInput): string[] {
  return [
    `Run of ${r.date}, ${r.turns} turns over ${r.conversations} conversations; ${r.loadAverage}.`,
    "",
    "| figure | target | measured | |",
    "|---|---|---|---|",
    ...targets(r).map((t) => `| ${t.name} | ${t.target} | ${t.measured} | ${t.met ? "met" : "missed"} |`),
  ];
}

/** The figures the cost cuts of issue #13 are judged by, each with its target. */
export function targets(r: ReportInput): { name: string; target: string; measured: string; met: boolean }[] {
  const { floor, product: b } = r.load;
  const cpu = b.cpuMs.agents + b.cpuMs.server + b.cpuMs.redis;
  const stepsPerTurn = b.steps / b.units;
  const roundTripsPerStep = b.roundTrips.agents / stepsPerTurn;
  const ownPerStep = (b.roundTrips.agents - b.queueRoundTrips) / stepsPerTurn;
  const floorRate = floor.rate;
  const share = b.rate / floorRate;
  return [
    { name: "CPU per turn, all processes (agents + server + redis-server)", target: "≤ 6 ms", measured: `${cpu.toFixed(1)} ms`, met: cpu <= 6 },
    { name: "Redis commands per turn (INFO commandstats)", target: "≤ 80", measured: b.redisCommands.toFixed(0), met: b.redisCommands <= 80 },
    {
      name: "top-level round trips per model step (agents process)",
      target: "≤ 2",
      measured:
        `${roundTripsPerStep.toFixed(1)} (${b.roundTrips.agents.toFixed(0)} a turn over ${stepsPerTurn.toFixed(1)} steps, of which BullMQ's job handling ` +
        `${b.queueRoundTrips.toFixed(1)}: Switchboard's own ${ownPerStep.toFixed(1)} a step; the server's: ${b.roundTrips.server.toFixed(0)} a turn)`,
      met: roundTripsPerStep <= 2,
    },
    {
      name: `turns/s at ${r.conversations} conversations vs the two-hop BullMQ floor, same window`,
      target: "≥ 30%",
      measured: `${(share * 100).toFixed(1)}% (${b.rate.toFixed(1)} vs ${floorRate.toFixed(0)}/s)`,
      met: share >= 0.3,
    },
    { name: "agents process ready, warm cache", target: "≤ 2 s", measured: `${(r.ready.warmMs / 1000).toFixed(1)} s`, met: r.ready.warmMs <= 2000 },
    { name: `agents process peak RSS under the ${r.conversations}-conversation load`, target: "≤ 200 MB", measured: `${r.load.agentsRss.toFixed(0)} MB`, met: r.load.agentsRss <= 200 },
    { name: `server RSS with ${r.idle.clients} idle sockets`, target: "≤ 150 MB", measured: `${r.idle.rssMb.toFixed(0)} MB`, met: r.idle.rssMb <= 150 },
  ];
}

/** A1, B1, A2, … as `A 480/s, B 31/s, …`. */
function interleave(floor: number[], product: number[]): string {
  const order = floor.flatMap((rate, i) => [`A ${rate.toFixed(0)}/s`, ...(product[i] === undefined ? [] : [`B ${product[i].toFixed(1)}/s`])]);
  return order.join(", ");
}

export function renderReport(r: ReportInput): string {
  const { floor, product: b } = r.load;
  const ratio = (a: number, f: number) => (f > 0 ? `${(a / f).toFixed(2)}×` : "—");
  const row = (name: string, s: Summary, floor?: Summary) =>
    `| ${name} | ${s.n} | ${ms(s.p50)} | ${ms(s.p99)} | ${floor ? `${ratio(s.p50, floor.p50)} / ${ratio(s.p99, floor.p99)}` : ""} |`;
  const f1 = (value: number) => value.toFixed(1);
  const f2 = (value: number) => value.toFixed(2);
  const windowRow = (name: string, w: Window, isFloor: boolean) =>
    `| ${name} | ${w.units} | ${f1(w.seconds)} | ${f1(w.rate)} | ${isFloor ? "—" : f2(w.cpuMs.agents)} | ${isFloor ? "—" : f2(w.cpuMs.server)} | ${f2(w.cpuMs.redis)} | ${f2(w.cpuMs.bench)} | ${f1(w.redisCommands)} | ${f1(w.sent.agents + w.sent.server + w.sent.bench)} | ${f1(w.roundTrips.agents + w.roundTrips.server + w.roundTrips.bench)} | ${f2(w.load[0])} → ${f2(w.load[1])} |`;
  const lines = [
    "# Benchmarks",
    "",
    `Measured by \`npm run bench\` on ${r.date}: ${r.machine}; ${r.loadAverage}.`,
    "The machine is shared: the load average says how much else ran. Every ratio below compares figures",
    "from one interleaved window. How to read these figures, and the targets: [performance.md](performance.md).",
    "",
    "Set-up, as users run it: the agents process and the server process started as `npm run start:agents`",
    "and `npm run start:server` start them (`node bin/start.mjs <role>`, the compiled JavaScript, so the pid",
    "measured is the one that works), every setting at its default (concurrency 32, log level info), Redis as `npm start`",
    "runs it (append-only file on, fsync every second), the offline model at zero delay. Rate limits stay",
    "on, raised past the load so their Redis work is counted. Clients are HTTP (post; the events on the",
    "conversation's server-sent events stream, kept open) and Socket.IO (join, send, wait for the events), one per conversation; a turn is timed",
    "from the client's send to the specialist's answer received by that client.",
    "",
    ...(r.failures.length === 0
      ? []
      : [`**${r.failures.length} turns failed** in this run and are not timed; the first: ${r.failures[0]}`, ""]),
    "## Targets (issue #13)",
    "",
    ...targetsTable(r).slice(2),
    "",
    `## Load: ${r.turns} turns over ${r.conversations} conversations, floor and product in slices (A B A … B A)`,
    "",
    `A is the floor: two bare BullMQ hops in a row (a worker of the first queue adds the job of the second), at`,
    `the agents' default concurrency of 32, ${r.conversations} chains in flight. B is the product, ${r.conversations} clients`,
    "(half REST, half Socket.IO) each sending its next message when its last turn is over, conversations",
    "created and warmed before the window. The two run in slices, A B A … B A, and each row sums its slices,",
    "so floor and product share the machine's weather. Per turn (B) or per chain (A):",
    "",
    "| window | turns / chains | seconds | per second | CPU agents (ms) | CPU server (ms) | CPU redis-server (ms) | CPU bench process (ms) | Redis commands | commands sent | round trips | load average |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|",
    windowRow(`A floor (${floor.slices.length} slices)`, floor, true),
    windowRow(`B product (${b.slices.length} slices)`, b, false),
    "",
    `Rate of each slice, in the order run: ${interleave(floor.slices, b.slices)}. The product ran at ${((b.rate / floor.rate) * 100).toFixed(1)}% of the`,
    `floor's rate; CPU of the product's processes per turn ${f2(b.cpuMs.agents + b.cpuMs.server + b.cpuMs.redis)} ms against ${f2(floor.cpuMs.bench + floor.cpuMs.redis)} ms for a floor chain (its process and Redis).`,
    `Turn latency under this load (send → answer): REST p50 ${ms(r.load.rest.p50)} ms, p99 ${ms(r.load.rest.p99)} ms (${r.load.rest.n} turns);`,
    `Socket.IO p50 ${ms(r.load.socket.p50)} ms, p99 ${ms(r.load.socket.p99)} ms (${r.load.socket.n} turns). Model steps per turn: ${f1(b.steps / b.units)}.`,
    `Peak RSS during B: agents ${r.load.agentsRss.toFixed(0)} MB, server ${r.load.serverRss.toFixed(0)} MB.`,
    "",
    "By process, per turn in B: commands sent agents " +
      `${f1(b.sent.agents)}, server ${f1(b.sent.server)}; round trips agents ${f1(b.roundTrips.agents)}, server ${f1(b.roundTrips.server)}.`,
    "",
    "How each column is counted. CPU: user + system time from `/proc/<pid>/stat` before and after the window",
    "(redis-server's pid from `INFO server`; the bench process, which runs the clients in B and the floor in A,",
    "from `process.cpuUsage()`), over the window's turns. Redis commands: the change of `INFO commandstats`, so",
    "the commands a Lua script runs count one by one, as Redis executes them; in A it includes what the idle",
    "product processes send. Commands sent and round trips: counted inside each process's ioredis",
    "(`bench/redis-probe.mjs`, preloaded with `--import`): a command sent alone is one round trip, a pipeline or",
    "MULTI/EXEC is one round trip however many commands it holds, a script (`EVALSHA`) is one command and one",
    "round trip; blocking reads count. \"Round trips per model step\" divides the agents process's round trips",
    "in a turn (BullMQ's own work included, and shown apart: its scripts and its workers' blocking waits) by the",
    "turn's model steps (the `steps` of its runs' `run.completed`); the server's (the post, rate limits, the event",
    "stream or the socket, the live tail) are per turn.",
    "",
    "## Latency, one turn at a time (ms)",
    "",
    `${r.sequential.rest.n} rounds, each a floor chain, a REST turn and a Socket.IO turn in turn, on conversations already going.`,
    "",
    "| measurement | samples | p50 | p99 | vs floor (p50 / p99) |",
    "|---|---|---|---|---|",
    row("floor: two bare BullMQ hops in a row", r.sequential.floor),
    row("full turn over HTTP (POST → answer received on the event stream)", r.sequential.rest, r.sequential.floor),
    row("full turn over Socket.IO (send → answer event received)", r.sequential.socket, r.sequential.floor),
    "",
    "A turn is three model calls (the manager's, then the calculator's tool call and its answer), one",
    "handoff, one tool run and about nine durable events.",
    "",
    "## Start and memory",
    "",
    `Agents process ready (spawn → \`agents ready\`): ${(r.ready.firstMs / 1000).toFixed(1)} s at the first start of the run, ${(r.ready.warmMs / 1000).toFixed(1)} s at the`,
    `second (warm cache). Server ready: ${(r.ready.serverMs / 1000).toFixed(1)} s. Server with ${r.idle.clients} connected idle Socket.IO clients:`,
    `RSS ${r.idle.rssMb.toFixed(0)} MB (${r.idle.baselineMb.toFixed(0)} MB before they connected).`,
    "",
  ];
  if (!r.extras) return [...lines, "Workflows, event push and durability: not measured in this run (`BENCH_EXTRAS=0`).", ""].join("\n");
  const w = r.extras.workflows;
  return [
    ...lines,
    "## Event push (ms)",
    "",
    "| measurement | samples | p50 | p99 | vs floor (p50 / p99) |",
    "|---|---|---|---|---|",
    row("event push (appended → received by a Socket.IO client)", r.extras.push, r.extras.pushFloor),
    row("floor: raw XADD → blocked XREAD (same phase)", r.extras.pushFloor),
    "",
    "## Workflows (ms)",
    "",
    "Runs started as the API starts them (`WorkflowRuns.start`), timed to `workflow.completed` in the log,",
    "on an agents process hosting the bench's workflows (`bench/workflows.ts`). Each round runs every row",
    `once, the chains as A/B/A (1 step, ${CHAIN_LONG} steps, 1 step), with raw hops and raw flows in between, so`,
    "the floors share the runs' window. A step's cost is the difference of the chains' percentiles over",
    `the ${CHAIN_LONG - 1} steps added: the run's start and finish cancel out.`,
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
    "## Durability of a 202 (ms)",
    "",
    "A message made durable (logged and its run queued, as `POST …/messages` does before answering 202)",
    "on a Redis with its append-only file, fsynced once a second (the default) or before every write is",
    "acknowledged (`SWITCHBOARD_REDIS_FSYNC=always`). Both servers share the disk; rounds alternate.",
    "",
    "| appendfsync | samples | p50 | p99 | vs everysec (p50 / p99) |",
    "|---|---|---|---|---|",
    row("everysec (default)", r.extras.fsync.everysec),
    row("always", r.extras.fsync.always, r.extras.fsync.everysec),
    "",
  ].join("\n");
}
