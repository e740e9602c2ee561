import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAgents, type RunningAgents } from "../agents/agents-process.js";
import { builtInAgents } from "../agents/team/built-in-team.js";
import { createLogger } from "../platform/logger.js";
import type { Event, EventOf } from "../shared/events.js";
import { ApiClient, reportIfStillWaiting, startPlatform, testRedis, turnFinished, type Platform } from "./support/harness.js";

const ALICE = "alice-token-0123456789";
let platform: Platform;
let second: RunningAgents;

beforeAll(async () => {
  platform = await startPlatform({ env: { OFFLINE_MODEL_DELAY_MS: "5", SWITCHBOARD_USERS: `alice:${ALICE}` } });
  // A second agents process on the same deployment.
  second = await startAgents({ config: platform.config, redis: testRedis(), log: createLogger("silent"), agents: await builtInAgents() });
});
afterAll(async () => {
  await second.close();
  await platform.close();
});

const poet = {
  name: "poet",
  description: "Writes haiku poems and short verses about any topic.",
  instructions: "You are a poet. Answer with a haiku.",
};

async function ask(text: string): Promise<Event[]> {
  const conversationId = await platform.api.createConversation();
  await platform.api.send(conversationId, text);
  return platform.api.waitFor(conversationId, turnFinished);
}
const routedTo = (events: Event[]) => events.find((e): e is EventOf<"handoff"> => e.type === "handoff")?.data.to;

/**
 * Waits until `check` holds. The workers an agents process runs say nothing when they change, so
 * this looks again every 50 ms, with no deadline of its own: the test's timeout bounds it, and a
 * test that ends meanwhile says what it was waiting for.
 */
async function eventually(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  let stopped: Error | undefined;
  const over = reportIfStillWaiting(what, () => `the workers running: ${JSON.stringify(running())}`, (reason) => (stopped = reason));
  try {
    while (!(await check())) {
      if (stopped) throw stopped;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    over();
  }
}
const running = () => ({ first: platform.agents?.workers.running(), second: second.workers.running() });

describe("adding specialists at run time", () => {
  it("lists the team with each agent's state and the tool registry", async () => {
    const { body } = await platform.api.request("GET", "/api/agents");
    const agents = body.agents as { name: string; source: string; enabled: boolean; status: { workers: number } }[];
    expect(agents.map((a) => a.name)).toEqual(["manager", "calculator", "researcher", "writer"]);
    expect(agents.every((a) => a.source === "code" && a.enabled && a.status.workers === 2)).toBe(true);
    const tools = (await platform.api.request("GET", "/api/tools")).body.tools as { name: string }[];
    // The agents' own tools, the shipped workflows' tools, and one tool per workflow to run it.
    expect(tools.map((t) => t.name)).toEqual([
      "calculate",
      "check_refund_policy",
      "issue_refund",
      "lookup_order",
      "notify_customer",
      "publish_post",
      "rewrite_text",
      "run_content_pipeline",
      "run_order_triage",
      "search_knowledge_base",
      "summarize_text",
      "text_stats",
    ]);
  });

  it("routes to an agent added through the API, in every agents process, without a restart", async () => {
    expect(routedTo(await ask("write a haiku poem about autumn"))).not.toBe("poet");
    const created = await platform.api.request("POST", "/api/agents", poet);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: "poet", source: "api", enabled: true, model: "offline" });

    await eventually(() => platform.agents?.workers.running().includes("poet") === true && second.workers.running().includes("poet"), "both processes to run the poet");
    const events = await ask("write a haiku poem about autumn");
    expect(routedTo(events)).toBe("poet");
    expect(events.some((e) => e.type === "message.agent" && e.agent === "poet")).toBe(true);

    const status = (await platform.api.request("GET", "/api/agents/poet")).body.status as { workers: number; lastActivity: string | null };
    expect(status.workers).toBe(2);
    expect(status.lastActivity).not.toBeNull();
  });

  it("routes by the edited description", async () => {
    expect(routedTo(await ask("compose a limerick about a cat"))).not.toBe("poet");
    const edited = await platform.api.request("PUT", "/api/agents/poet", { ...poet, description: "Writes limericks and funny rhymes about any topic." });
    expect(edited.status).toBe(200);
    expect(routedTo(await ask("compose a limerick about a cat"))).toBe("poet");
  });

  it("lets a run finish when its agent is deleted, then routes elsewhere", async () => {
    const conversationId = await platform.api.createConversation();
    await platform.api.send(conversationId, "compose a limerick about a dog");
    await platform.api.waitFor(conversationId, (events) => events.some((e) => e.type === "run.started" && e.agent === "poet"));
    expect((await platform.api.request("DELETE", "/api/agents/poet")).status).toBe(204);
    const events = await platform.api.waitFor(conversationId, turnFinished);
    expect(events.find((e) => e.type === "run.completed" && e.agent === "poet")).toBeTruthy();
    expect(events.some((e) => e.type === "message.agent" && e.agent === "poet")).toBe(true);

    await eventually(() => !platform.agents?.workers.running().includes("poet") && !second.workers.running().includes("poet"), "the poet's workers to stop");
    expect(routedTo(await ask("compose a limerick about a dog"))).not.toBe("poet");
    expect((await platform.api.request("GET", "/api/agents/poet")).status).toBe(404);
  });

  it("stops routing to a disabled agent and stops its workers", async () => {
    await platform.api.request("POST", "/api/agents", poet);
    expect(routedTo(await ask("write a haiku poem about snow"))).toBe("poet");
    const disabled = await platform.api.request("PUT", "/api/agents/poet", { ...poet, enabled: false });
    expect(disabled.body).toMatchObject({ enabled: false });
    await eventually(() => !platform.agents?.workers.running().includes("poet"), "the poet's worker to stop");
    expect(routedTo(await ask("write a haiku poem about snow"))).not.toBe("poet");
    await platform.api.request("DELETE", "/api/agents/poet");
  });

  it("refuses bad definitions with the field and the reason", async () => {
    const post = (body: unknown) => platform.api.request("POST", "/api/agents", body);
    const message = (response: { body: Record<string, unknown> }) => (response.body.error as { message: string }).message;

    const badName = await post({ ...poet, name: "Bad Name" });
    expect(badName.status).toBe(400);
    expect(message(badName)).toMatch(/name/);
    const unknownTool = await post({ ...poet, tools: ["teleport"] });
    expect(unknownTool.status).toBe(400);
    expect(message(unknownTool)).toMatch(/tools\.0: no tool named "teleport"/);
    const unknownTarget = await post({ ...poet, handoffs: ["ghost"] });
    expect(message(unknownTarget)).toMatch(/handoffs\.0: no agent named "ghost"/);
    const tooLong = await post({ ...poet, instructions: "x".repeat(8001) });
    expect(message(tooLong)).toMatch(/instructions/);
    const vague = await post({ ...poet, description: "poems" });
    expect(message(vague)).toMatch(/at least 10 characters/);
    const taken = await post({ ...poet, name: "writer" });
    expect(taken.status).toBe(409);

    expect((await platform.api.request("DELETE", "/api/agents/manager")).status).toBe(403);
    const disableManager = await platform.api.request("PUT", "/api/agents/manager", { name: "manager", description: "Routes every request to the team.", instructions: "Route.", handoffs: ["*"], enabled: false });
    expect(disableManager.status).toBe(403);
    expect((await platform.api.request("PUT", "/api/agents/ghost", poet)).status).toBe(404);
    const rename = await platform.api.request("PUT", "/api/agents/writer", { ...poet, name: "scribe" });
    expect(message(rename)).toMatch(/cannot be renamed/);

    const alice = new ApiClient(platform.server.url, ALICE);
    expect((await alice.request("GET", "/api/agents")).status).toBe(200);
    const notAdmin = await alice.request("POST", "/api/agents", { ...poet, name: "alices-poet" });
    expect(notAdmin.status).toBe(403);
    expect(message(notAdmin)).toMatch(/admin/);
  });
});
