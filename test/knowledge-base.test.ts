import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigurationError, ToolError } from "../agents/errors.js";
import { KnowledgeBase } from "../agents/tools/knowledge-base.js";
import { searchKnowledgeBaseTool, trimToSentences } from "../agents/tools/search-knowledge-base.js";
import { createLogger } from "../platform/logger.js";

const context = { conversationId: "c", runId: "r", agent: "a", idempotencyKey: "r:1", log: createLogger("silent") };

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), "kb-test-"));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe("knowledge base over docs/", () => {
  it("indexes every document of the repository's docs folder", async () => {
    const kb = await KnowledgeBase.load();
    expect(kb.documents).toEqual(
      expect.arrayContaining(["docs/architecture.md", "docs/handoffs.md", "docs/durability.md", "docs/agents.md", "docs/redis-layout.md"]),
    );
  });

  it("loads a folder once", async () => {
    expect(await KnowledgeBase.load()).toBe(await KnowledgeBase.load());
  });

  it("answers how delegation works from the handoffs page", async () => {
    const [best] = (await KnowledgeBase.load()).search("how does delegation work");
    expect(best?.document).toBe("docs/handoffs.md");
    expect(best?.title).toBe("Handoffs");
    expect(best?.section).toMatch(/^Handoffs › Delegate/);
    expect(best?.passage).toMatch(/delegat/i);
  });

  it("finds crash recovery on the durability page", async () => {
    const [best] = (await KnowledgeBase.load()).search("recover a crashed run");
    expect(best?.document).toBe("docs/durability.md");
    expect(best?.passage).toMatch(/lock/);
  });

  it("forgives a typo", async () => {
    const [best] = (await KnowledgeBase.load()).search("delegaton");
    expect(best?.document).toBe("docs/handoffs.md");
  });

  it("returns at most `limit` matches, best first", async () => {
    const matches = (await KnowledgeBase.load()).search("redis", 2);
    expect(matches).toHaveLength(2);
    expect(matches[0]!.score).toBeGreaterThanOrEqual(matches[1]!.score);
  });
});

describe("knowledge base over any folder", () => {
  it("splits documents by heading and keeps the heading path", async () => {
    const dir = path.join(scratch, "guide");
    await mkdir(path.join(dir, "nested"), { recursive: true });
    await writeFile(
      path.join(dir, "nested", "pets.md"),
      "# Pets\n\nAbout pets.\n\n## Cats\n\nCats purr.\n\n### Feeding\n\nCats eat fish twice a day.\n\n## Dogs\n\nDogs bark.\n",
    );
    const kb = await KnowledgeBase.load(dir);
    const [best] = kb.search("feeding fish");
    expect(best).toMatchObject({ document: "guide/nested/pets.md", title: "Pets", section: "Pets › Cats › Feeding" });
    expect(best?.passage).toBe("Cats eat fish twice a day.");
  });

  it("cuts a long section into paragraph chunks", async () => {
    const dir = path.join(scratch, "long");
    await mkdir(dir);
    const paragraphs = Array.from({ length: 6 }, (_, i) => `Paragraph ${i} ${"filler words ".repeat(25)}marker${i}.`);
    await writeFile(path.join(dir, "long.md"), `# Long\n\n## Body\n\n${paragraphs.join("\n\n")}\n`);
    const kb = await KnowledgeBase.load(dir);
    const [best] = kb.search("marker5");
    expect(best?.section).toBe("Long › Body");
    expect(best?.passage).toContain("marker5");
    expect(best?.passage).not.toContain("marker0");
  });

  it("refuses a folder without Markdown, and one that does not exist", async () => {
    const dir = path.join(scratch, "empty");
    await mkdir(dir);
    await writeFile(path.join(dir, "notes.txt"), "not markdown");
    await expect(KnowledgeBase.load(dir)).rejects.toThrow(ConfigurationError);
    await expect(KnowledgeBase.load(dir)).rejects.toThrow(/no Markdown files/);
    await expect(KnowledgeBase.load(path.join(scratch, "missing"))).rejects.toThrow(/is not a folder/);
  });
});

describe("search_knowledge_base tool", () => {
  it("quotes the best passage and cites its document and section", async () => {
    const tool = searchKnowledgeBaseTool(await KnowledgeBase.load());
    const result = await tool.execute(tool.parameters.parse({ query: "how does delegation work" }), context);
    expect(result.query).toBe("how does delegation work");
    expect(result.matches).toHaveLength(3);
    expect(result.answer).toMatch(/^According to docs\/handoffs\.md \(“Handoffs › Delegate[^”]*”\): \S/);
    expect(result.answer).not.toContain("\n");
    expect(result.answer.length).toBeLessThan(650);
  });

  it("validates its parameters", async () => {
    const tool = searchKnowledgeBaseTool(await KnowledgeBase.load());
    expect(tool.parameters.safeParse({ query: "redis", limit: 9 }).success).toBe(false);
    expect(tool.parameters.safeParse({ query: "  " }).success).toBe(false);
    expect(tool.parameters.parse({ query: "redis" }).limit).toBe(3);
  });

  it("suggests other keywords when nothing matches", async () => {
    const tool = searchKnowledgeBaseTool(await KnowledgeBase.load());
    const args = tool.parameters.parse({ query: "xylophone quuxbaz" });
    await expect(async () => tool.execute(args, context)).rejects.toThrow(ToolError);
    await expect(async () => tool.execute(args, context)).rejects.toThrow(/Try other keywords/);
  });
});

describe("trimToSentences", () => {
  it("keeps whole sentences within the limit", () => {
    expect(trimToSentences("One two. Three four. Five six.", 20)).toBe("One two. Three four.");
  });

  it("cuts a single long sentence at a word", () => {
    expect(trimToSentences("alpha beta gamma delta", 12)).toBe("alpha beta…");
  });
});
