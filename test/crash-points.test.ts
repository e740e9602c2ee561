import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it, inject } from "vitest";
import type { EventOf } from "../shared/events.js";
import { AgentsProcess } from "./support/agents-process.js";
import { startPlatform, turnFinished, type Platform } from "./support/harness.js";
import { startRedisProxy } from "./support/redis-proxy.js";

/**
 * A crash at the exact point the issue named: a delegating run has saved its "waiting" checkpoint
 * and its process dies before the children are added. The agents process talks to Redis through a
 * proxy that stops forwarding right before the first command that adds a child, and the test
 * SIGKILLs the process there. A new agents process must add the children, run each once and
 * answer with their results, not report them as failed.
 */

let platform: Platform;
const processes: AgentsProcess[] = [];
let proxy: Awaited<ReturnType<typeof startRedisProxy>> | undefined;

beforeAll(async () => {
  platform = await startPlatform({ agents: false });
});
afterAll(async () => {
  for (const agents of processes) await agents.kill();
  await proxy?.close();
  await platform.close();
});

describe("a crash between the waiting checkpoint and adding the children", () => {
  it("is recovered: the next process adds the children and the turn is answered from their results", { timeout: 300_000 }, async () => {
    const conversationId = await platform.api.createConversation();
    const redisPort = Number(new URL(inject("redisUrl")).port);
    let waitingSaved = false;
    proxy = await startRedisProxy(redisPort, ({ name, args }) => {
      const key = args[0] ?? "";
      // The checkpoint is written by the script that appends events with it (EVALSHA, its keys and values in args).
      const checkpoint = name === "SET" ? key.includes(conversationId) && key.includes(":run:") : (name === "EVALSHA" || name === "EVAL") && args.some((arg) => arg.includes(conversationId) && arg.includes(":run:"));
      if (checkpoint && args.some((arg) => arg.includes('"status":"waiting"'))) {
        waitingSaved = true;
        return false;
      }
      // The first command after that which names a delegated child's job id adds the children.
      return waitingSaved && args.some((arg) => arg.includes(conversationId) && /-d\d+-\d+/.test(arg));
    });
    const first = await AgentsProcess.start({ SWITCHBOARD_PREFIX: platform.config.prefix, REDIS_URL: proxy.url, OFFLINE_MODEL_DELAY_MS: "0" });
    processes.push(first);

    await platform.api.send(conversationId, "convert 5 miles to km, and summarize how handoffs work");
    const held = await proxy.stopped;
    await first.kill();
    expect(held.args.join(" ")).toMatch(/-d\d+-0/);

    // The crash left what the issue describes: the parent waits for children that do not exist.
    const before = await platform.api.events(conversationId);
    const handoffs = before.filter((e): e is EventOf<"handoff"> => e.type === "handoff");
    expect(handoffs.map((h) => h.data.mode)).toEqual(["delegate", "delegate"]);
    expect(before.some((e) => e.type === "run.started" && e.agent !== "manager")).toBe(false);
    const redis = new Redis(inject("redisUrl"));
    try {
      const childKeys = await Promise.all(handoffs.map((h) => redis.keys(`*:${h.data.to}:${h.data.childRunId}`)));
      expect(childKeys.flat()).toEqual([]);
    } finally {
      redis.disconnect();
    }

    processes.push(await AgentsProcess.start({ SWITCHBOARD_PREFIX: platform.config.prefix, OFFLINE_MODEL_DELAY_MS: "0" }));
    const events = await platform.api.waitFor(conversationId, turnFinished);
    const returns = events.filter((e): e is EventOf<"handoff.return"> => e.type === "handoff.return");
    expect(returns.map((r) => r.data.status)).toEqual(["completed", "completed"]);
    for (const handoff of handoffs) {
      expect(events.filter((e) => e.type === "run.started" && e.runId === handoff.data.childRunId)).toHaveLength(1);
    }
    const answer = events.filter((e): e is EventOf<"message.agent"> => e.type === "message.agent" && e.agent === "manager").at(-1);
    expect(answer?.data.text).toContain("8.04672");
    expect(answer?.data.text).not.toMatch(/could not finish/);
    expect(events.filter((e) => e.type === "run.completed")).toHaveLength(3);
  });
});
