import type { ChatCompletionCreateParams } from "openai/resources/chat/completions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { defineAgent } from "../agents/define-agent.js";
import { scriptedModel, type ScriptedReply } from "../agents/model/scripted-model.js";
import { builtInAgents } from "../agents/team/built-in-team.js";
import type { Budget } from "../shared/events.js";
import { defineWorkflow } from "../workflows/define-workflow.js";
import { agent, chain, code, llm, type LoopRound } from "../workflows/step.js";
import { startPlatform, type Platform } from "./support/harness.js";
import { duplicates, ended, path, runEnded, runView, startRun } from "./support/workflow-client.js";

const Text = z.object({ text: z.string().min(1) });

const gated = defineWorkflow({ name: "gated", description: "Summarizes, stops when asked to, then titles.", input: Text })
  .step(llm("summarize", { prompt: (input) => `summarize: ${input.text}` }))
  .gate("not-stopped", (summary) => (summary.includes("STOP") ? "the summary asked to stop" : true))
  .step(llm("title", { prompt: (summary) => `title: ${summary}` }))
  .definition();

const routed = defineWorkflow({ name: "routed", description: "Classifies, then computes or writes.", input: Text })
  .step(llm("classify", { prompt: (input) => `classify: ${input.text}`, output: z.object({ kind: z.enum(["math", "words"]) }) }))
  .route((c) => c.kind, { math: code("compute", () => 42), words: chain(llm("write", { prompt: () => "write: words" }), code("shout", (text: string) => text.toUpperCase())) })
  .definition();

const fanned = defineWorkflow({ name: "fanned", description: "Three branches at once, then three judges vote.", input: Text })
  .parallel({
    a: llm("a", { prompt: (input) => `branch a: ${input.text}` }),
    b: llm("b", { prompt: (input) => `branch b: ${input.text}` }),
    c: chain(llm("c1", { prompt: () => "branch c1" }), llm("c2", { prompt: (previous: string) => `branch c2 after ${previous}` })),
  })
  .vote({ step: llm("judge", { prompt: (branches: Record<string, string>) => `judge: ${Object.values(branches).join(" + ")}` }), n: 3, combine: (votes: string[]) => votes.sort().join("|") })
  .definition();

const orchestrated = defineWorkflow({ name: "orchestrated", description: "Plans subtasks, works them at once, joins them.", input: Text })
  .orchestrate({
    planner: llm("plan", { prompt: (input) => `plan: ${input.text}`, output: z.object({ subtasks: z.array(z.string()) }) }),
    subtasks: (plan) => plan.subtasks,
    worker: llm("work", { prompt: (task: string) => `work: ${task}` }),
    maxWorkers: 3,
    synthesizer: llm("join", { prompt: (joined: { results: { output: string }[] }) => `join: ${joined.results.map((r) => r.output).join(", ")}` }),
  })
  .definition();

const Grade = z.object({ score: z.number() });
const looped = defineWorkflow({ name: "looped", description: "Writes and rewrites until the grade is 8 or more.", input: Text })
  .loop({
    generate: llm("write", { prompt: (round: LoopRound<{ text: string }, string, z.infer<typeof Grade>>) => `write round ${round.round}: ${round.previous ?? round.input.text}` }),
    evaluate: llm("grade", { prompt: (draft: string) => `grade: ${draft}`, output: Grade }),
    until: (grade) => grade.score >= 8,
    maxRounds: 4,
  })
  .definition();

const withAgent = defineWorkflow({ name: "with-agent", description: "Asks the writer agent, then counts its words.", input: Text })
  .step(agent("writer", { task: (input) => `Write one line about ${input.text}` }))
  .step(code("count", (text: string) => ({ text, words: text.split(/\s+/).length })))
  .definition();

/** The last user message of a request: what the scripted model answers to. */
function prompt(request: ChatCompletionCreateParams): string {
  const last = [...request.messages].reverse().find((message) => message.role === "user");
  return typeof last?.content === "string" ? last.content : "";
}

let grades = 0;
const model = scriptedModel((request): ScriptedReply => {
  const text = prompt(request);
  const [verb = "", rest = ""] = text.split(/:\s*/, 2) as [string, string];
  if (verb === "summarize") return rest.includes("stop") ? "STOP here" : `summary of ${rest}`;
  if (verb === "title") return "A title";
  if (verb === "classify") return JSON.stringify({ kind: rest.includes("sum") ? "math" : "words" });
  if (verb === "write") return "some words";
  if (verb.startsWith("branch")) return `${verb} done`;
  if (verb === "judge") return `vote ${text.length % 7}`;
  if (verb === "plan") return JSON.stringify({ subtasks: rest.split(" and ") });
  if (verb === "work") return `worked ${rest}`;
  if (verb === "join") return `joined ${rest}`;
  if (verb.startsWith("write round")) return `draft ${verb.slice(-1)}`;
  if (verb === "grade") return JSON.stringify({ score: [5, 7, 9][grades++] ?? 9 });
  // The writer agent, run by a workflow's agent step.
  if (text.startsWith("Write one line")) return "Durable steps never run twice.";
  throw new Error(`no scripted reply for: ${text}`);
});

let platform: Platform;
beforeAll(async () => {
  platform = await startPlatform({
    team: await builtInAgents(),
    model: model.client,
    workflows: { definitions: [gated, routed, fanned, orchestrated, looped, withAgent] },
  });
});
afterAll(async () => platform.close());

async function run(workflow: string, text: string) {
  const { runId, conversationId } = await startRun(platform.api, workflow, { text });
  const events = await platform.api.waitFor(conversationId, runEnded(runId));
  expect(duplicates(events)).toEqual([]);
  const end = ended(events, runId);
  const view = await runView(platform.api, runId);
  return { runId, events, end, view };
}

function withinBudget(modelCalls: number, budget: Budget) {
  expect(modelCalls).toBeGreaterThanOrEqual(budget.modelCalls.min);
  expect(modelCalls).toBeLessThanOrEqual(budget.modelCalls.max);
}

describe("workflow patterns: the exact path, the exact number of model calls, within the bound", () => {
  it("chain: runs each step on the previous output", async () => {
    const { runId, events, end, view } = await run("gated", "go on");
    expect(path(events, runId)).toEqual(["summarize", "not-stopped", "title"]);
    expect(end.type).toBe("workflow.completed");
    expect(end.data).toMatchObject({ output: "A title", modelCalls: 2, budget: { modelCalls: { min: 1, max: 2 } } });
    expect(view).toMatchObject({ status: "completed", modelCalls: 2 });
    withinBudget(view.modelCalls, view.budget);
  });

  it("gate: stops the chain with its reason, the rest not run", async () => {
    const { runId, events, end } = await run("gated", "please stop");
    expect(path(events, runId)).toEqual(["summarize", "not-stopped"]);
    expect(end.type === "workflow.completed" && end.data.stopped).toEqual({ path: "not-stopped", reason: "the summary asked to stop" });
    expect(end.data.modelCalls).toBe(1);
    withinBudget(end.data.modelCalls, end.data.budget);
  });

  it("route: runs exactly the branch the classifier picks, the others skipped", async () => {
    const math = await run("routed", "a sum");
    expect(path(math.events, math.runId)).toEqual(["classify", "route/math/compute"]);
    expect(math.end.data).toMatchObject({ output: 42, modelCalls: 1, budget: { modelCalls: { min: 1, max: 2 } } });
    const skipped = math.events.filter((e) => e.type === "workflow.step" && e.data.status === "skipped").map((e) => e.type === "workflow.step" && e.data.path);
    expect(skipped).toEqual(["route/words"]);

    const words = await run("routed", "a poem");
    expect(path(words.events, words.runId)).toEqual(["classify", "route/words/write", "route/words/shout"]);
    expect(words.end.data).toMatchObject({ output: "SOME WORDS", modelCalls: 2 });
  });

  it("parallel and vote: branches and votes run at once as flow children, then combine", async () => {
    const { runId, events, end } = await run("fanned", "x");
    const done = path(events, runId);
    expect(done.filter((p) => p.startsWith("parallel/")).sort()).toEqual(["parallel/a/a", "parallel/b/b", "parallel/c/c1", "parallel/c/c2"]);
    expect(done.filter((p) => p.startsWith("vote/")).sort()).toEqual(["vote/judge@1", "vote/judge@2", "vote/judge@3"]);
    expect(end.data).toMatchObject({ modelCalls: 7, budget: { modelCalls: { min: 7, max: 7 } } });
    const judged = `judge: branch a done + branch b done + branch c2 done`;
    expect(end.type === "workflow.completed" && end.data.output).toBe(Array(3).fill(`vote ${judged.length % 7}`).join("|"));
  });

  it("orchestrate: a worker per planned subtask, at once, then the synthesizer", async () => {
    const { runId, events, end } = await run("orchestrated", "fetch and sort and print");
    expect(path(events, runId).filter((p) => p.includes("work@")).sort()).toEqual(["orchestrate/work@1", "orchestrate/work@2", "orchestrate/work@3"]);
    expect(end.data).toMatchObject({ modelCalls: 5, budget: { modelCalls: { min: 2, max: 5 } } });
    expect(end.type === "workflow.completed" && end.data.output).toBe("joined worked fetch, worked sort, worked print");
  });

  it("orchestrate: more subtasks than maxWorkers fails with the reason, no worker run", async () => {
    const { runId, events, end } = await run("orchestrated", "a and b and c and d");
    expect(end.type).toBe("workflow.failed");
    expect(end.type === "workflow.failed" && end.data).toMatchObject({ code: "too_many_subtasks", path: "orchestrate" });
    expect(path(events, runId).some((p) => p.includes("work"))).toBe(false);
  });

  it("loop: generate and evaluate until the evaluator passes, each round counted", async () => {
    grades = 0;
    const { runId, events, end, view } = await run("looped", "start");
    expect(path(events, runId)).toEqual(["loop/write@1", "loop/grade@1", "loop/write@2", "loop/grade@2", "loop/write@3", "loop/grade@3"]);
    expect(end.data).toMatchObject({ output: "draft 3", modelCalls: 6, budget: { modelCalls: { min: 2, max: 8 } } });
    expect(view.steps.filter((step) => step.path === "loop/grade").map((step) => step.output)).toEqual([{ score: 5 }, { score: 7 }, { score: 9 }]);
  });

  it("agent step: runs a team member's turn as a flow child and passes on its answer", async () => {
    const { runId, events, end } = await run("with-agent", "durability");
    expect(path(events, runId)).toEqual(["writer", "count"]);
    expect(events.some((e) => e.type === "run.started" && e.agent === "writer" && e.data.mode === "workflow")).toBe(true);
    expect(end.data).toMatchObject({ output: { text: "Durable steps never run twice.", words: 5 }, modelCalls: 1 });
    withinBudget(end.data.modelCalls, end.data.budget);
  });
});

describe("bad input", () => {
  it("refuses input that does not match the schema, naming the field, and an unknown workflow", async () => {
    const bad = await platform.api.request("POST", "/api/workflows/gated/runs", { input: { text: 5 } });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain("text");
    const unknown = await platform.api.request("POST", "/api/workflows/nope/runs", { input: {} });
    expect(unknown.status).toBe(404);
  });

  it("refuses a team member the team does not have, at start, naming the step", async () => {
    const broken = defineWorkflow({ name: "broken", description: "Asks an agent that does not exist.", input: Text })
      .step(agent("ghost"))
      .definition();
    const team = [...(await builtInAgents()), defineAgent({ name: "helper", description: "Helps with things in general.", instructions: "Help." })];
    await expect(startPlatform({ team, model: model.client, workflows: { definitions: [broken] } })).rejects.toThrow(/broken.*ghost/s);
  });
});
