import { fork, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { EventSourceParserStream } from "eventsource-parser/stream";
import { Pipeline, Redis } from "ioredis";
import type { Event } from "../shared/events.js";

/**
 * `npx tsx bench/turn-cost.ts`: what one handoff turn ("what is 17 * 23": manager → calculator →
 * one tool → answer, offline model at zero delay) costs in Redis commands, round trips and CPU.
 * A real redis-server with its append-only file (as shipped), the agents process and the server
 * each in a process of their own (this file, started again in a role), default settings. Turns run
 * one at a time, each from the REST post to the calculator's `run.completed` read from the
 * conversation's server-sent events stream, as `npm run chat` does. Counts do not depend on the
 * machine's load; CPU does, a little.
 *
 * - Commands: Redis's INFO commandstats before and after, divided by the turns (commands run by
 *   scripts are counted by name, the script call itself as EVALSHA).
 * - Round trips: ioredis calls each process makes, observed (not changed) in the process: a
 *   command sent on its own is one; a MULTI or pipeline is one however many commands it holds.
 *   Blocking reads (BullMQ's BZPOPMIN) count like any other call.
 * - Idle activity (BullMQ's stalled checks and blocking timeouts of idle workers) is measured over
 *   a window as long as the turns' and reported beside them; "net" subtracts it. On a loaded
 *   machine a turn takes longer, so more idle activity falls in its window: compare the net figures.
 *
 * TURN_COST_TURNS (default 200) turns after TURN_COST_WARMUP (default 20).
 */
const TURNS = Number(process.env.TURN_COST_TURNS ?? 200);
const WARMUP = Number(process.env.TURN_COST_WARMUP ?? 20);
const QUESTION = "what is 17 * 23";
const TOKEN = "turn-cost-token-0123456789";
/** Model steps in one turn: the manager's transfer, the calculator's tool call, its answer. */
const MODEL_STEPS = 3;

type Role = "agents" | "server";
type Trips = Record<string, number>;
interface Probe {
  trips: Trips;
  cpuMicros: number;
}
type FromChild = { kind: "ready"; url: string } | { kind: "probe"; probe: Probe };

/** One process of the product, with its ioredis calls counted; it answers the bench over IPC. */
async function runRole(which: Role): Promise<void> {
  const trips: Trips = {};
  const count = (name: string) => (trips[name] = (trips[name] ?? 0) + 1);
  // A script is named by what it was defined as (ours and BullMQ's alike), found by its SHA1.
  const scripts = new Map<string, string>();
  const defineCommand = Redis.prototype.defineCommand;
  Redis.prototype.defineCommand = function (this: Redis, name: string, definition: { lua: string; numberOfKeys?: number; readOnly?: boolean }) {
    scripts.set(createHash("sha1").update(definition.lua).digest("hex"), name);
    return defineCommand.call(this, name, definition);
  };
  const sendCommand = Redis.prototype.sendCommand;
  // A command with a stream is part of a pipeline or MULTI: counted once, at `exec`.
  Redis.prototype.sendCommand = function (this: Redis, command, stream) {
    const name = command.name.toLowerCase();
    const script = name === "evalsha" || name === "eval" ? scripts.get(String(command.args[0])) : undefined;
    if (stream === undefined) count(script ? `${name} ${script}` : name);
    return sendCommand.apply(this, [command, stream] as Parameters<typeof sendCommand>);
  } as typeof sendCommand;
  const exec = Pipeline.prototype.exec;
  const counted = new WeakSet<Pipeline>();
  Pipeline.prototype.exec = function (this: Pipeline, ...args: Parameters<typeof exec>) {
    // A MULTI's exec runs through here twice (ioredis' transaction wrapper, then the pipeline's).
    if (counted.has(this)) return exec.apply(this, args);
    counted.add(this);
    const queued = (this as unknown as { _queue: { name: string }[] })._queue;
    const names = queued.map((command) => command.name.toLowerCase());
    const transaction = names[0] === "multi";
    const inner = names.slice(transaction ? 1 : 0).filter((name) => name !== "exec");
    count(`${transaction ? "multi" : "pipeline"}[${inner.join(",")}]`);
    return exec.apply(this, args);
  } as typeof exec;

  const { parseConfig } = await import("../shared/config.js");
  const { createLogger } = await import("../platform/logger.js");
  const parsed = parseConfig(process.env);
  if (!parsed.ok) throw new Error(parsed.errors.join("\n"));
  const config = parsed.config;
  const log = createLogger(config.logLevel);
  const target = config.redisUrl ?? "";
  let close: () => Promise<void>;
  let url = "";
  if (which === "agents") {
    const { startConfiguredAgents } = await import("../bin/configured-agents.js");
    const agents = await startConfiguredAgents(config, target, log);
    close = () => agents.close();
  } else {
    const { startServer } = await import("../server/server-process.js");
    const server = await startServer({ config, redis: target, log });
    url = server.url;
    close = () => server.close();
  }
  const send = (message: FromChild) => process.send?.(message);
  process.on("message", (message: string) => {
    if (message === "probe") send({ kind: "probe", probe: { trips: { ...trips }, cpuMicros: cpuMicros() } });
    if (message === "stop") void close().then(() => process.exit(0));
  });
  send({ kind: "ready", url });
}

function cpuMicros(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

async function main(): Promise<void> {
  const { findRedisServer, spawnRedis } = await import("../platform/redis-server.js");
  const binary = findRedisServer();
  if (!binary) throw new Error("redis-server is not installed (Debian: apt-get install redis-server)");
  const dir = mkdtempSync(path.join(os.tmpdir(), "switchboard-turn-cost-"));
  const redisServer = await spawnRedis({ binary, dir, persistent: true });
  const redisUrl = `redis://127.0.0.1:${redisServer.port}`;
  const redis = new Redis(redisUrl);
  const children: Child[] = [];
  try {
    const env = { REDIS_URL: redisUrl, SWITCHBOARD_PREFIX: "tc", SWITCHBOARD_TOKEN: TOKEN, OFFLINE_MODEL_DELAY_MS: "0", LOG_LEVEL: "warn", PORT: "0",
      // Limits stay on (their check is part of a post), high enough for one token sending every turn.
      SWITCHBOARD_RATE_MESSAGES: "1000000", SWITCHBOARD_RATE_MESSAGES_PER_ADDRESS: "1000000" };
    const agents = await Child.start("agents", env);
    children.push(agents);
    const server = await Child.start("server", env);
    children.push(server);
    const api = new Api(server.url);
    const conversationId = await api.createConversation();
    say(`warming up (${WARMUP} turns) …`);
    for (let i = 0; i < WARMUP; i++) await api.turn(conversationId);

    const measure = async (work: () => Promise<void>) => {
      const before = await snapshot(redis, redisServer.child.pid ?? 0, agents, server);
      const started = performance.now();
      await work();
      const elapsedMs = performance.now() - started;
      const after = await snapshot(redis, redisServer.child.pid ?? 0, agents, server);
      return { elapsedMs, diff: difference(before, after) };
    };
    say(`measuring ${TURNS} turns …`);
    const turns = await measure(async () => {
      for (let i = 0; i < TURNS; i++) await api.turn(conversationId);
    });
    say(`measuring idle activity for ${(turns.elapsedMs / 1000).toFixed(1)} s …`);
    const idle = await measure(() => new Promise((resolve) => setTimeout(resolve, turns.elapsedMs)));
    say(report(turns.diff, idle.diff, turns.elapsedMs));
  } finally {
    for (const child of children) await child.stop();
    redis.disconnect();
    redisServer.child.kill("SIGTERM");
    await once(redisServer.child, "exit");
    rmSync(dir, { recursive: true, force: true });
  }
}

class Child {
  private constructor(
    readonly process: ChildProcess,
    readonly url: string,
  ) {}

  static async start(which: Role, env: Record<string, string>): Promise<Child> {
    const child = fork(fileURLToPath(import.meta.url), [which], { env: { ...process.env, ...env }, execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
    const [message] = (await Promise.race([once(child, "message"), once(child, "exit").then(() => Promise.reject(new Error(`the ${which} process exited at start`)))])) as [FromChild];
    return new Child(child, message.kind === "ready" ? message.url : "");
  }

  async probe(): Promise<Probe> {
    this.process.send("probe");
    for (;;) {
      const [message] = (await once(this.process, "message")) as [FromChild];
      if (message.kind === "probe") return message.probe;
    }
  }

  async stop(): Promise<void> {
    if (this.process.exitCode !== null) return;
    this.process.send("stop");
    await once(this.process, "exit");
  }
}

/** The REST client of a turn, as `npm run chat` is. */
class Api {
  constructor(private readonly url: string) {}

  private async request(method: string, route: string, body?: unknown): Promise<Record<string, unknown>> {
    const response = await fetch(`${this.url}/api${route}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${await response.text()}`);
    return (await response.json()) as Record<string, unknown>;
  }

  async createConversation(): Promise<string> {
    return (await this.request("POST", "/conversations", {})).id as string;
  }

  /** Posts the question and follows the conversation's event stream until the calculator's run has completed. */
  async turn(conversationId: string): Promise<void> {
    const posted = (await this.request("POST", `/conversations/${conversationId}/messages`, { text: QUESTION })).eventId as string;
    const aborter = new AbortController();
    const response = await fetch(`${this.url}/api/conversations/${conversationId}/events/stream`, {
      headers: { authorization: `Bearer ${TOKEN}`, accept: "text/event-stream", "last-event-id": posted },
      signal: aborter.signal,
    });
    if (!response.ok || !response.body) throw new Error(`events stream: ${response.status} ${await response.text()}`);
    try {
      for await (const message of response.body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream())) {
        const event = JSON.parse(message.data) as Event;
        if (event.type === "run.failed") throw new Error(`${event.agent} failed: ${event.data.reason}`);
        if (event.type === "run.completed" && event.agent === "calculator") return;
      }
      throw new Error("the server ended the events stream before the turn was over");
    } finally {
      aborter.abort();
    }
  }
}

interface Snapshot {
  commands: Record<string, number>;
  redisCpuMs: number;
  trips: Record<Role, Trips>;
  cpuMs: Record<Role, number>;
}

async function snapshot(redis: Redis, redisPid: number, agents: Child, server: Child): Promise<Snapshot> {
  const [info, agentsProbe, serverProbe] = await Promise.all([redis.info("commandstats"), agents.probe(), server.probe()]);
  const commands: Record<string, number> = {};
  for (const [, name, calls] of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) commands[name as string] = Number(calls);
  // This bench's own INFO call is not the product's.
  commands.info = (commands.info ?? 0) + 1;
  return {
    commands,
    redisCpuMs: procCpuMs(redisPid),
    trips: { agents: agentsProbe.trips, server: serverProbe.trips },
    cpuMs: { agents: agentsProbe.cpuMicros / 1000, server: serverProbe.cpuMicros / 1000 },
  };
}

/** utime + stime of a process, from /proc (in clock ticks of 10 ms). */
function procCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function subtract(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, value] of Object.entries(after)) {
    const delta = value - (before[name] ?? 0);
    if (delta > 0) out[name] = delta;
  }
  return out;
}

function difference(before: Snapshot, after: Snapshot) {
  return {
    commands: subtract(after.commands, before.commands),
    trips: { agents: subtract(after.trips.agents, before.trips.agents), server: subtract(after.trips.server, before.trips.server) },
    cpuMs: { agents: after.cpuMs.agents - before.cpuMs.agents, server: after.cpuMs.server - before.cpuMs.server, redis: after.redisCpuMs - before.redisCpuMs },
  };
}

type Diff = ReturnType<typeof difference>;
const sum = (values: Record<string, number>) => Object.values(values).reduce((a, b) => a + b, 0);
const perTurn = (value: number) => (value / TURNS).toFixed(2);

function report(turns: Diff, idle: Diff, elapsedMs: number): string {
  const table = (title: string, busy: Record<string, number>, quiet: Record<string, number>) => {
    const names = Object.keys(busy).sort((a, b) => (busy[b] ?? 0) - (busy[a] ?? 0));
    return [
      `| ${title} | per turn | idle, same window, per turn | net |`,
      "|---|---|---|---|",
      ...names.map((name) => `| ${name} | ${perTurn(busy[name] ?? 0)} | ${perTurn(quiet[name] ?? 0)} | ${perTurn((busy[name] ?? 0) - (quiet[name] ?? 0))} |`),
      `| **total** | **${perTurn(sum(busy))}** | ${perTurn(sum(quiet))} | **${perTurn(sum(busy) - sum(quiet))}** |`,
    ].join("\n");
  };
  const trips = (which: Role) => table(`${which}: round trips`, turns.trips[which], idle.trips[which]);
  const totalTrips = sum(turns.trips.agents) + sum(turns.trips.server);
  const cpu = turns.cpuMs;
  return [
    "",
    `${TURNS} turns, ${(elapsedMs / TURNS).toFixed(1)} ms each; ${MODEL_STEPS} model steps a turn.`,
    "",
    table("Redis command", turns.commands, idle.commands),
    "",
    trips("agents"),
    "",
    trips("server"),
    "",
    `round trips per turn: ${perTurn(totalTrips)} (agents ${perTurn(sum(turns.trips.agents))}, server ${perTurn(sum(turns.trips.server))}); agents per model step: ${(sum(turns.trips.agents) / TURNS / MODEL_STEPS).toFixed(2)}`,
    `CPU per turn (ms): agents ${perTurn(cpu.agents)}, server ${perTurn(cpu.server)}, redis ${perTurn(cpu.redis)}, total ${perTurn(cpu.agents + cpu.server + cpu.redis)}`,
    `CPU idle, same window, per turn (ms): agents ${perTurn(idle.cpuMs.agents)}, server ${perTurn(idle.cpuMs.server)}, redis ${perTurn(idle.cpuMs.redis)}`,
  ].join("\n");
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

// Last: the classes above are initialised before either path runs.
const role = process.argv[2] as Role | undefined;
if (role === "agents" || role === "server") await runRole(role);
else await main();
