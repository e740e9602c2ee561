/**
 * An agent's definition over time: every change through the API kept in its history, with who
 * made it; an earlier definition restored as a new one (a deleted agent too); and the per-agent
 * model settings (temperature, most tokens per answer) sent with the agent's model calls.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scriptedModel, type ScriptedModel } from "../agents/model/scripted-model.js";
import type { AgentHistoryEntry } from "../shared/agent-spec.js";
import { ApiErrorBody } from "../shared/errors.js";
import { ApiClient, reportIfStillWaiting, startPlatform, turnFinished, type Platform } from "./support/harness.js";

const ALICE = "alice-token-0123456789";
let platform: Platform;
let alice: ApiClient;
let model: ScriptedModel;
/** Who the admin token is, as the history names it. */
let admin: string;

beforeAll(async () => {
  // Every model call answers at once: the haikuist with a haiku, the manager by handing a poem to
  // the haikuist once it is offered, anything else with "Done.".
  model = scriptedModel((request) => {
    if (JSON.stringify(request.messages[0] ?? "").includes("You write haiku")) return "Autumn moonlight —\na worm digs silently\ninto the chestnut.";
    const transfer = request.tools?.find((tool) => tool.type === "function" && tool.function.name === "transfer");
    const offered = JSON.stringify(transfer ?? "").includes("haikuist");
    const asked = JSON.stringify(request.messages.at(-1) ?? "");
    return offered && asked.includes("poem") ? { toolCalls: [{ name: "transfer", arguments: { agent: "haikuist", reason: "a poem was asked for" } }] } : "Done.";
  });
  platform = await startPlatform({ model: model.client, env: { SWITCHBOARD_USERS: `alice:${ALICE}` } });
  alice = new ApiClient(platform.server.url, ALICE);
  admin = (await platform.api.request("GET", "/api/me")).body.user as string;
});
afterAll(async () => platform?.close());

const poet = {
  name: "poet",
  description: "Writes haiku poems and short verses about any topic.",
  instructions: "You are a poet. Answer with a haiku.",
};

const history = async (name: string) => (await platform.api.request("GET", `/api/agents/${name}/history`)).body.history as AgentHistoryEntry[];
const errorOf = (body: Record<string, unknown>) => ApiErrorBody.parse(body).error;

describe("an agent's history", () => {
  it("keeps each definition with who saved it, newest first, and nothing for a save that changed nothing", async () => {
    expect((await platform.api.request("POST", "/api/agents", poet)).status).toBe(201);
    const changed = { ...poet, instructions: "You are a poet. Answer with a limerick." };
    expect((await platform.api.request("PUT", "/api/agents/poet", changed)).status).toBe(200);
    expect((await platform.api.request("PUT", "/api/agents/poet", changed)).status).toBe(200);

    const entries = await history("poet");
    expect(entries.map((e) => [e.n, e.change, e.by])).toEqual([
      [2, "updated", admin],
      [1, "created", admin],
    ]);
    expect(entries[0]?.spec.instructions).toBe(changed.instructions);
    expect(entries[1]?.spec.instructions).toBe(poet.instructions);
    // Anyone may read the team, and so its history.
    expect((await alice.request("GET", "/api/agents/poet/history")).status).toBe(200);
  });

  it("records the agents a process seeds from code once, as created by code", async () => {
    const entries = await history("calculator");
    expect(entries.map((e) => [e.n, e.change, e.by])).toEqual([[1, "created", "code"]]);
  });

  it("restores an earlier definition as a new one, and brings back a deleted agent", async () => {
    const restored = await platform.api.request("POST", "/api/agents/poet/restore", { n: 1 });
    expect(restored.status).toBe(200);
    expect(restored.body.instructions).toBe(poet.instructions);
    expect((await platform.api.request("GET", "/api/agents/poet")).body.instructions).toBe(poet.instructions);
    expect((await history("poet"))[0]).toMatchObject({ n: 3, change: "restored", restoredFrom: 1, by: admin });

    expect((await platform.api.request("DELETE", "/api/agents/poet")).status).toBe(204);
    expect((await history("poet"))[0]).toMatchObject({ n: 4, change: "deleted" });
    const back = await platform.api.request("POST", "/api/agents/poet/restore", { n: 3 });
    expect(back.status).toBe(201);
    expect((await platform.api.request("GET", "/api/agents/poet")).body.instructions).toBe(poet.instructions);
    expect((await history("poet"))[0]).toMatchObject({ n: 5, change: "restored", restoredFrom: 3 });
  });

  it("refuses a restore by anyone but the admin, of a definition it does not have, or of a deletion", async () => {
    const byAlice = await alice.request("POST", "/api/agents/poet/restore", { n: 1 });
    expect(byAlice.status).toBe(403);
    const missing = await platform.api.request("POST", "/api/agents/poet/restore", { n: 99 });
    expect(missing.status).toBe(400);
    expect(errorOf(missing.body).message).toMatch(/no definition 99 \(kept: 5, 4, 3, 2, 1\)/);
    const deletion = await platform.api.request("POST", "/api/agents/poet/restore", { n: 4 });
    expect(deletion.status).toBe(400);
    expect(errorOf(deletion.body).message).toMatch(/records the agent's deletion/);
    const malformed = await platform.api.request("POST", "/api/agents/poet/restore", { n: "one" });
    expect(malformed.status).toBe(400);
    expect(errorOf(malformed.body).code).toBe("invalid_agent");
    const unknown = await platform.api.request("GET", "/api/agents/nobody-here/history");
    expect(unknown.status).toBe(404);
    expect(errorOf(unknown.body).code).toBe("unknown_agent");
    // Nothing refused was recorded.
    expect((await history("poet")).map((e) => e.n)).toEqual([5, 4, 3, 2, 1]);
  });
});

describe("per-agent model settings", () => {
  const haikuist = {
    name: "haikuist",
    description: "Writes haiku poems about any topic, in three short lines.",
    instructions: "You write haiku. Answer with one haiku.",
    temperature: 0.2,
    maxTokens: 300,
  };

  it("sends the agent's temperature and answer cap with its model calls, and nothing for an agent without them", async () => {
    const saved = await platform.api.request("POST", "/api/agents", haikuist);
    expect(saved.status).toBe(201);
    expect(saved.body).toMatchObject({ temperature: 0.2, maxTokens: 300 });
    await waitUntil(() => platform.agents?.workers.running().includes("haikuist") === true, "the haikuist's workers to start");

    const before = model.requests.length;
    const conversationId = await platform.api.createConversation();
    await platform.api.send(conversationId, "Write me a poem about autumn");
    const events = await platform.api.waitFor(conversationId, turnFinished);
    expect(events.filter((e) => e.type === "run.completed").map((e) => e.agent)).toEqual(["manager", "haikuist"]);

    const calls = model.requests.slice(before);
    const haikuists = calls.filter((request) => JSON.stringify(request.messages[0]).includes("You write haiku"));
    expect(haikuists.length).toBeGreaterThan(0);
    for (const request of haikuists) expect(request).toMatchObject({ temperature: 0.2, max_completion_tokens: 300 });
    const managers = calls.filter((request) => !haikuists.includes(request));
    expect(managers.length).toBeGreaterThan(0);
    for (const request of managers) {
      expect(request).not.toHaveProperty("temperature");
      expect(request).not.toHaveProperty("max_completion_tokens");
    }
  });

  it("refuses settings out of range with the field and the reason, and keeps the agent as it was", async () => {
    const hot = await platform.api.request("PUT", "/api/agents/haikuist", { ...haikuist, temperature: 3 });
    expect(hot.status).toBe(400);
    expect(errorOf(hot.body).message).toMatch(/temperature/);
    const none = await platform.api.request("PUT", "/api/agents/haikuist", { ...haikuist, maxTokens: 0 });
    expect(none.status).toBe(400);
    expect(errorOf(none.body).message).toMatch(/maxTokens/);
    expect((await platform.api.request("GET", "/api/agents/haikuist")).body).toMatchObject({ temperature: 0.2, maxTokens: 300 });
  });
});

/**
 * Waits until `check` holds: an agents process starts a new agent's workers without saying so, so
 * this looks again every 50 ms, with no deadline of its own (the test's timeout bounds it).
 */
async function waitUntil(check: () => boolean, what: string): Promise<void> {
  let stopped: Error | undefined;
  const over = reportIfStillWaiting(what, () => `running: ${JSON.stringify(platform.agents?.workers.running())}`, (reason) => (stopped = reason));
  try {
    while (!check()) {
      if (stopped) throw stopped;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    over();
  }
}
