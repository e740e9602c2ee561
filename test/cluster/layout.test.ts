import { randomUUID } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Job } from "bullmq";
import type { Cluster } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RUN_STATE_VERSION, RunStore, type RunState } from "../../agents/run-state.js";
import { AgentRegistry } from "../../platform/agent-registry.js";
import { Approvals } from "../../platform/approvals.js";
import { ConversationLog } from "../../platform/conversation-log.js";
import { DeltaPublisher, StreamingTexts } from "../../platform/delta-bus.js";
import { Conversations } from "../../platform/conversations.js";
import { createLogger } from "../../platform/logger.js";
import { Queues, queueLayout } from "../../platform/queues.js";
import { connectRedis, type RedisClient } from "../../platform/redis.js";
import { WorkflowRegistry } from "../../platform/workflow-registry.js";
import { WorkflowRuns } from "../../platform/workflow-runs.js";
import { resolveAccessToken } from "../../server/auth.js";
import { TurnStops } from "../../platform/turn-stops.js";
import { RateLimits } from "../../server/rate-limits.js";
import { WORKFLOWS_QUEUE, type TurnJob } from "../../shared/jobs.js";
import type { RecordedStep } from "../../shared/run-steps.js";
import { keys as keyNames, shardedConversationId, shardOf, type Keys } from "../../shared/keys.js";
import { WORKFLOW_SUMMARY_VERSION } from "../../shared/workflow.js";
import { startPlatform, testConfig, testRedis, turnFinished, type Platform } from "../support/harness.js";

// The data layout on a three-master cluster: every script and transaction of the product runs in
// one slot (no CROSSSLOT), and conversations (with the queues of their work) spread over all masters.

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const log = createLogger("silent");
let redis: RedisClient;

beforeAll(async () => {
  redis = await connectRedis(testRedis());
});
afterAll(() => redis.disconnect());

/** Slot → the port of the master that serves it, from CLUSTER SLOTS. */
async function slotMasters(): Promise<(slot: number) => number> {
  const ranges = await redis.cluster("SLOTS");
  return (slot) => ranges.find(([from, to]) => slot >= from && slot <= to)?.[2]?.[1] ?? -1;
}

const keySlot = async (key: string) => Number(await redis.cluster("KEYSLOT", key));

/** The master of each of a prefix's shards, by the slot of a conversation key in it. */
async function shardMasters(keys: Keys, shards: number): Promise<number[]> {
  const master = await slotMasters();
  return Promise.all(Array.from({ length: shards }, async (_, shard) => master(await keySlot(keys.events(shardedConversationId(shard, "x".repeat(20)))))));
}

/** A fresh key prefix whose shards the cluster puts on all three masters (most are; a test must not depend on luck). */
async function prefixOnEveryMaster(): Promise<string> {
  for (;;) {
    const prefix = `t${randomUUID().replaceAll("-", "").slice(0, 12)}`;
    if (new Set(await shardMasters(keyNames(prefix), testConfig().shards)).size === 3) return prefix;
  }
}

/** Source files of the product (not tests, not the client). */
function productSources(): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (entry.name.endsWith(".ts")) files.push(file);
    }
  };
  for (const dir of ["shared", "platform", "runtime", "agents", "workflows", "server", "bin"]) walk(path.join(ROOT, dir));
  return files;
}

describe("every script and transaction of the product on the cluster", () => {
  it("knows them all: the product defines these scripts and transactions, and sends no EVAL or pipeline of its own", () => {
    const files = productSources();
    const sources = files.map((file) => readFileSync(file, "utf8"));
    const scripts = sources.flatMap((source) => [...source.matchAll(/defineCommand\("(\w+)"/g)].map((match) => match[1])).sort();
    // The next test runs each of them; a new one belongs there too.
    expect(scripts).toEqual(["sbAgentHistory", "sbAppend", "sbAppendWriting", "sbDecideApproval", "sbOpenRun", "sbStop", "sbStreamRead", "sbStreamText"]);
    const transactions = files.filter((_file, index) => /\.multi\(/.test(sources[index] ?? "")).map((file) => path.relative(ROOT, file));
    // The run checkpoint is a script now (sbAppendWriting); these are the interop pieces' transactions.
    expect(transactions).toEqual(["platform/a2a-tasks.ts", "server/mcp/call-registry.ts"]);
    expect(sources.filter((source) => /\.(pipeline|eval|evalsha)\(/.test(source))).toEqual([]);
  });

  it("runs each in one slot, for conversations of shards on different masters", async () => {
    const config = testConfig({ SWITCHBOARD_PREFIX: await prefixOnEveryMaster() });
    const keys = keyNames(config.prefix);
    const conversationLog = new ConversationLog(redis, keys, log, config.retention);
    const conversations = new Conversations(redis, keys, config.shards);
    const queues = new Queues(redis, keys, queueLayout(config));
    const approvals = new Approvals(redis, keys, conversationLog, queues);
    const workflowRegistry = new WorkflowRegistry(redis, keys, log);
    const runs = new WorkflowRuns(redis, keys, conversationLog, queues, workflowRegistry);
    try {
      // One conversation in each shard: they cover every master.
      const ids = Array.from({ length: config.shards }, (_, shard) => shardedConversationId(shard, randomUUID().replaceAll("-", "").slice(0, 20)));
      for (const conversationId of ids) {
        // The append script: a new event, then the same key again (the dedup index answers).
        const first = await conversationLog.append(conversationId, { type: "message.user", data: { text: "hello" } }, "k1");
        const again = await conversationLog.append(conversationId, { type: "message.user", data: { text: "hello" } }, "k1");
        expect(again).toMatchObject({ created: false, event: { id: first.event.id } });
        // The same script writing a workflow run's journal with its event, and reading a field back.
        await redis.hset(keys.workflowRun(conversationId, "w1"), "cancel", "alice");
        const read = await conversationLog.appendRecording(conversationId, { type: "message.user", data: { text: "step" } }, "k2", {
          hash: keys.workflowRun(conversationId, "w1"),
          fields: { "j:step": "{}" },
          read: "cancel",
        });
        expect(read).toBe("alice");
        // The run checkpoint with its recorded step, its event and a write of the conversation's in one script; a finished run's steps expire with it.
        const runs = new RunStore(redis, keys, conversationLog);
        const job: TurnJob = { v: 1, conversationId, runId: "r1", agent: "manager", mode: "turn", task: "t", depth: 0, chain: ["manager"] };
        const usage = { promptTokens: 1, completionTokens: 1, totalTokens: 2 };
        const state: RunState = { v: RUN_STATE_VERSION, job, model: "offline", startedAt: Date.now(), status: "completed" as const, messages: [], steps: [], usage, childModelCalls: 0, childCostUsd: 0, pendingToolCalls: [] };
        const step: RecordedStep = { v: 1, step: 0, at: new Date().toISOString(), model: "offline", latencyMs: 1, sent: { messages: [], omittedMessages: 0, tools: [] }, answer: { text: "hi", toolCalls: [], finishReason: "stop", usage } };
        await runs.save(state, { step });
        const started = { event: { type: "run.started" as const, data: { task: "t", model: "offline", depth: 0, mode: "turn" as const } }, key: "r1:started" };
        const history = { count: 10, types: new Set(["message.user"] as const) };
        expect((await runs.open(job, started, history)).state?.status).toBe("completed");
        // A new run opened in one script: its history read and its first event logged.
        const opened = await runs.open({ ...job, runId: "r2" }, { ...started, key: "r2:started" }, history);
        expect(opened.history.map((e) => e.type)).toEqual(["message.user", "message.user"]);
        expect(opened.first?.created).toBe(true);
        expect(await redis.ttl(keys.runSteps(conversationId, "r1"))).toBeGreaterThan(0);
        // A stop marker and its announcement.
        const stops = new TurnStops(redis, keys);
        expect(await stops.stop(conversationId, { through: first.event.id, by: "alice", reason: "test", at: new Date().toISOString() })).toMatchObject({ by: "alice" });
        // A run's delta kept and published, its text logged (the delta is sent first), its end.
        const deltas = new DeltaPublisher(redis, keys, log, { ttlMs: 60_000 });
        deltas.publish({ conversationId, runId: "r1", agent: "manager", text: "Hello" });
        await deltas.logged(conversationId, "r1", "manager", first.event.id);
        expect(await redis.hget(keys.streaming(conversationId), "r1")).toBe(`0 1 ${first.event.id} manager`);
        // Read atomically with the text (none now: it is logged).
        expect(await new StreamingTexts(redis, keys).read(conversationId)).toEqual([]);
        await conversationLog.appendWriting(conversationId, [], deltas.endWrites(conversationId, "r1"));
        expect(await redis.hexists(keys.streaming(conversationId), "r1")).toBe(0);
      }

      // Conversations: metadata and the owner's list, two single-slot writes.
      const created = await Promise.all(Array.from({ length: 20 }, () => conversations.create("alice", "t")));
      expect((await conversations.list("alice")).map((c) => c.id).sort()).toEqual(created.map((c) => c.id).sort());

      // A turn and its flow children on other agents' queues (and _workflows), under the conversation's prefix.
      for (const conversationId of ids) {
        const turn: TurnJob = { v: 1, conversationId, runId: `${conversationId}-r`, agent: "manager", mode: "turn", task: "t", depth: 0, chain: ["manager"] };
        await queues.enqueue(turn);
        const parent = await Job.fromId(queues.queueFor("manager", conversationId), turn.runId);
        if (!parent) throw new Error("the turn's job is missing");
        await queues.addChildren(parent, [
          { queue: "calculator", id: `${turn.runId}-d1-0`, name: "delegate", data: { ...turn, runId: `${turn.runId}-d1-0`, agent: "calculator", mode: "delegate" } },
          { queue: WORKFLOWS_QUEUE, id: `${turn.runId}-w1`, name: "flow", data: { v: 1, kind: "run", runId: `${turn.runId}-w1`, conversationId, workflow: "refund-check", input: {} } },
        ]);
        expect(await parent.getDependenciesCount()).toMatchObject({ unprocessed: 2 });
        // A parked job woken (promoted) by a decision.
        await queues.queueFor(WORKFLOWS_QUEUE, conversationId).add("parked", {}, { jobId: `${conversationId}-p`, delay: 3_600_000 });
        expect(await queues.wake({ conversationId }, WORKFLOWS_QUEUE, `${conversationId}-p`)).toBe(true);
      }
      expect((await queues.status("manager")).waiting).toBe(ids.length);

      // Approvals: requested (HSETNX, the owner's list, an event), decided by the script.
      const approval = await approvals.request({
        id: `ap${randomUUID().replaceAll("-", "")}`,
        conversationId: ids[0] ?? "",
        owner: "alice",
        runId: "w1",
        kind: "workflow",
        title: "Refund?",
        data: {},
        requestedAt: new Date().toISOString(),
        onTimeout: "reject",
        job: { queue: WORKFLOWS_QUEUE, id: "missing" },
      });
      expect((await approvals.decide(approval.id, "approve", "alice")).outcome).toBe("decided");

      // Workflow runs: recorded, indexed, enqueued, cancelled.
      await workflowRegistry.putAll([
        {
          v: WORKFLOW_SUMMARY_VERSION,
          name: "refund-check",
          description: "A workflow of this test.",
          version: "v1",
          inputSchema: {},
          graph: { nodes: [{ id: "start", kind: "start", label: "start" }, { id: "end", kind: "end", label: "end" }], edges: [{ from: "start", to: "end" }] },
          budget: { modelCalls: { min: 0, max: 0 }, approvals: 0, agentRuns: 0, unboundedSteps: [] },
          source: "code",
          updatedAt: new Date().toISOString(),
        },
      ]);
      await runs.start({ runId: "wr1", workflow: "refund-check", conversationId: ids[1] ?? "", owner: "alice", input: {} });
      expect(await runs.cancel("wr1", "alice")).toBe("cancelled");

      // The registry: a version bump and an announcement per change, each recorded in the agent's history by its script.
      const registry = new AgentRegistry(redis, keys, log);
      await registry.create({ name: "poet", description: "Writes short poems about anything.", instructions: "Rhyme.", tools: [], handoffs: [], enabled: true }, "api", { by: "alice" });
      await registry.delete("poet", { by: "alice" });
      expect(await registry.version()).toBe(2);
      expect((await registry.history("poet")).map((entry) => entry.change)).toEqual(["deleted", "created"]);

      // Rate limits (rate-limiter-flexible's script) and the generated token.
      await new RateLimits(redis, config.prefix, config.rateLimits).consume("messages", { user: "alice", address: "127.0.0.1" });
      expect(await resolveAccessToken(redis, keys, undefined)).toHaveLength(32);
    } finally {
      await queues.close();
    }
  });
});

describe("conversations spread over the cluster", () => {
  let platform: Platform;
  let keys: Keys;

  beforeAll(async () => {
    const prefix = await prefixOnEveryMaster();
    keys = keyNames(prefix);
    platform = await startPlatform({ env: { SWITCHBOARD_PREFIX: prefix, SWITCHBOARD_RATE_CONVERSATIONS: "0", SWITCHBOARD_RATE_CONVERSATIONS_PER_ADDRESS: "0" } });
  });
  afterAll(async () => platform.close());

  it("puts new conversations in every shard, and so on every master", async () => {
    const ids = await Promise.all(Array.from({ length: 200 }, () => platform.api.createConversation()));
    expect(new Set(ids.map((id) => shardOf(id))).size).toBe(platform.config.shards);
    const master = await slotMasters();
    const masters = await Promise.all(ids.map(async (id) => master(await keySlot(keys.meta(id)))));
    expect(new Set(masters).size).toBe(3);
  });

  it("keeps a turn's keys and the jobs of its queues in its conversation's slot, one conversation per master", async () => {
    const master = await slotMasters();
    const chosen = new Map<number, string>();
    while (chosen.size < 3) {
      const id = await platform.api.createConversation();
      const port = master(await keySlot(keys.meta(id)));
      if (!chosen.has(port)) chosen.set(port, id);
    }
    for (const id of chosen.values()) await platform.api.send(id, "What is 17.5% of 2,480?");
    for (const id of chosen.values()) await platform.api.waitFor(id, turnFinished);

    const nodes = (redis as Cluster).nodes("master");
    for (const [port, id] of chosen) {
      const node = nodes.find((candidate) => candidate.options.port === port);
      if (!node) throw new Error(`no master on port ${port}`);
      const tag = `{${keys.prefix}:s${id.slice(1, 3)}}`;
      const found: string[] = [];
      let cursor = "0";
      do {
        const [next, batch] = await node.scan(cursor, "MATCH", `*${tag}*`, "COUNT", 1000);
        found.push(...batch);
        cursor = next;
      } while (cursor !== "0");
      // The conversation's own keys and the turn's jobs on the manager's and the calculator's queues.
      expect(found).toEqual(expect.arrayContaining([keys.events(id), keys.meta(id), keys.dedup(id)]));
      const jobs = found.filter((key) => key.startsWith(keys.queuePrefix(id)) && key.includes(id));
      expect(jobs.some((key) => key.includes(":manager:"))).toBe(true);
      expect(jobs.some((key) => key.includes(":calculator:"))).toBe(true);
      expect(new Set(await Promise.all(found.map(keySlot))).size).toBe(1);
    }
  });
});
