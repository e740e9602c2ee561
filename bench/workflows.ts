import { z } from "zod";
import { defineWorkflow, type WorkflowDefinition } from "../workflows/define-workflow.js";
import { code, llm, type Step } from "../workflows/step.js";

/**
 * The workflows the bench runs (its own agents process hosts them, see workflow-agents.ts): chains
 * of 1 and CHAIN_LONG steps, so that (t(long) − t(1)) / (CHAIN_LONG − 1) is the cost of one step
 * with the run's start and finish cancelled out, and one `parallel` of FAN_OUT branches.
 */
export const CHAIN_LONG = 20;
export const FAN_OUT = 8;

const Input = z.object({ n: z.number() });
/** A prompt the offline model answers directly (no tools, no schema). */
const PROMPT = "Summarize in one line: the bench measures the workflow engine.";

const codeStep = (name: string): Step => code(name, (value: unknown) => value);
const llmStep = (name: string): Step => llm(name, { prompt: () => PROMPT });

function chainOf(name: string, length: number, make: (name: string) => Step): WorkflowDefinition {
  let workflow = defineWorkflow({ name, description: `Bench: a chain of ${length} steps.`, input: Input });
  for (let i = 1; i <= length; i++) workflow = workflow.step(make(`s${i}`));
  return workflow.definition();
}

function fanOutOf(name: string, make: (name: string) => Step): WorkflowDefinition {
  const branches = Object.fromEntries(Array.from({ length: FAN_OUT }, (_, i) => [`b${i + 1}`, make(`w${i + 1}`)]));
  return defineWorkflow({ name, description: `Bench: ${FAN_OUT} branches at once, then the join.`, input: Input }).parallel(branches, { name: "fan" }).definition();
}

export const BENCH_WORKFLOWS = {
  code1: "bench-code-1",
  codeLong: `bench-code-${CHAIN_LONG}`,
  llm1: "bench-llm-1",
  llmLong: `bench-llm-${CHAIN_LONG}`,
  fanCode: `bench-fan-${FAN_OUT}-code`,
  fanLlm: `bench-fan-${FAN_OUT}-llm`,
} as const;

export function benchWorkflows(): WorkflowDefinition[] {
  const w = BENCH_WORKFLOWS;
  return [
    chainOf(w.code1, 1, codeStep),
    chainOf(w.codeLong, CHAIN_LONG, codeStep),
    chainOf(w.llm1, 1, llmStep),
    chainOf(w.llmLong, CHAIN_LONG, llmStep),
    fanOutOf(w.fanCode, codeStep),
    fanOutOf(w.fanLlm, llmStep),
  ];
}
