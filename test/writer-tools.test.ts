import { describe, expect, it } from "vitest";
import { ToolError } from "../agents/errors.js";
import { rewriteTextTool, summarizeTextTool, textStatsTool } from "../agents/tools/writer-tools.js";
import { createLogger } from "../platform/logger.js";

const context = { conversationId: "c", runId: "r", agent: "a", idempotencyKey: "r:1", log: createLogger("silent") };

const ARTICLE = [
  "Agents hand work to other agents through Redis queues.",
  "The weather was pleasant yesterday.",
  "Each agent runs its turns from a queue, and queues keep agents independent.",
  "Lunch was served at noon.",
  "A delegating agent waits for the other agents and reads their results.",
].join(" ");

describe("summarize_text", () => {
  it("keeps the requested number of sentences, on topic, in their original order", async () => {
    const result = await summarizeTextTool.execute(summarizeTextTool.parameters.parse({ text: ARTICLE, sentences: 2 }), context);
    expect(result.sentences).toHaveLength(2);
    const positions = result.sentences.map((sentence) => ARTICLE.indexOf(sentence));
    expect(positions.every((position) => position >= 0)).toBe(true);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(result.summary).not.toMatch(/weather|Lunch/);
    expect(result.answer).toBe(`Summary (2 of 5 sentences): ${result.summary}`);
  });

  it("defaults to three sentences and returns all of a shorter text", async () => {
    const three = await summarizeTextTool.execute(summarizeTextTool.parameters.parse({ text: ARTICLE }), context);
    expect(three.sentences).toHaveLength(3);
    const short = await summarizeTextTool.execute({ text: "Only one sentence here.", sentences: 3 }, context);
    expect(short.summary).toBe("Only one sentence here.");
  });

  it("refuses a sentence count outside 1–10", () => {
    expect(summarizeTextTool.parameters.safeParse({ text: ARTICLE, sentences: 11 }).success).toBe(false);
    expect(summarizeTextTool.parameters.safeParse({ text: ARTICLE, sentences: 0 }).success).toBe(false);
  });
});

describe("rewrite_text", () => {
  it("turns every sentence into a bullet by default", async () => {
    const result = await rewriteTextTool.execute(
      rewriteTextTool.parameters.parse({ text: "Redis holds the state. Workers are stateless! Is it fast?" }),
      context,
    );
    expect(result.text).toBe("- Redis holds the state.\n- Workers are stateless!\n- Is it fast?");
    expect(result.answer).toBe(`Rewritten as bullet points:\n${result.text}`);
  });

  it("makes text formal: contractions expanded, sentences capitalized and closed", async () => {
    const result = await rewriteTextTool.execute({ text: "don't panic. it's durable and we can't lose events", style: "formal" }, context);
    expect(result.text).toBe("Do not panic. It is durable and we cannot lose events.");
  });

  it("makes text shorter by dropping filler and minor sentences", async () => {
    const text = `It basically just works really well. ${ARTICLE}`;
    const result = await rewriteTextTool.execute({ text, style: "shorter" }, context);
    expect(result.text).not.toMatch(/basically|really|weather|Lunch/);
    expect(result.text).toContain("Agents hand work to other agents through Redis queues.");
    // Six sentences in, the best three out.
    expect(result.text.match(/[.!?](\s|$)/g)).toHaveLength(3);
  });

  it("puts text in title case with small words in lower case", async () => {
    const result = await rewriteTextTool.execute({ text: "the lord of the rings: a tale of an agent and its tools", style: "title" }, context);
    expect(result.text).toBe("The Lord of the Rings: A Tale of an Agent and Its Tools");
  });

  it("refuses an unknown style", () => {
    expect(rewriteTextTool.parameters.safeParse({ text: "Hi.", style: "poem" }).success).toBe(false);
  });
});

describe("text_stats", () => {
  it("counts words and sentences and estimates reading time at 200 words a minute", async () => {
    const text = `${"word ".repeat(399)}end. Second sentence here.`;
    const result = await textStatsTool.execute({ text }, context);
    expect(result).toMatchObject({ words: 403, sentences: 2, readingMinutes: 3 });
    expect(result.answer).toBe("403 words, 2 sentences, about 3 minutes to read (at 200 words a minute).");
  });
});

describe("empty text", () => {
  it.each([
    ["summarize_text", () => summarizeTextTool.execute({ text: "  ", sentences: 3 }, context)],
    ["rewrite_text", () => rewriteTextTool.execute({ text: "", style: "bullets" }, context)],
    ["text_stats", () => textStatsTool.execute({ text: "\n" }, context)],
  ])("is refused by %s with a ToolError", (_name, call) => {
    expect(call).toThrow(ToolError);
    expect(call).toThrow(/There is no text to/);
  });
});
