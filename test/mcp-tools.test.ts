import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import OpenAI from "openai";
import type { ChatCompletionCreateParams, ChatCompletionTool } from "openai/resources/chat/completions";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { defineAgent } from "../agents/define-agent.js";
import { createOfflineFetch } from "../agents/model/offline/offline-fetch.js";
import { scriptedModel, type ScriptedReply } from "../agents/model/scripted-model.js";
import type { Event } from "../shared/events.js";
import type { McpServerView } from "../shared/mcp.js";
import { E2E_TEST_TIMEOUT_MS, ensureClientForTests, launchBrowser, openApp } from "./support/browser.js";
import { ApiClient, reportIfStillWaiting, startPlatform, turnFinished, type Platform } from "./support/harness.js";
import { ended, runEnded, startRun } from "./support/workflow-client.js";

// The protocol's reference server over stdio, declared in a catalog file; a small streamable-HTTP
// server made here with the same SDK, added at run time. The model is scripted by the user's words.
const ALICE = "alice-token-0123456789";
const everything = fileURLToPath(new URL("../node_modules/@modelcontextprotocol/server-everything/dist/index.js", import.meta.url));

let platform: Platform;
let catalogDir: string;
let http: Server;
let httpUrl: string;
const shouts: string[] = [];

const lastUser = (request: ChatCompletionCreateParams) =>
  String([...request.messages].reverse().find((message) => message.role === "user")?.content ?? "");
const offered = (request: ChatCompletionCreateParams) => (request.tools ?? []).flatMap((tool) => (tool.type === "function" ? [tool.function.name] : []));

const model = scriptedModel((request): ScriptedReply => {
  const last = request.messages.at(-1);
  // After a tool's result, the model answers with what it read.
  if (last?.role === "tool") return `Tools said: ${request.messages.filter((m) => m.role === "tool").map((m) => String(m.content)).join(" | ")}`;
  const text = lastUser(request);
  if (text.startsWith("echo and sum")) {
    return { toolCalls: [{ name: "everything_echo", arguments: { message: "hello world" } }, { name: "everything_get_sum", arguments: { a: 2, b: 3 } }] };
  }
  if (text.startsWith("long")) return { toolCalls: [{ name: "everything_trigger_long_running_operation", arguments: { duration: 120, steps: 120 } }] };
  if (text.startsWith("slow")) return { toolCalls: [{ name: "slow_trigger_long_running_operation", arguments: { duration: 5, steps: 5 } }] };
  if (text.startsWith("bad")) return { toolCalls: [{ name: "everything_get_sum", arguments: { a: "two", b: 3 } }] };
  if (text.startsWith("which tools")) return `I have: ${offered(request).filter((name) => name.startsWith("everything_")).sort().join(", ")}`;
  if (text.startsWith("shout")) return { toolCalls: [{ name: "remote_shout", arguments: { text: "quiet words" } }] };
  return "Nothing to do.";
});

beforeAll(async () => {
  catalogDir = await mkdtemp(path.join(tmpdir(), "sb-mcp-"));
  await writeFile(
    path.join(catalogDir, "everything.yaml"),
    `kind: mcp-server\nname: everything\ncommand: ${JSON.stringify(process.execPath)}\nargs: [${JSON.stringify(everything)}, stdio]\n`,
  );
  // The same server again, with a short timeout per call.
  await writeFile(
    path.join(catalogDir, "slow.yaml"),
    `kind: mcp-server\nname: slow\ncommand: ${JSON.stringify(process.execPath)}\nargs: [${JSON.stringify(everything)}, stdio]\ntimeoutMs: 300\n`,
  );
  const toolsmith = {
    name: "toolsmith",
    description: "Echoes text and adds numbers with the reference MCP server.",
    instructions: "Use your tools.",
    tools: ["everything_echo", "everything_get_sum", "everything_trigger_long_running_operation", "slow_trigger_long_running_operation"],
  };
  await writeFile(path.join(catalogDir, "toolsmith.json"), JSON.stringify(toolsmith));
  await writeFile(
    path.join(catalogDir, "allrounder.json"),
    JSON.stringify({ name: "allrounder", description: "Uses every tool the reference MCP server offers.", instructions: "Use them.", tools: ["everything_*"] }),
  );
  // Workflows whose tool steps call the reference server: one with good arguments, one with a word where the schema wants a number.
  const addUp = (name: string, b: string) =>
    [
      "kind: workflow",
      `name: ${name}`,
      "description: Adds two numbers with the reference MCP server's get-sum tool.",
      "input: { type: object, properties: { a: { type: number }, b: { type: number } }, required: [a] }",
      "steps:",
      "  - tool: sum",
      "    use: everything_get_sum",
      `    args: { a: "{{a}}", b: ${b} }`,
    ].join("\n");
  await writeFile(path.join(catalogDir, "add-up.yaml"), addUp("add-up", '"{{b}}"'));
  await writeFile(path.join(catalogDir, "add-words.yaml"), addUp("add-words", "three"));
  http = await startShoutServer();
  httpUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`;
  // The page is served only when it is built before the server starts (the panel's test below).
  await ensureClientForTests();
  const manager = defineAgent({ name: "manager", description: "Routes every request to the team.", instructions: "Route.", handoffs: ["*"] });
  platform = await startPlatform({ team: [manager], catalogDir, model: model.client, env: { SWITCHBOARD_USERS: `alice:${ALICE}` } });
}, E2E_TEST_TIMEOUT_MS);

afterAll(async () => {
  await platform?.close();
  await new Promise((resolve) => http?.close(resolve));
  await rm(catalogDir, { recursive: true, force: true });
});

/** A conversation with one agent: sends `text` and returns the turn's events. */
async function ask(agent: string, text: string, onEvent?: (events: Event[]) => void): Promise<Event[]> {
  const created = await platform.api.request("POST", "/api/conversations", { agent });
  const id = created.body.id as string;
  await platform.api.send(id, text);
  return platform.api.waitFor(id, (events) => {
    onEvent?.(events);
    return turnFinished(events);
  }, { what: `${agent}'s answer to "${text}"` });
}

const results = (events: Event[]) => events.flatMap((event) => (event.type === "tool.result" ? [event.data] : []));
const answer = (events: Event[]) => events.flatMap((event) => (event.type === "message.agent" ? [event.data.text] : [])).join("\n");

async function servers(): Promise<McpServerView[]> {
  return (await platform.api.request("GET", "/api/mcp-servers")).body.servers as McpServerView[];
}

/** Polls `GET /api/mcp-servers` until `done` holds for the server (its state changes come from another process's report). */
async function serverWhen(name: string, done: (server: McpServerView) => boolean, what: string): Promise<McpServerView> {
  let seen: McpServerView | undefined;
  const over = reportIfStillWaiting(what, () => `last seen: ${JSON.stringify(seen)}`);
  try {
    for (;;) {
      seen = (await servers()).find((server) => server.name === name);
      if (seen && done(seen)) return seen;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    over();
  }
}

describe("MCP servers as tools for specialists", () => {
  it("lists the reference server's tools as <server>_<tool>, with descriptions and JSON Schemas", async () => {
    const tools = (await platform.api.request("GET", "/api/tools")).body.tools as { name: string; description: string; parameters: Record<string, unknown> }[];
    const sum = tools.find((tool) => tool.name === "everything_get_sum");
    expect(sum?.description).toBe("Returns the sum of two numbers");
    expect(sum?.parameters).toMatchObject({ type: "object", properties: { a: { type: "number" }, b: { type: "number" } }, required: ["a", "b"] });
    expect(tools.map((tool) => tool.name)).toContain("everything_echo");
    const [server] = (await servers()).filter((s) => s.name === "everything");
    expect(server).toMatchObject({ transport: "stdio", source: "catalog", state: "connected" });
    expect(server?.tools).toContainEqual({ name: "everything_get_sum", tool: "get-sum", description: "Returns the sum of two numbers" });
  });

  it("lets a workflow's tool step call get-sum, its arguments checked against the server's schema before it is sent", async () => {
    const good = await startRun(platform.api, "add-up", { a: 2, b: 3 });
    const done = ended(await platform.api.waitFor(good.conversationId, runEnded(good.runId), { what: "the add-up run" }), good.runId);
    expect(done.type).toBe("workflow.completed");
    expect(done.type === "workflow.completed" && done.data.output).toBe("The sum of 2 and 3 is 5.");

    const bad = await startRun(platform.api, "add-words", { a: 2 });
    const refused = ended(await platform.api.waitFor(bad.conversationId, runEnded(bad.runId), { what: "the add-words run" }), bad.runId);
    expect(refused.type).toBe("workflow.failed");
    expect(refused.type === "workflow.failed" && refused.data.reason).toMatch(/invalid arguments for everything_get_sum: arguments\/b must be number/);
  });

  it("lets an agent use echo and get-sum in a conversation", async () => {
    const events = await ask("toolsmith", "echo and sum, please");
    expect(results(events)).toMatchObject([
      { tool: "everything_echo", ok: true, result: "Echo: hello world" },
      { tool: "everything_get_sum", ok: true, result: "The sum of 2 and 3 is 5." },
    ]);
    expect(answer(events)).toContain("The sum of 2 and 3 is 5.");
  });

  it("refuses a call whose arguments do not match the server's schema before sending it", async () => {
    const events = await ask("toolsmith", "bad arguments");
    const [refused] = results(events);
    expect(refused).toMatchObject({ tool: "everything_get_sum", ok: false });
    // Our validator's words (ajv, against the listed schema), not the server's reply to a bad call.
    expect(refused?.ok === false ? refused.error : "").toMatch(/^Invalid arguments for everything_get_sum: arguments\/a must be number/);
    expect(events.at(-1)?.type).toBe("run.completed");
  });

  it("turns a call that outlasts the server's timeout into a failed tool result", async () => {
    const events = await ask("toolsmith", "slow operation");
    const [timedOut] = results(events);
    expect(timedOut).toMatchObject({ tool: "slow_trigger_long_running_operation", ok: false });
    expect(timedOut?.ok === false ? timedOut.error : "").toMatch(/MCP server slow: trigger-long-running-operation failed: .*timed out/i);
    expect(events.at(-1)?.type).toBe("run.completed");
  });

  it("expands <server>_* to every tool the server offers when the run starts", async () => {
    const events = await ask("allrounder", "which tools do you have?");
    const text = answer(events);
    for (const tool of ["everything_echo", "everything_get_sum", "everything_get_tiny_image"]) expect(text).toContain(tool);
  });

  it("turns a server killed mid-call into a failed tool result, and reconnects", async () => {
    const before = await serverWhen("everything", (server) => server.state === "connected", "the reference server to be connected");
    const pid = platform.agents?.mcp.pid("everything");
    expect(pid).toBeGreaterThan(0);
    let killed = false;
    const events = await ask("toolsmith", "long operation", (seen) => {
      if (!killed && seen.some((event) => event.type === "tool.call")) {
        killed = true;
        process.kill(pid as number, "SIGKILL");
      }
    });
    const [failed] = results(events);
    expect(failed).toMatchObject({ tool: "everything_trigger_long_running_operation", ok: false });
    expect(failed?.ok === false ? failed.error : "").toMatch(/MCP server everything: trigger-long-running-operation failed: .*closed/i);
    expect(events.at(-1)?.type).toBe("run.completed");

    const after = await serverWhen("everything", (server) => server.state === "connected" && server.connections > before.connections, "the reference server to be reconnected");
    expect(after.lastError?.message).toMatch(/closed/);
    expect(platform.agents?.mcp.pid("everything")).not.toBe(pid);
    // And the agent uses it again.
    expect(results(await ask("toolsmith", "echo and sum again"))).toMatchObject([{ ok: true }, { ok: true }]);
  });

  it("adds a streamable-HTTP server at run time (admin only), whose tools an agent is then given and uses", async () => {
    const alice = new ApiClient(platform.server.url, ALICE);
    const server = { name: "remote", url: httpUrl, headers: { Authorization: "Bearer shout-secret" } };
    expect((await alice.request("POST", "/api/mcp-servers", server)).status).toBe(403);
    const stdio = await platform.api.request("POST", "/api/mcp-servers", { name: "shell", command: "sh", args: ["-c", "id"] });
    expect(stdio).toMatchObject({ status: 400, body: { error: { code: "invalid_mcp_server" } } });
    for (const bad of [{ ...server, url: "file:///etc/passwd" }, { ...server, name: "Not_A_Name" }]) {
      expect((await platform.api.request("POST", "/api/mcp-servers", bad)).status).toBe(400);
    }
    const clash = await platform.api.request("POST", "/api/mcp-servers", { ...server, name: "everything" });
    expect(clash).toMatchObject({ status: 409, body: { error: { code: "mcp_server_exists" } } });

    const added = await platform.api.request("POST", "/api/mcp-servers", server);
    expect(added).toMatchObject({ status: 201, body: { name: "remote", transport: "http", source: "api", headers: ["Authorization"], addedBy: "local" } });
    const connected = await serverWhen("remote", (view) => view.state === "connected", "the HTTP server to connect");
    expect(connected.tools).toEqual([{ name: "remote_shout", tool: "shout", description: "Says the text in capitals." }]);
    // Header values stay in Redis: no listing shows them.
    for (const client of [platform.api, alice]) expect(JSON.stringify((await client.request("GET", "/api/mcp-servers")).body)).not.toContain("shout-secret");

    const agent = { name: "shouter", description: "Shouts text through a remote MCP server.", instructions: "Shout.", tools: ["remote_*"] };
    expect((await platform.api.request("POST", "/api/agents", agent)).status).toBe(201);
    const events = await ask("shouter", "shout something");
    expect(results(events)).toMatchObject([{ tool: "remote_shout", ok: true, result: "QUIET WORDS" }]);
    expect(shouts).toEqual(["Bearer shout-secret"]);

    expect((await alice.request("DELETE", "/api/mcp-servers/remote")).status).toBe(403);
    expect((await platform.api.request("DELETE", "/api/mcp-servers/everything")).status).toBe(403);
    expect((await platform.api.request("DELETE", "/api/mcp-servers/remote")).status).toBe(204);
    expect((await servers()).map((view) => view.name)).toEqual(["everything", "slow"]);
  });

  it("has the offline model fill echo's and get-sum's arguments from the request by their JSON Schemas", async () => {
    const listed = (await platform.api.request("GET", "/api/tools")).body.tools as { name: string; description: string; parameters: Record<string, unknown> }[];
    const tools: ChatCompletionTool[] = listed
      .filter((tool) => tool.name === "everything_echo" || tool.name === "everything_get_sum")
      .map((tool) => ({ type: "function", function: tool }));
    const offline = new OpenAI({ apiKey: "offline", baseURL: "http://offline.switchboard/v1", fetch: createOfflineFetch({ delayMs: 0 }), maxRetries: 0 });
    const call = async (text: string) => {
      const completion = await offline.chat.completions.create({
        model: "offline",
        messages: [{ role: "system", content: "Use your tools." }, { role: "user", content: text }],
        tools,
      });
      const [first] = completion.choices[0]?.message.tool_calls ?? [];
      return first?.type === "function" ? { name: first.function.name, args: JSON.parse(first.function.arguments) as unknown } : undefined;
    };
    expect(await call("echo hello world")).toEqual({ name: "everything_echo", args: { message: "hello world" } });
    expect(await call("what is the sum of 2 and 3")).toEqual({ name: "everything_get_sum", args: { a: 2, b: 3 } });
  });

  it("refuses <server>_* for a server no one knows", async () => {
    const agent = { name: "ghostly", description: "Uses a server that is not there.", instructions: "Try.", tools: ["ghost_*"] };
    const refused = await platform.api.request("POST", "/api/agents", agent);
    expect(refused).toMatchObject({ status: 400, body: { error: { code: "invalid_agent", message: expect.stringContaining('no MCP server named "ghost"') } } });
  });
});

describe("the agents panel's MCP servers", () => {
  let browser: Browser | undefined;
  afterAll(async () => {
    await browser?.close();
  });

  it("lists each server with its state and tools, and lets the admin add an HTTP one", { timeout: E2E_TEST_TIMEOUT_MS }, async () => {
    browser = await launchBrowser();
    const { page, errors } = await openApp(browser, platform.server.url);
    await page.getByTestId("agents-panel-toggle").click();
    const row = (name: string) => page.locator(`[data-testid="mcp-server"][data-server="${name}"]`);
    await row("everything").and(page.locator('[data-state="connected"]')).waitFor();
    expect(await row("everything").getByTestId("mcp-server-tools").innerText()).toContain("everything_get_sum");

    const form = page.getByTestId("add-mcp-server");
    await form.getByLabel("Name", { exact: true }).fill("web");
    await form.getByLabel("URL", { exact: true }).fill(httpUrl);
    await form.getByLabel(/Headers/).fill("Authorization: Bearer web-secret");
    await form.getByRole("button", { name: "Add MCP server" }).click();
    // The list is read again every few seconds: the new server shows, then its connection.
    await row("web").and(page.locator('[data-state="connected"]')).waitFor();
    expect(await row("web").getByTestId("mcp-server-tools").innerText()).toContain("web_shout");
    expect(await page.getByTestId("mcp-servers").innerText()).not.toContain("web-secret");

    // The agent form offers each server's tools one by one and all at once (`<server>_*`).
    await page.getByTestId("add-agent").click();
    const agentForm = page.getByTestId("agent-form");
    const tools = agentForm.getByRole("group", { name: "Tools" });
    await tools.getByRole("checkbox", { name: "web_*" }).waitFor();
    expect(await tools.getByRole("checkbox", { name: "everything_*" }).count()).toBe(1);
    expect(await tools.innerText()).toContain("Every tool of the MCP server web, as it offers them now and later.");
    await agentForm.getByLabel("Name", { exact: true }).fill("herald");
    await agentForm.getByLabel("Description").fill("Announces things loudly in capital letters for everyone.");
    await agentForm.getByLabel("Instructions").fill("Shout the announcement.");
    await tools.getByRole("checkbox", { name: "web_*" }).check();
    await page.getByTestId("save-agent").click();
    await agentForm.waitFor({ state: "detached" });
    const saved = await platform.api.request("GET", "/api/agents/herald");
    expect(saved.body).toMatchObject({ tools: ["web_*"] });
    expect(errors).toEqual([]);
  });
});

/** A streamable-HTTP MCP server with one tool, stateless, that notes the Authorization header of each call. */
async function startShoutServer(): Promise<Server> {
  const server = createServer((request, response) => {
    const mcp = new McpServer({ name: "shout", version: "1.0.0" });
    mcp.registerTool("shout", { description: "Says the text in capitals.", inputSchema: { text: z.string() } }, ({ text }) => {
      shouts.push(String(request.headers.authorization));
      return { content: [{ type: "text", text: text.toUpperCase() }] };
    });
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    response.on("close", () => void transport.close());
    void mcp.connect(transport).then(() => transport.handleRequest(request, response));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}
