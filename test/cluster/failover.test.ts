import { hostname } from "node:os";
import { Job } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../platform/logger.js";
import { Queues, queueLayout } from "../../platform/queues.js";
import { connectRedis, type RedisClient } from "../../platform/redis.js";
import { startServer, type RunningServer } from "../../server/server-process.js";
import type { Event } from "../../shared/events.js";
import { keys as keyNames } from "../../shared/keys.js";
import { compareStreamIds } from "../../shared/stream-id.js";
import { AgentsProcess } from "../support/agents-process.js";
import { ApiClient, TEST_TOKEN, startPlatform, testRedis, turnFinished, type Platform } from "../support/harness.js";
import { SocketClient } from "../support/socket-client.js";

// Two servers and two agents processes on the cluster; the one in the middle of a run is killed mid-load. Every
// turn still finishes once, nothing is logged twice, and every socket gets each event once, in order.

const CONVERSATIONS = 12;
const QUESTIONS = ["convert 5 miles to km, and summarize how handoffs work", "What is 17.5% of 2,480?"];

let platform: Platform;
let second: RunningServer;
let redis: RedisClient;
let queues: Queues;
const agents: AgentsProcess[] = [];
const sockets: SocketClient[] = [];

beforeAll(async () => {
  platform = await startPlatform({ agents: false, env: { SWITCHBOARD_RATE_MESSAGES: "0", SWITCHBOARD_RATE_MESSAGES_PER_ADDRESS: "0" } });
  second = await startServer({ config: platform.config, redis: testRedis(), log: createLogger("silent") });
  redis = await connectRedis(testRedis());
  queues = new Queues(redis, keyNames(platform.config.prefix), queueLayout(platform.config));
  // Slow words, so the kill lands while runs are in the middle of their steps.
  const env = { SWITCHBOARD_PREFIX: platform.config.prefix, OFFLINE_MODEL_DELAY_MS: "15" };
  const started = await Promise.allSettled([AgentsProcess.start(env), AgentsProcess.start(env)]);
  // Kept even when the other failed to start, so afterAll kills it.
  for (const result of started) if (result.status === "fulfilled") agents.push(result.value);
  for (const result of started) if (result.status === "rejected") throw result.reason;
}, 180_000);
afterAll(async () => {
  for (const socket of sockets) socket.close();
  for (const process of agents) await process.kill();
  await queues.close();
  redis.disconnect();
  await second.close();
  await platform.close();
});

describe("an agents process killed mid-load on the cluster", () => {
  it("loses nothing: every turn finishes once, and every socket gets each event once, in order", { timeout: 240_000 }, async () => {
    const servers = [platform.server.url, second.url];
    const conversations = await Promise.all(Array.from({ length: CONVERSATIONS }, () => platform.api.createConversation()));
    // Each conversation followed on one server and written to through the other.
    const followers = await Promise.all(
      conversations.map(async (conversationId, index) => {
        const socket = new SocketClient(servers[index % 2] ?? "", TEST_TOKEN);
        sockets.push(socket);
        await socket.connected();
        expect((await socket.join(conversationId)).ok).toBe(true);
        return socket;
      }),
    );
    await Promise.all(conversations.map((conversationId, index) => new ApiClient(servers[(index + 1) % 2] ?? "", TEST_TOKEN).send(conversationId, QUESTIONS[index % 2] ?? "")));

    // Once a third of the conversations have a run under way, kill an agents process in the middle of one.
    await Promise.all(followers.slice(0, CONVERSATIONS / 3).map((socket) => socket.waitFor((events) => events.some((e) => e.type === "run.started"))));
    await (await processMidRun(followers)).kill();

    const logs = await Promise.all(conversations.map((conversationId) => platform.api.waitFor(conversationId, turnFinished)));
    const live = await Promise.all(followers.map((socket) => socket.waitFor(turnFinished)));
    for (const [index, events] of logs.entries()) {
      const answers = events.filter((e) => e.type === "message.agent");
      expect(events.filter((e) => e.type === "run.failed")).toEqual([]);
      expect(events.filter((e) => e.type === "message.user")).toHaveLength(1);
      if (index % 2 === 0) {
        expect(events.filter((e) => e.type === "handoff.return")).toHaveLength(2);
        expect(answers.at(-1)?.agent).toBe("manager");
      } else {
        expect(answers.map((e) => e.agent)).toEqual(["calculator"]);
      }
      expect(duplicates(events)).toEqual([]);
      // The socket got what the log holds, once each and in order.
      const received = (live[index] ?? []).map((e) => e.id);
      for (let i = 1; i < received.length; i++) expect(compareStreamIds(received[i - 1] ?? "0", received[i] ?? "0")).toBe(-1);
      expect(received).toEqual(events.map((e) => e.id));
    }
    // The kill did land mid-run: some of the runs were taken back from the dead process and resumed.
    const runs = logs.flat().filter((e) => e.type === "run.started");
    const stalled = await Promise.all(runs.map(async (e) => (await Job.fromId(queues.queueFor(e.agent ?? "", e.conversationId), e.runId ?? ""))?.stalledCounter ?? 0));
    expect(stalled.some((count) => count > 0)).toBe(true);
  });
});

/**
 * The agents process that holds a run's job right now (active, `processedBy` its `<host>:<pid>`).
 * Looks again at each event or delta the sockets receive: runs are mid-stream while deltas flow.
 */
async function processMidRun(followers: SocketClient[]): Promise<AgentsProcess> {
  for (;;) {
    const started = followers.flatMap((socket) => socket.events.filter((e) => e.type === "run.started"));
    for (const event of started) {
      const job = await Job.fromId(queues.queueFor(event.agent ?? "", event.conversationId), event.runId ?? "");
      if (!job || !(await job.isActive())) continue;
      const owner = agents.find((candidate) => job.processedBy === `${hostname()}:${candidate.child.pid}`);
      if (owner) return owner;
    }
    await nextMessage(followers);
  }
}

/** Resolves at the next thing any of the sockets receives. */
function nextMessage(sockets: SocketClient[]): Promise<void> {
  return new Promise((resolve) => {
    const received = () => {
      for (const { socket } of sockets) socket.offAny(received);
      resolve();
    };
    for (const { socket } of sockets) socket.onAny(received);
  });
}

/** Events that say the same thing twice: same run, same type, same tool call or handoff. */
function duplicates(events: Event[]): string[] {
  const seen = new Set<string>();
  const twice: string[] = [];
  for (const event of events) {
    const data = event.data as { toolCallId?: string; childRunId?: string };
    const key = `${event.runId}/${event.type}/${data.toolCallId ?? data.childRunId ?? ""}`;
    if (event.type !== "message.user" && seen.has(key)) twice.push(key);
    seen.add(key);
  }
  return twice;
}
