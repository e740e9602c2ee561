import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { reportIfStillWaiting, TEST_TOKEN, testRedisEnv } from "./harness.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** A separate agents process, as `npm run start:agents` runs it, on the test Redis (or cluster). */
export class AgentsProcess {
  private output = "";

  private constructor(readonly child: ChildProcess) {
    child.stdout?.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
  }

  /**
   * Starts one and resolves once its workers run (it logs "agents ready"), or rejects with what it
   * printed if it exits first. No deadline (tsx compiles it at start, slow on a loaded machine):
   * the test's timeout bounds it, and a test that ends meanwhile kills it and reports its output.
   */
  static async start(env: Record<string, string>): Promise<AgentsProcess> {
    const child = spawn(process.execPath, ["--import", "tsx", "bin/agents.ts"], {
      cwd: ROOT,
      env: {
        ...process.env,
        ...testRedisEnv(),
        SWITCHBOARD_TOKEN: TEST_TOKEN,
        SWITCHBOARD_LOCK_MS: "2000",
        SWITCHBOARD_STALLED_MS: "1000",
        LOG_LEVEL: "info",
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const started = new AgentsProcess(child);
    await new Promise<void>((resolve, reject) => {
      const over = reportIfStillWaiting(
        'the agents process to log "agents ready"',
        () => `it has printed:\n${started.output || "(nothing)"}`,
        (reason) => {
          finish();
          child.kill("SIGKILL");
          reject(reason);
        },
      );
      const finish = () => {
        child.stdout?.off("data", check);
        child.off("exit", check);
        over();
      };
      // After the constructor's listeners, so `output` already holds the new chunk.
      const check = () => {
        if (started.output.includes("agents ready")) {
          finish();
          resolve();
        } else if (started.exited()) {
          finish();
          reject(new Error(`agents process exited:\n${started.output}`));
        }
      };
      child.stdout?.on("data", check);
      child.on("exit", check);
    });
    return started;
  }

  /** What it has printed so far (stdout and stderr). */
  printed(): string {
    return this.output;
  }

  /** A process killed by a signal has no exit code, only the signal. */
  exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  async kill(): Promise<void> {
    if (this.exited()) return;
    const exited = once(this.child, "exit");
    this.child.kill("SIGKILL");
    await exited;
  }
}
