import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Conversation } from "../shared/api.js";
import { ApiErrorBody } from "../shared/errors.js";
import type { Event } from "../shared/events.js";
import { startPlatform, turnFinished, type Platform } from "./support/harness.js";

// The whole product with the offline model and the built-in team: turns really run.
let platform: Platform;

beforeAll(async () => {
  platform = await startPlatform();
});
afterAll(async () => {
  await platform.close();
});

const error = (body: Record<string, unknown>) => ApiErrorBody.parse(body).error;
const create = (body: Record<string, unknown>) => platform.api.request("POST", "/api/conversations", body);
const runAgents = (events: readonly Event[]) => events.filter((event) => event.type === "run.started").map((event) => event.agent);

/** An agent added for one test, so disabling or deleting it leaves the built-in team alone. */
const tester = (name: string) => ({ name, description: "Answers questions about testing.", instructions: "You test things." });

describe("a conversation that talks to one agent directly", () => {
  it("sends every message to that agent: its runs start, the manager's never does", async () => {
    const created = await create({ agent: "calculator" });
    expect(created).toMatchObject({ status: 201, body: { directAgent: "calculator", title: "New conversation" } });
    const id = (created.body as Conversation).id;
    expect((await platform.api.request("GET", `/api/conversations/${id}`)).body).toMatchObject({ id, directAgent: "calculator" });
    const listed = (await platform.api.request("GET", "/api/conversations")).body.conversations as Conversation[];
    expect(listed.find((conversation) => conversation.id === id)?.directAgent).toBe("calculator");

    await platform.api.send(id, "What is 17 * 23?");
    const first = await platform.api.waitFor(id, turnFinished, { what: "the calculator's answer" });
    expect(runAgents(first)).toEqual(["calculator"]);
    const answer = first.find((event) => event.type === "message.agent");
    expect(answer?.agent).toBe("calculator");
    expect(answer?.type === "message.agent" ? answer.data.text : "").toContain("391");

    // The second message goes the same way.
    const after = first.at(-1)?.id;
    await platform.api.send(id, "And 6 * 7?");
    const second = await platform.api.waitFor(id, turnFinished, { after, what: "the second answer" });
    expect(runAgents(second)).toEqual(["calculator"]);

    // A conversation without `agent` still goes to the manager.
    const plain = await platform.api.createConversation();
    expect((await platform.api.request("GET", `/api/conversations/${plain}`)).body.directAgent).toBeUndefined();
    await platform.api.send(plain, "What is 2 + 2?");
    expect(runAgents(await platform.api.waitFor(plain, turnFinished))[0]).toBe("manager");
  });

  it("refuses an agent that does not exist, the manager, a malformed name and a disabled agent, saying why", async () => {
    const unknown = await create({ agent: "nobody" });
    expect(unknown.status).toBe(404);
    expect(error(unknown.body)).toEqual({ code: "unknown_agent", message: expect.stringContaining('No agent "nobody"') });

    const manager = await create({ agent: "manager" });
    expect(manager.status).toBe(400);
    expect(error(manager.body)).toEqual({ code: "invalid_request", message: expect.stringContaining('leave "agent" out') });

    const malformed = await create({ agent: "Not A Name" });
    expect(malformed.status).toBe(400);
    expect(error(malformed.body)).toMatchObject({ code: "invalid_request", message: expect.stringContaining("agent") });

    const spec = tester("tester-off");
    expect((await platform.api.request("POST", "/api/agents", spec)).status).toBe(201);
    expect((await platform.api.request("PUT", "/api/agents/tester-off", { ...spec, enabled: false })).status).toBe(200);
    const disabled = await create({ agent: "tester-off" });
    expect(disabled.status).toBe(409);
    expect(error(disabled.body)).toEqual({ code: "agent_unavailable", message: "tester-off is disabled: enable it in the agents panel first." });
    await platform.api.request("DELETE", "/api/agents/tester-off");
  });

  it("answers 409 with what to do when the agent is disabled or deleted later, and logs nothing", async () => {
    const spec = tester("tester-later");
    expect((await platform.api.request("POST", "/api/agents", spec)).status).toBe(201);
    const id = (await create({ agent: "tester-later" })).body.id as string;

    expect((await platform.api.request("PUT", "/api/agents/tester-later", { ...spec, enabled: false })).status).toBe(200);
    const whileDisabled = await platform.api.request("POST", `/api/conversations/${id}/messages`, { text: "hello?" });
    expect(whileDisabled.status).toBe(409);
    expect(whileDisabled.body).toMatchObject({ agent: "tester-later" });
    expect(error(whileDisabled.body)).toEqual({
      code: "agent_unavailable",
      message: "This conversation talks to tester-later directly, and tester-later is disabled: enable it, or start a new conversation.",
    });

    expect((await platform.api.request("DELETE", "/api/agents/tester-later")).status).toBe(204);
    const afterDelete = await platform.api.request("POST", `/api/conversations/${id}/messages`, { text: "hello?" });
    expect(afterDelete.status).toBe(409);
    expect(error(afterDelete.body).message).toBe("This conversation talks to tester-later directly, and tester-later was deleted: start a new conversation.");
    // A refused message is not kept: nobody would answer it.
    expect(await platform.api.events(id)).toEqual([]);
  });
});
