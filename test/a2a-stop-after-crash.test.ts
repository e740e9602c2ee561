/**
 * A stop that reaches a remote agent's run while no process runs it (#12): the agents process that
 * sent the task to the remote A2A agent dies, the user stops the turn, and the next process to
 * pick the run up cancels the remote task (whose id the run's checkpoint kept) before it ends the
 * run as cancelled. Without that, the remote would go on working for a turn nobody waits for.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectRedis, type RedisClient } from "../platform/redis.js";
import type { EventOf } from "../shared/events.js";
import { keys } from "../shared/keys.js";
import { ShoutingAgent, startRemote, stop } from "./support/a2a-remote.js";
import { AgentsProcess } from "./support/agents-process.js";
import { reportIfStillWaiting, startPlatform, testRedis, turnFinished, type Platform } from "./support/harness.js";

const remote = new ShoutingAgent();
const remoteServer = createServer();
const processes: AgentsProcess[] = [];
let catalogDir: string;
let platform: Platform;
let redis: RedisClient;

beforeAll(async () => {
  const card = await startRemote(remote, remoteServer, { streaming: true, description: "Repeats any request back in capital letters." });
  catalogDir = await mkdtemp(path.join(tmpdir(), "sb-a2a-crash-"));
  await writeFile(path.join(catalogDir, "shouter.yaml"), `kind: a2a-agent\nname: shouter\ncard: ${card}\n`);
  platform = await startPlatform({ agents: false });
  redis = await connectRedis(testRedis());
});

afterAll(async () => {
  for (const agents of processes) await agents.kill();
  await redis?.quit();
  await platform?.close();
  await stop(remoteServer);
  await rm(catalogDir, { recursive: true, force: true });
});

/** An agents process as `npm run start:agents` runs it, with the catalog that makes the shouter a team member. */
async function startAgentsProcess(): Promise<AgentsProcess> {
  const agents = await AgentsProcess.start({ SWITCHBOARD_PREFIX: platform.config.prefix, SWITCHBOARD_CATALOG_DIR: catalogDir });
  processes.push(agents);
  return agents;
}

/** Waits until the run's checkpoint holds the remote task's id: from then on a new process asks about that task. */
async function checkpointNames(conversationId: string, runId: string, taskId: string): Promise<void> {
  const key = keys(platform.config.prefix).run(conversationId, runId);
  let seen: string | null = null;
  const over = reportIfStillWaiting(`the checkpoint of ${runId} to name the remote task ${taskId}`, () => `it holds: ${seen ?? "(nothing)"}`);
  try {
    for (;;) {
      seen = await redis.get(key);
      if (seen?.includes(taskId)) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    over();
  }
}

describe("a remote agent's run stopped while its process is gone", () => {
  it("has its remote task cancelled by the next process, and ends cancelled once", { timeout: 300_000 }, async () => {
    const first = await startAgentsProcess();
    const created = await platform.api.request("POST", "/api/conversations", { agent: "shouter" });
    expect(created.status).toBe(201);
    const conversationId = created.body.id as string;
    const hang = remote.nextHang();
    const messageId = await platform.api.send(conversationId, "Please hang on this one");
    const taskId = await hang;
    const runId = `${conversationId}-${messageId}`;
    await checkpointNames(conversationId, runId, taskId);

    await first.kill();
    const stopped = await platform.api.request("POST", `/api/conversations/${conversationId}/stop`, { reason: "Not needed any more" });
    expect(stopped.status).toBe(202);
    expect(remote.cancelled).toEqual([]);

    await startAgentsProcess();
    const events = await platform.api.waitFor(conversationId, turnFinished, { what: "the stopped run to end" });
    expect(remote.cancelled).toEqual([taskId]);
    const cancelled = events.filter((event): event is EventOf<"run.cancelled"> => event.type === "run.cancelled");
    expect(cancelled.map((event) => [event.runId, event.data.reason])).toEqual([[runId, "Not needed any more"]]);
    expect(events.some((event) => event.type === "message.agent")).toBe(false);
    // The task was sent once: the new process cancelled it instead of sending the message again.
    expect(remote.received).toEqual(["Please hang on this one"]);
  });
});
