import { afterAll, beforeAll, describe, expect, inject, it, onTestFailed } from "vitest";
import type { Event } from "../../shared/events.js";
import { TEST_TOKEN, startPlatform, type Platform } from "../support/harness.js";
import { ProcessGroup, startAgentsProcess, type OurProcess } from "./support/process-kit.js";
import {
  FaultApi,
  FaultMeter,
  LogBook,
  PROMPTS,
  ScenarioRow,
  converse,
  count,
  delegationsInFlight,
  outcome,
  runsInFlight,
  sum,
  type Prompt,
  type SentMessage,
} from "./support/process-load.js";

// The agents process is SIGKILLed twice while it works: once between the steps of runs (a tool
// call logged, its run not ended), once while a delegated child runs and its manager waits for
// it. Each time a fresh agents process takes over; every turn must end answered, once.

const CONVERSATIONS = 6;
// Slow words (ms each), so that a kill lands in the middle of runs.
const WORD_DELAY_MS = "30";

let platform: Platform;
const group = new ProcessGroup();

beforeAll(async () => {
  // The server in this process; the agents in their own, so a SIGKILL is real.
  platform = await startPlatform({ agents: false });
});
afterAll(async () => {
  await group.stopAll("agents-crash");
  await platform?.close();
});

/** The users' script: turn 0 before the first kill, turn 1 (delegations) after it, turn 2 after the second. */
function script(index: number): Prompt[] {
  const first = [PROMPTS.percent, PROMPTS.milesAndHandoffs, PROMPTS.kilograms, PROMPTS.twoSums, PROMPTS.fifteenPercent, PROMPTS.milesAndKilograms];
  const delegations = [PROMPTS.milesAndHandoffs, PROMPTS.milesAndKilograms, PROMPTS.twoSums];
  return [first[index % first.length] as Prompt, delegations[index % delegations.length] as Prompt, sum(40 + index)];
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => {};
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

describe("SIGKILL of the agents process, twice, mid-run and mid-delegation", () => {
  it("finishes every turn once, answered, with nothing logged twice", async () => {
    const meter = new FaultMeter();
    const api = new FaultApi(platform.server.url, TEST_TOKEN, meter);
    const book = new LogBook(api);
    const stopWatching = group.onCrash((crashed) => book.fail(new Error(`${crashed.name} crashed:\n${crashed.output.slice(-4000)}`)));
    const sent: SentMessage[] = [];
    const kills: string[] = [];
    let delegationCut = false;
    const conversations: string[] = [];
    const env = { redisUrl: inject("redisUrl"), prefix: platform.config.prefix, env: { OFFLINE_MODEL_DELAY_MS: WORD_DELAY_MS } };

    let final: Map<string, Event[]> | undefined;
    const row = new ScenarioRow(() => {
      const result = outcome((id) => final?.get(id) ?? book.log(id), sent);
      return {
        scenario: "agents-crash",
        load: `${conversations.length} conversations, ${sent.length} turns (${sent.filter((m) => m.prompt.delegates).length} delegating)`,
        faults: `${count(kills.length, "SIGKILL")} of the agents process: ${kills.join("; ")}`,
        lost: result.lost.length,
        duplicated: result.duplicated.length,
        failed: result.failed.length,
        http5xx: meter.http5xx.length,
        crashes: group.crashed().length,
        extra: { "wrong answers": result.wrong.length },
      };
    });
    onTestFailed(() => void row.record());

    let agents: OurProcess = await startAgentsProcess(group, "agents #1", env);
    for (let i = 0; i < CONVERSATIONS; i++) conversations.push(await api.createConversation());
    for (const id of conversations) book.follow(id);
    const logs = () => conversations.map((id) => book.log(id));
    /** The runs a kill cut off (started, not ended), from the logs as they are right after it. */
    const cutRuns = async () => {
      const now = await Promise.all(conversations.map((id) => api.events(id)));
      const cut = now.flatMap((log) => {
        const open = runsInFlight(log);
        return log.filter((e) => e.type === "run.started" && e.runId !== undefined && open.has(e.runId));
      });
      const delegated = cut.filter((e) => e.type === "run.started" && e.data.mode === "delegate").length;
      return { text: `${count(cut.length, "run")} under way, ${delegated} of them delegated`, runIds: new Set(cut.map((e) => e.runId)) };
    };

    const firstKillDone = deferred();
    const secondKillDone = deferred();
    const users = conversations.map((id, index) =>
      converse(api, book, id, script(index), sent, {
        gate: async (turn) => {
          if (turn === 1) await firstKillDone.promise;
          if (turn === 2) await secondKillDone.promise;
        },
      }),
    );
    // Failures of the users surface in the final await; until then the kills go on.
    const usersDone = Promise.all(users);
    usersDone.catch(() => {});

    // Kill 1: a run is between its steps, a tool call logged and the run not ended.
    await book.until(() =>
      logs().some((log) => {
        const open = runsInFlight(log);
        return log.some((event) => event.type === "tool.call" && event.runId !== undefined && open.has(event.runId));
      }),
    );
    await agents.kill();
    kills.push(`mid-run (${(await cutRuns()).text})`);
    agents = await startAgentsProcess(group, "agents #2", env);
    // What the log held when the second process came up: the second kill waits for a delegation it made.
    const known = new Set(logs().flatMap((log) => log.map((event) => event.id)));
    firstKillDone.resolve();

    // Kill 2: a delegated child run has started and not ended; its manager waits for it.
    const delegation = () => logs().flatMap((log) => delegationsInFlight(log)).find((handoff) => !known.has(handoff.id));
    await book.until(() => delegation() !== undefined);
    const child = delegation()?.data.childRunId;
    await agents.kill();
    const second = await cutRuns();
    kills.push(`mid-delegation (${second.text})`);
    delegationCut = child !== undefined && second.runIds.has(child);
    agents = await startAgentsProcess(group, "agents #3", env);
    secondKillDone.resolve();

    await usersDone;
    stopWatching();
    await book.stop();
    // The logs as the REST API gives them now, whole.
    final = new Map(await Promise.all(conversations.map(async (id) => [id, await api.events(id)] as const)));
    const result = outcome((id) => final.get(id) ?? [], sent);

    row.record();
    expect(group.crashReport()).toBe("");
    expect(result.acknowledged).toBe(CONVERSATIONS * 3);
    expect(result.lost).toEqual([]);
    expect(result.duplicated).toEqual([]);
    expect(result.failed).toEqual([]);
    expect(result.wrong).toEqual([]);
    expect(meter.http5xx).toEqual([]);
    expect(meter.unexpected).toEqual([]);
    expect(kills).toHaveLength(2);
    expect(delegationCut, "the second kill cut a delegated run off").toBe(true);
  });
});
