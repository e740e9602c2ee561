/**
 * Remote A2A agents in the team (#12): a catalog file of `kind: a2a-agent` makes an agent built
 * with the official A2A SDK (started here, on a local port) a team member the manager hands work
 * to. Its runs send the task there and its answer comes back like a specialist's; a remote that
 * cannot be reached is a failed handoff the manager reads; a stop cancels the remote task; a retry
 * of a run asks about the task it already created instead of sending the message again.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { A2aAgents } from "../agents/a2a/a2a-agents.js";
import { readCatalog } from "../agents/catalog.js";
import { scriptedModel } from "../agents/model/scripted-model.js";
import { createLogger } from "../platform/logger.js";
import type { AgentView } from "../shared/api.js";
import type { Event, EventOf } from "../shared/events.js";
import { listen, ShoutingAgent, startRemote, stop } from "./support/a2a-remote.js";
import { startPlatform, turnFinished, type Platform } from "./support/harness.js";

const CARD_DESCRIPTION = "Repeats any request back in capital letters, for shouting tests.";
const REMOTE_SECRET = "Bearer remote-secret-0123";
/** The Authorization header of every request the remotes got. */
const authorizations: (string | undefined)[] = [];

let remote: ShoutingAgent;
const remoteServer = createServer();
let cardUrl: string;
let catalogDir: string;
let platform: Platform;

beforeAll(async () => {
  remote = new ShoutingAgent();
  cardUrl = await startRemote(remote, remoteServer, { streaming: true, description: CARD_DESCRIPTION, onRequest: (header) => authorizations.push(header) });

  // A port nothing listens on: the card of an agent that is down.
  const closed = createServer();
  const downUrl = `${await listen(closed)}/.well-known/agent-card.json`;
  await new Promise((resolve) => closed.close(resolve));

  catalogDir = await mkdtemp(path.join(tmpdir(), "sb-a2a-"));
  await writeFile(path.join(catalogDir, "shouter.yaml"), `kind: a2a-agent\nname: shouter\ncard: ${cardUrl}\nheaders:\n  Authorization: ${REMOTE_SECRET}\n`);
  await writeFile(path.join(catalogDir, "martian.yaml"), `kind: a2a-agent\nname: martian\ncard: ${downUrl}\ndescription: Reports the weather on Mars from the rover.\ntimeoutMs: 5000\n`);

  // The manager hands each request to the agent it names, then relays what came back.
  const model = scriptedModel((request) => {
    const last = request.messages.at(-1);
    if (last?.role === "tool") {
      const results = JSON.parse(String(last.content)) as { agent: string; status: string; result: string }[];
      return results.map((result) => `${result.agent} ${result.status}: ${result.result}`).join("\n");
    }
    const asked = String(last?.content ?? "");
    if (asked.includes("transfer")) return { toolCalls: [{ name: "transfer", arguments: { agent: "shouter", reason: "it takes over" } }] };
    const agent = asked.includes("Mars") ? "martian" : "shouter";
    return { toolCalls: [{ name: "delegate", arguments: { tasks: [{ agent, task: asked, reason: "it does this" }] } }] };
  });
  platform = await startPlatform({ catalogDir, model: model.client });
});

afterAll(async () => {
  await platform?.close();
  await stop(remoteServer);
  await rm(catalogDir, { recursive: true, force: true });
});

async function ask(message: string): Promise<{ id: string; events: Event[] }> {
  const id = await platform.api.createConversation();
  await platform.api.send(id, message);
  return { id, events: await platform.api.waitFor(id, turnFinished) };
}

const ofType = <T extends Event["type"]>(events: Event[], type: T, agent?: string) =>
  events.filter((event): event is EventOf<T> => event.type === type && (agent === undefined || event.agent === agent));

describe("a remote A2A agent in the team", () => {
  it("joins the team from its catalog file, described by its card, its headers kept out of the API", async () => {
    const response = await platform.api.request("GET", "/api/agents");
    const agents = (response.body as { agents: AgentView[] }).agents;
    const shouter = agents.find((agent) => agent.name === "shouter");
    expect(shouter).toMatchObject({ description: CARD_DESCRIPTION, remote: { kind: "a2a", card: cardUrl }, source: "catalog", enabled: true });
    // The unreachable one joined too (the start did not stop), with its file's description.
    expect(agents.find((agent) => agent.name === "martian")).toMatchObject({ description: "Reports the weather on Mars from the rover.", remote: { kind: "a2a" } });
    expect(JSON.stringify(response.body)).not.toContain("remote-secret");

    // Only catalog files add one: the API refuses the link, even from the admin.
    const added = await platform.api.request("POST", "/api/agents", {
      name: "sneaky",
      description: "Pretends to be a remote agent added at run time.",
      instructions: "Answer.",
      remote: { kind: "a2a", card: cardUrl },
    });
    expect(added.status).toBe(400);
    expect(JSON.stringify(added.body)).toMatch(/remote/);

    // A change through the API (here, its description) keeps the link its file set.
    const changed = await platform.api.request("PUT", "/api/agents/shouter", { description: "Shouts every request back, in capitals.", instructions: shouter?.instructions });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ description: "Shouts every request back, in capitals.", remote: { kind: "a2a", card: cardUrl }, source: "api" });
  });

  it("is refused at start when its file is broken, with the file, the field and the reason", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "sb-a2a-bad-"));
    try {
      await writeFile(path.join(dir, "bad.yaml"), "kind: a2a-agent\nname: bad\ncard: ftp://example.com/card.json\ninstructions: not here\n");
      const { entries, problems } = await readCatalog(dir);
      expect(entries).toEqual([]);
      expect(problems).toEqual([expect.stringMatching(/bad\.yaml: card: /), expect.stringMatching(/bad\.yaml: \(file\): .*instructions/)]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("is handed a task by the manager, and its answer reaches the user", async () => {
    const { events } = await ask("What is the capital of France?");
    expect(remote.received.at(-1)).toBe("What is the capital of France?");
    expect(authorizations.at(-1)).toBe(REMOTE_SECRET);
    expect(ofType(events, "handoff")[0]?.data).toMatchObject({ from: "manager", to: "shouter", mode: "delegate" });
    expect(ofType(events, "run.started", "shouter")[0]?.data.model).toBe(`a2a ${cardUrl}`);
    expect(ofType(events, "handoff.return")[0]?.data).toMatchObject({ from: "shouter", status: "completed", result: "WHAT IS THE CAPITAL OF FRANCE?" });
    expect(ofType(events, "message.agent", "shouter")[0]?.data.text).toBe("WHAT IS THE CAPITAL OF FRANCE?");
    expect(ofType(events, "message.agent", "manager").at(-1)?.data.text).toBe("shouter completed: WHAT IS THE CAPITAL OF FRANCE?");
  });

  it("takes over a conversation by transfer, sent the conversation before the message, and answers the user itself", async () => {
    const { id } = await ask("What is the capital of France?");
    const after = (await platform.api.events(id)).at(-1)?.id ?? "0";
    await platform.api.send(id, "Please transfer me to the shouter");
    const events = await platform.api.waitFor(id, turnFinished, { after });
    const sent = remote.received.at(-1) ?? "";
    expect(sent).toMatch(/^Please transfer me to the shouter\nThe conversation so far, for context:\nuser: What is the capital of France\?\n/);
    expect(sent).toContain("\nassistant: shouter completed: WHAT IS THE CAPITAL OF FRANCE?");
    expect(ofType(events, "run.completed", "manager")[0]?.data.outcome).toBe("transferred");
    expect(ofType(events, "message.agent", "shouter")[0]?.data.text).toBe("PLEASE TRANSFER ME TO THE SHOUTER");
  });

  it("that is down fails the handoff with a reason the manager reads, and the turn still ends with an answer", async () => {
    const { events } = await ask("What is the weather on Mars today?");
    const failed = ofType(events, "run.failed", "martian")[0];
    expect(failed?.data.code).toBe("remote_agent");
    expect(failed?.data.reason).toMatch(/Could not reach the remote agent martian .*Check that it is running/);
    expect(ofType(events, "handoff.return")[0]?.data).toMatchObject({ from: "martian", status: "failed" });
    const answer = ofType(events, "message.agent", "manager").at(-1)?.data.text ?? "";
    expect(answer).toMatch(/^martian failed: Could not reach the remote agent martian/);
    expect(ofType(events, "run.completed", "manager")).toHaveLength(1);
  });

  it("has its remote task cancelled when the turn is stopped", async () => {
    const hang = remote.nextHang();
    const id = await platform.api.createConversation();
    await platform.api.send(id, "Please hang on this one");
    const taskId = await hang;
    const stop = await platform.api.request("POST", `/api/conversations/${id}/stop`, {});
    expect(stop.status).toBe(202);
    const events = await platform.api.waitFor(id, turnFinished);
    expect(remote.cancelled).toContain(taskId);
    expect(ofType(events, "run.cancelled", "shouter")).toHaveLength(1);
    expect(ofType(events, "message.agent", "shouter")).toHaveLength(0);
  });
});

describe("a remote agent that does not stream", () => {
  const plain = new ShoutingAgent();
  const server = createServer();
  let card: string;
  beforeAll(async () => {
    card = await startRemote(plain, server, { streaming: false, description: CARD_DESCRIPTION, onRequest: (header) => authorizations.push(header) });
  });
  afterAll(() => stop(server));

  const turn = (task: string) => ({
    agent: "plain",
    runId: `plain-${task.length}`,
    contextId: "plain-conversation",
    task,
    context: "",
    taskId: undefined,
    signal: new AbortController().signal,
    onTask: async () => undefined,
    onText: () => undefined,
  });

  it("answers through message/send", async () => {
    const a2a = new A2aAgents(createLogger("silent"));
    expect(await a2a.answer({ kind: "a2a", card, headers: {} }, turn("quietly please"))).toBe("QUIETLY PLEASE");
  });

  it("that fails its task ends the run with the remote's reason", async () => {
    const a2a = new A2aAgents(createLogger("silent"));
    await expect(a2a.answer({ kind: "a2a", card, headers: {} }, turn("fail now"))).rejects.toMatchObject({
      code: "remote_agent",
      message: "The remote agent plain failed the task: No shouting today.",
    });
  });
});

describe("a remote agent's run tried again", () => {
  it("asks about the task it created instead of sending the message twice", async () => {
    const a2a = new A2aAgents(createLogger("silent"));
    const link = { kind: "a2a" as const, card: cardUrl, headers: {} };
    const tasks: string[] = [];
    const turn = {
      agent: "shouter",
      runId: "retried-run",
      contextId: "retried-conversation",
      task: "once only",
      context: "",
      taskId: undefined,
      signal: new AbortController().signal,
      onTask: async (taskId: string) => void tasks.push(taskId),
      onText: () => undefined,
    };
    expect(await a2a.answer(link, turn)).toBe("ONCE ONLY");
    const sent = remote.received.length;
    expect(tasks).toHaveLength(1);
    // The next attempt finds the task id in the run's checkpoint.
    expect(await a2a.answer(link, { ...turn, taskId: tasks[0] })).toBe("ONCE ONLY");
    expect(remote.received).toHaveLength(sent);
  });
});
