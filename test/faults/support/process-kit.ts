/**
 * Real processes for the fault suite: the server (`bin/server.ts`), the agents process
 * (`bin/agents.ts`, through `AgentsProcess`) and a redis-server of a scenario's own, each of which a
 * test can SIGKILL. A `ProcessGroup` remembers which exits were asked for, so a process that died
 * by itself is counted as a crash, and kills whatever is left when the scenario ends.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { connectRedis } from "../../../platform/redis.js";
import { findRedisServer, spawnRedis } from "../../../platform/redis-server.js";
import { AgentsProcess } from "../../support/agents-process.js";
import { TEST_TOKEN } from "../../support/harness.js";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
/** What a scenario keeps of a process's output for its error messages. */
const KEEP_OUTPUT = 64_000;

/** One child process of ours: its output, a wait for a line of it, and whether its exit was asked for. */
export class OurProcess {
  private text = "";
  /** Characters written in all, of which `text` keeps the last ones. */
  private written = 0;
  private stopAsked = false;
  private spawnError: Error | undefined;
  private readonly watchers = new Set<() => void>();
  readonly exit: Promise<void>;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    const take = (chunk: Buffer) => {
      const piece = chunk.toString();
      this.written += piece.length;
      this.text = (this.text + piece).slice(-KEEP_OUTPUT);
      for (const watcher of [...this.watchers]) watcher();
    };
    child.stdout?.on("data", take);
    child.stderr?.on("data", take);
    this.exit = new Promise((resolve) => {
      if (this.exited()) resolve();
      child.once("exit", () => resolve());
      // Could not start at all (no such program): there is no "exit" to wait for.
      child.once("error", (error) => {
        this.spawnError = error;
        this.text += `\n${String(error)}`;
        resolve();
      });
    });
    void this.exit.then(() => {
      for (const watcher of [...this.watchers]) watcher();
    });
  }

  get output(): string {
    return this.text;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** A process killed by a signal has no exit code, only the signal. */
  exited(): boolean {
    return this.spawnError !== undefined || this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** Exited although nobody told it to. */
  crashed(): boolean {
    return this.exited() && !this.stopAsked;
  }

  /**
   * Resolves once the output written after this call (or, with `fromStart`, since the process
   * started) matches `pattern`; rejects with the output if the process exits first.
   */
  waitForOutput(pattern: RegExp, { fromStart = false } = {}): Promise<void> {
    const from = fromStart ? 0 : this.written;
    return new Promise((resolve, reject) => {
      const check = () => {
        // `text` holds the characters from `written - text.length` on.
        const since = this.text.slice(Math.max(0, from - (this.written - this.text.length)));
        if (pattern.test(since)) {
          this.watchers.delete(check);
          resolve();
        } else if (this.exited()) {
          this.watchers.delete(check);
          reject(new Error(`${this.name} exited (${this.child.exitCode ?? this.child.signalCode}) before printing ${pattern}:\n${this.text}`));
        }
      };
      this.watchers.add(check);
      check();
    });
  }

  /** SIGKILL, as a crash or an OOM kill would end it; resolves once it has exited. */
  async kill(): Promise<void> {
    // One that already exited keeps its verdict: a crash stays a crash.
    if (this.exited()) return;
    this.stopAsked = true;
    this.child.kill("SIGKILL");
    await this.exit;
  }
}

/** Every process a scenario started: crashes are the ones that exited unasked. */
export class ProcessGroup {
  readonly all: OurProcess[] = [];
  private readonly crashListeners = new Set<(member: OurProcess) => void>();

  add(member: OurProcess): OurProcess {
    this.all.push(member);
    void member.exit.then(() => {
      if (member.crashed()) for (const listener of [...this.crashListeners]) listener(member);
    });
    return member;
  }

  /** Calls `listener` whenever a member of the group exits unasked; returns a function that stops it. */
  onCrash(listener: (member: OurProcess) => void): () => void {
    this.crashListeners.add(listener);
    return () => this.crashListeners.delete(listener);
  }

  crashed(): OurProcess[] {
    return this.all.filter((member) => member.crashed());
  }

  /** What each crashed member printed last, for an assertion's message. */
  crashReport(): string {
    return this.crashed()
      .map((member) => `${member.name} (pid ${member.pid}) exited with ${member.child.exitCode ?? member.child.signalCode}:\n${member.output.slice(-4000)}`)
      .join("\n\n");
  }

  /**
   * Kills whatever is still running (afterAll, on success and on failure alike), and leaves what
   * each member printed last in `test-results/faults/<scenario>/`, for whoever reads a failure.
   */
  async stopAll(scenario: string): Promise<void> {
    await Promise.all(this.all.map((member) => member.kill()));
    const dir = path.join(ROOT, "test-results", "faults", scenario);
    mkdirSync(dir, { recursive: true });
    for (const member of this.all) writeFileSync(path.join(dir, `${member.name.replace(/[^a-z0-9-]+/gi, "-")}.log`), member.output);
  }
}

/** A temporary folder, removed by the returned function. */
export function temporaryDir(label: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), `switchboard-faults-${label}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface ProductEnv {
  redisUrl: string;
  /** The key prefix server and agents share (each scenario its own). */
  prefix: string;
  /** More settings, e.g. OFFLINE_MODEL_DELAY_MS. */
  env?: Record<string, string>;
}

/** Settings both processes get: the offline model whatever the caller's environment holds. */
function productEnv(options: ProductEnv): Record<string, string> {
  return {
    REDIS_URL: options.redisUrl,
    SWITCHBOARD_PREFIX: options.prefix,
    SWITCHBOARD_TOKEN: TEST_TOKEN,
    OPENAI_API_KEY: "",
    OPENAI_BASE_URL: "",
    SWITCHBOARD_MODEL: "",
    ...options.env,
  };
}

/**
 * The agents process as `npm run start:agents` runs it (2 s lock, 1 s stalled check), through
 * the suite's `AgentsProcess`; resolves once it logged "agents ready".
 */
export async function startAgentsProcess(group: ProcessGroup, name: string, options: ProductEnv): Promise<OurProcess> {
  const agents = await AgentsProcess.start(productEnv(options));
  return group.add(new OurProcess(name, agents.child));
}

/**
 * The server as `npm run start:server` runs it (`bin/server.ts`), on `port`; resolves once it
 * printed its "Switchboard server: <url>" line. `dataDir` takes its endpoint file, so the
 * developer's `.data/endpoint.json` is left alone.
 */
export async function startServerProcess(
  group: ProcessGroup,
  name: string,
  options: ProductEnv & { port: number; dataDir: string },
): Promise<OurProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "bin/server.ts"], {
    cwd: ROOT,
    env: {
      ...process.env,
      ...productEnv(options),
      PORT: String(options.port),
      HOST: "127.0.0.1",
      SWITCHBOARD_DATA_DIR: options.dataDir,
      LOG_LEVEL: "info",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const server = group.add(new OurProcess(name, child));
  await server.waitForOutput(/Switchboard server: http/, { fromStart: true });
  return server;
}

/**
 * A redis-server of the scenario's own, started as the product starts its private one
 * (`spawnRedis`: append-only file on), but with `appendfsync always`, so every write acknowledged
 * before a SIGKILL is on disk (the default, `everysec`, may lose the last second by design).
 * `restart()` starts a new one on the same port and folder, which loads the append-only file.
 */
export class RedisProcess {
  private starts = 1;

  private constructor(
    private readonly group: ProcessGroup,
    private readonly binary: string,
    readonly port: number,
    readonly dir: string,
    public current: OurProcess,
  ) {}

  static async start(group: ProcessGroup, dir: string): Promise<RedisProcess> {
    const binary = findRedisServer();
    if (!binary) throw new Error("redis-server is not installed: the fault suite needs it (Debian: apt-get install redis-server)");
    const { port, child } = await spawnRedis({ binary, dir, persistent: true, fsync: "always" });
    return new RedisProcess(group, binary, port, dir, group.add(new OurProcess("redis-server #1", child)));
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async kill(): Promise<void> {
    await this.current.kill();
  }

  /** A new redis-server on the same port and folder; resolves once it answers (its data loaded). */
  async restart(): Promise<OurProcess> {
    this.starts += 1;
    const { child } = await spawnRedis({ binary: this.binary, dir: this.dir, persistent: true, fsync: "always", port: this.port });
    this.current = this.group.add(new OurProcess(`redis-server #${this.starts}`, child));
    return this.current;
  }

  /** The running server's persistence settings, as it reports them. */
  async persistence(): Promise<{ appendonly: string; appendfsync: string }> {
    const redis = await connectRedis(this.url);
    try {
      const [, appendonly = ""] = (await redis.config("GET", "appendonly")) as string[];
      const [, appendfsync = ""] = (await redis.config("GET", "appendfsync")) as string[];
      return { appendonly, appendfsync };
    } finally {
      redis.disconnect();
    }
  }
}
