import { expectTypeOf, test } from "vitest";
import { z } from "zod";
import { defineWorkflow, type Workflow } from "../workflows/define-workflow.js";
import { code, llm, type LoopRound } from "../workflows/step.js";

// Checked by `tsc -p .` (npm test runs it first): every @ts-expect-error below must be an error.
const base = defineWorkflow({ name: "typed", description: "Type checks of the builder", input: z.object({ n: z.number() }) });
const Grade = z.object({ ok: z.boolean() });
type Round = LoopRound<{ n: number }, string, z.infer<typeof Grade>>;
const generate = llm("write", { prompt: (round: Round) => `${round.input.n} ${round.previous ?? ""}` });
const evaluate = llm("grade", { prompt: (draft: string) => draft, output: Grade });
const planner = llm("plan", { output: z.object({ subtasks: z.array(z.string()) }) });
const worker = llm("work", { prompt: (task: string) => task });
const synthesizer = llm("join", { prompt: (joined: { results: { task: string; output: string }[] }) => joined.results.map((r) => r.output).join("\n") });

test("a loop or a fan-out without its maximum does not compile", () => {
  expectTypeOf(base.loop({ generate, evaluate, until: (grade) => grade.ok, maxRounds: 3 })).toEqualTypeOf<Workflow<{ n: number }, string>>();
  // @ts-expect-error a loop needs maxRounds
  base.loop({ generate, evaluate, until: (grade) => grade.ok });

  expectTypeOf(base.orchestrate({ planner, subtasks: (plan) => plan.subtasks, worker, maxWorkers: 4, synthesizer })).toEqualTypeOf<Workflow<{ n: number }, string>>();
  // @ts-expect-error an orchestrator needs maxWorkers
  base.orchestrate({ planner, subtasks: (plan) => plan.subtasks, worker, synthesizer });

  // @ts-expect-error a vote needs n
  base.vote({ step: llm("judge"), combine: (outputs: string[]) => outputs.join() });
});

test("each step receives the previous step's output type", () => {
  base.step(
    llm("first", {
      prompt: (input) => {
        expectTypeOf(input).toEqualTypeOf<{ n: number }>();
        return String(input.n);
      },
    }),
  );
  // @ts-expect-error the input has no field "missing"
  base.step(llm("wrong", { prompt: (input) => input.missing }));

  const classified = base.step(llm("classify", { output: z.object({ kind: z.enum(["a", "b"]) }) }));
  expectTypeOf(classified).toEqualTypeOf<Workflow<{ n: number }, { kind: "a" | "b" }>>();
  expectTypeOf(classified.route((value) => value.kind, { a: code("on-a", () => 1), b: code("on-b", () => "two") })).toEqualTypeOf<Workflow<{ n: number }, number | string>>();
  // @ts-expect-error a route must name one of its branches
  classified.route(() => "c", { a: code("on-a", () => 1), b: code("on-b", () => 2) });

  base.parallel({ x: code("x", (input: { n: number }) => input.n), y: llm("y") }).step(
    code("use", (branches) => {
      expectTypeOf(branches.x).toEqualTypeOf<number>();
    }),
  );
});
