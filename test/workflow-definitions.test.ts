import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { budget } from "../workflows/budget.js";
import { defineWorkflow } from "../workflows/define-workflow.js";
import { workflowGraph } from "../workflows/graph.js";
import { contentPipeline } from "../workflows/examples/content-pipeline.js";
import { orderTriage } from "../workflows/examples/order-triage.js";
import { approval, chain, code, llm, tool, workflow, type LoopRound } from "../workflows/step.js";
import { loadWorkflows, referenceProblems } from "../workflows/workflows-hosting.js";

const LIMITS = { maxSteps: 8, maxHandoffDepth: 4 };
const Brief = z.object({ topic: z.string() });

function folderWith(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), "switchboard-workflows-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

describe("budget: the bound before the run", () => {
  it("adds chains, takes the dearest route branch, multiplies fan-outs and loop rounds", () => {
    const Review = z.object({ score: z.number() });
    const post = defineWorkflow({ name: "post", description: "The design's example.", input: Brief })
      .step(llm("draft"))
      .loop({
        generate: llm("revise", { prompt: (round: LoopRound<string, string, z.infer<typeof Review>>) => round.input }),
        evaluate: llm("review", { prompt: (draft: string) => draft, output: Review }),
        until: (review) => review.score >= 8,
        maxRounds: 3,
      })
      .parallel({ fr: llm("translate-fr"), de: llm("translate-de") })
      .step(approval("editor"))
      .step(tool("publish"))
      .definition();
    expect(budget(post, LIMITS)).toEqual({ modelCalls: { min: 5, max: 9 }, approvals: 1, agentRuns: 0, unboundedSteps: [] });
  });

  it("states the shipped workflows' bounds", () => {
    expect(budget(contentPipeline, LIMITS)).toEqual({ modelCalls: { min: 5, max: 9 }, approvals: 1, agentRuns: 0, unboundedSteps: [] });
    // classify, then at most one agent run (its step limit at every handoff level) on one branch.
    expect(budget(orderTriage, LIMITS)).toEqual({ modelCalls: { min: 1, max: 1 + 8 * 4 }, approvals: 1, agentRuns: 1, unboundedSteps: [] });
  });

  it("counts a gate or a rejection that may stop the chain early, and sub-workflows it knows", () => {
    const inner = defineWorkflow({ name: "inner", description: "Two model calls.", input: Brief }).step(llm("a")).step(llm("b")).definition();
    const outer = defineWorkflow({ name: "outer", description: "Gated, then the inner workflow.", input: Brief })
      .step(llm("check"))
      .gate("ok", () => true)
      .step(workflow("inner"))
      .step(workflow("missing"))
      .definition();
    const known = (name: string) => (name === "inner" ? inner : undefined);
    expect(budget(outer, { ...LIMITS, workflow: known })).toEqual({ modelCalls: { min: 1, max: 3 }, approvals: 0, agentRuns: 0, unboundedSteps: ["missing"] });
  });

  it("counts declared model calls of code steps, votes and orchestrators", () => {
    const fanned = defineWorkflow({ name: "fanned", description: "Votes and orchestrates.", input: Brief })
      .vote({ step: llm("judge"), n: 3, combine: (votes: string[]) => votes[0] })
      .orchestrate({ planner: llm("plan"), worker: code("work", () => 1, { modelCalls: 2 }), maxWorkers: 4, synthesizer: llm("join") })
      .definition();
    expect(budget(fanned, LIMITS).modelCalls).toEqual({ min: 3 + 1 + 1, max: 3 + 1 + 4 * 2 + 1 });
  });
});

describe("graph: what the browser draws", () => {
  it("has a node per step, keyed by the paths the run's events carry, and the loop's way back", () => {
    const graph = workflowGraph(contentPipeline);
    const ids = graph.nodes.map((node) => node.id);
    expect(ids).toEqual(["start", "draft", "loop", "loop/revise", "loop/review", "parallel", "parallel/en/original", "parallel/fr/translate-fr", "parallel/de/translate-de", "editor", "publish_post", "end"]);
    expect(graph.nodes.find((node) => node.id === "loop/review")?.parent).toBe("loop");
    expect(graph.edges).toContainEqual({ from: "loop/review", to: "loop/revise", label: "until it passes", back: true });
    expect(graph.edges).toContainEqual({ from: "parallel", to: "parallel/fr/translate-fr", label: "fr" });
    expect(graph.edges.filter((edge) => edge.to === "editor").map((edge) => edge.from).sort()).toEqual(["parallel/de/translate-de", "parallel/en/original", "parallel/fr/translate-fr"]);
  });

  it("draws a route's branches with their names", () => {
    const graph = workflowGraph(orderTriage);
    expect(graph.edges.filter((edge) => edge.from === "route").map((edge) => edge.label)).toEqual(["damaged", "wrong_item", "late"]);
    expect(graph.nodes.find((node) => node.id === "route/wrong_item/writer")).toMatchObject({ kind: "agent", parent: "route", detail: "agent writer" });
  });
});

describe("validation: a broken definition stops the start with the reason", () => {
  it("refuses maxima out of range, duplicate names and empty branches", () => {
    const base = defineWorkflow({ name: "broken", description: "Broken on purpose.", input: Brief });
    expect(() => base.loop({ generate: llm("g"), evaluate: llm("e"), until: () => true, maxRounds: 0 } as never).definition()).toThrow(/loop: maxRounds must be a whole number from 1 to 20/);
    expect(() => base.step(llm("same")).step(llm("same")).definition()).toThrow(/two steps are named "same"/);
    expect(() => base.step(llm("Bad Name")).definition()).toThrow(/step name "Bad Name"/);
    expect(() => defineWorkflow({ name: "x", description: "d", input: Brief }).step(llm("a")).definition()).toThrow(/name: 2–48 characters/);
  });

  it("names unknown agents, tools and workflows, and a workflow that calls itself", () => {
    const selfish = defineWorkflow({ name: "selfish", description: "Calls itself.", input: Brief }).step(workflow("selfish")).definition();
    const lost = defineWorkflow({ name: "lost", description: "Names things that are not there.", input: Brief })
      .step(chain(tool("nope"), llm("fine")))
      .route(() => "a", { a: workflow("ghost") })
      .definition();
    const problems = referenceProblems([selfish, lost], { agents: new Set(["manager"]), tools: new Set(["calculate"]) });
    expect(problems).toEqual([
      'workflow "lost" (code): chain/nope: no tool named "nope" (known: calculate)',
      'workflow "lost" (code): route/a/ghost: no workflow named "ghost"',
      'workflow "selfish": it calls itself: selfish → selfish',
    ]);
  });

  it("knows an MCP server's tools: one it lists, any while it lists none, and not one it does not list", () => {
    // "everything" lists get-sum; "later" has not connected, so it lists nothing yet.
    const mcp = { servers: new Set(["everything", "later"]), tools: new Set(["everything_get_sum"]) };
    const uses = (name: string) => defineWorkflow({ name: `uses-${name.replaceAll("_", "-")}`, description: "Calls an MCP tool.", input: Brief }).step(tool("call", { tool: name })).definition();
    const problems = referenceProblems([uses("everything_get_sum"), uses("later_anything"), uses("everything_nope"), uses("nowhere_tool")], {
      agents: new Set(["manager"]),
      tools: new Set(["calculate"]),
      mcp,
    });
    expect(problems).toEqual([
      'workflow "uses-everything-nope" (code): call: no tool named "everything_nope" (known: calculate)',
      'workflow "uses-nowhere-tool" (code): call: no tool named "nowhere_tool" (known: calculate)',
    ]);
  });

  it("reads a catalog workflow, and refuses a broken one with its file, field and reason", async () => {
    const good = folderWith({
      "ok.yaml": [
        "kind: workflow",
        "name: greet-twice",
        "description: Greets someone, then again.",
        "input: { type: object, properties: { who: { type: string } }, required: [who] }",
        "steps:",
        "  - llm: first",
        '    prompt: "Greet {{who}}"',
        "  - loop: polish",
        "    generate: { llm: again }",
        "    evaluate: { llm: judge, output: { type: object, properties: { ok: { type: boolean } }, required: [ok] } }",
        "    until: { field: ok, equals: true }",
        "    maxRounds: 2",
      ].join("\n"),
    });
    const loaded = await loadWorkflows({ code: [], tools: [], catalogDir: good });
    expect(loaded.definitions.map((definition) => definition.name)).toEqual(["greet-twice"]);
    expect(budget(loaded.definitions[0] as never, LIMITS).modelCalls).toEqual({ min: 3, max: 5 });

    const broken = folderWith({
      "loop.yaml": "kind: workflow\nname: endless\ndescription: A loop with no maximum.\ninput: { type: object }\nsteps:\n  - loop: forever\n    generate: { llm: g }\n    evaluate: { llm: e }\n    until: { field: ok, equals: true }\n",
      "input.yaml": "kind: workflow\nname: bad-input\ndescription: Its input is not an object.\ninput: { type: string }\nsteps:\n  - llm: a\n",
    });
    const failure = await loadWorkflows({ code: [], tools: [], catalogDir: broken }).catch((error: unknown) => error as Error);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toMatch(/loop\.yaml: steps\.0/);
    expect((failure as Error).message).toMatch(/input\.yaml: input: the input schema must be an object schema/);
  });

  it("gives every definition a version that changes with its code", () => {
    const make = (text: string) => defineWorkflow({ name: "versioned", description: "Versions.", input: Brief }).step(code("say", () => text)).definition();
    expect(make("a").version).toBe(make("a").version);
    expect(make("a").version).not.toBe(defineWorkflow({ name: "versioned", description: "Versions.", input: Brief }).step(code("say", () => "b")).definition().version);
  });
});

describe("the README's example", () => {
  it("is the code in test/readme-workflow.ts, which compiles, and has the bound the README implies", async () => {
    const { readFileSync } = await import("node:fs");
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    const source = readFileSync(new URL("./readme-workflow.ts", import.meta.url), "utf8");
    expect(readme).toContain(source);
    const { post } = await import("./readme-workflow.js");
    // draft 1 + loop 2..6 + one translation.
    expect(budget(post, LIMITS)).toEqual({ modelCalls: { min: 4, max: 8 }, approvals: 1, agentRuns: 0, unboundedSteps: [] });
  });
});
