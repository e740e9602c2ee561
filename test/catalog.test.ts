import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startAgents } from "../agents/agents-process.js";
import { readCatalog } from "../agents/catalog.js";
import { ConfigurationError } from "../agents/errors.js";
import { builtInAgents } from "../agents/team/built-in-team.js";
import { createLogger } from "../platform/logger.js";
import type { Event, EventOf } from "../shared/events.js";
import { startPlatform, testConfig, turnFinished, type Platform } from "./support/harness.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

function folderWith(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), "switchboard-catalog-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

describe("catalog files", () => {
  it("reads YAML and JSON agents and reports every broken file with its field", async () => {
    const dir = folderWith({
      "good.yaml": "name: greeter\ndescription: Greets people warmly by name.\ninstructions: Greet.\n",
      "good.json": JSON.stringify({ name: "counter", description: "Counts words in a text.", instructions: "Count.", tools: ["text_stats"] }),
      "broken.yaml": "name: [unclosed\n",
      "wrong.yml": "name: Wrong Name\ndescription: short\ninstructions: ''\ncolour: blue\n",
      "notes.txt": "not an agent",
    });
    const { entries, problems } = await readCatalog(dir);
    expect(entries.map((e) => e.spec.name).sort()).toEqual(["counter", "greeter"]);
    expect(problems.some((p) => p.includes("broken.yaml: not valid YAML"))).toBe(true);
    const wrong = problems.filter((p) => p.includes("wrong.yml"));
    expect(wrong.some((p) => /wrong\.yml: name: .*lowercase/.test(p))).toBe(true);
    expect(wrong.some((p) => /wrong\.yml: description: say in at least 10 characters/.test(p))).toBe(true);
    expect(wrong.some((p) => /wrong\.yml: instructions: instructions must not be empty/.test(p))).toBe(true);
    expect(wrong.some((p) => /Unrecognized key.*colour/.test(p))).toBe(true);
  });

  it("refuses to start with a broken file, naming the file, the field and what is wrong", async () => {
    const dir = folderWith({ "scout.yaml": "name: scout\ndescription: Scouts ahead for trouble.\ninstructions: Scout.\ntools: [teleport]\nhandoffs: [ghost]\n" });
    const start = startAgents({ config: testConfig(), redis: inject("redisUrl"), log: createLogger("silent"), agents: await builtInAgents(), catalogDir: dir });
    await expect(start).rejects.toThrow(ConfigurationError);
    await expect(start).rejects.toThrow(/scout\.yaml: tools\.0: no tool named "teleport"/);
    await expect(start).rejects.toThrow(/scout\.yaml: handoffs\.0: no agent named "ghost"/);
  });
});

describe("the shipped catalog and specialists folders", () => {
  let platform: Platform;
  beforeAll(async () => {
    platform = await startPlatform({ catalogDir: path.join(ROOT, "catalog"), specialistsDir: path.join(ROOT, "specialists") });
  });
  afterAll(async () => platform.close());

  async function ask(text: string): Promise<Event[]> {
    const conversationId = await platform.api.createConversation();
    await platform.api.send(conversationId, text);
    return platform.api.waitFor(conversationId, turnFinished);
  }
  const answerOf = (events: Event[], agent: string) =>
    events.find((e): e is EventOf<"message.agent"> => e.type === "message.agent" && e.agent === agent)?.data.text;

  it("puts the catalog agent in the team and routes to it", async () => {
    const { body } = await platform.api.request("GET", "/api/agents/proofreader");
    expect(body).toMatchObject({ source: "catalog", origin: "catalog/proofreader.yaml", tools: ["rewrite_text", "text_stats"] });
    const events = await ask("Please proofread this passage: i cant beleive its already friday");
    expect(answerOf(events, "proofreader")).toBeTruthy();
  });

  it("runs the TypeScript specialist from the README", async () => {
    const events = await ask("How many days are there between 2026-01-01 and 2026-03-01?");
    expect(events.find((e): e is EventOf<"handoff"> => e.type === "handoff")?.data.to).toBe("timekeeper");
    expect(answerOf(events, "timekeeper")).toContain("59 days");
    expect(answerOf(events, "timekeeper")).toContain("Thursday");
  });

  it("is the same code the README shows", () => {
    const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
    const shown = /### In TypeScript[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(shown).toBe(readFileSync(path.join(ROOT, "specialists", "timekeeper.ts"), "utf8"));
  });
});
