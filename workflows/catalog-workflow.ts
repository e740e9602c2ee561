import { z } from "zod";
import { ApprovalDecision } from "../shared/events.js";
import { WorkflowName } from "../shared/workflow.js";
import { defineWorkflow, type WorkflowDefinition } from "./define-workflow.js";
import { agent, approval, branch, durationMs, llm, tool, type ChainNode, type LoopRound, type Node, type Step } from "./step.js";

/**
 * A workflow as a catalog file (`kind: workflow`): model, agent, tool and approval steps, in a
 * chain, with route, parallel and loop patterns. Text fields are templates over the step's input:
 * `{{field.sub}}` inserts a field, `{{.}}` the whole value (JSON unless it is text). A loop without
 * `maxRounds` does not parse, so such a file stops the start like any broken file.
 */
const Template = z.string().min(1).max(8000);
const JsonSchemaObject = z.record(z.string(), z.unknown());
const StepName = z.string().regex(/^[a-z][a-z0-9_-]{0,47}$/, "1–48 lowercase letters, digits, '-' or '_'");

type StepSource =
  | { llm: string; prompt?: string; system?: string; output?: Record<string, unknown>; model?: string }
  | { agent: string; use?: string; task?: string }
  | { tool: string; use?: string; args?: Record<string, unknown> }
  | { approval: string; title?: string; timeout?: string; onTimeout?: "approve" | "reject" }
  | { route: string; on: string; branches: Record<string, StepSource[]> }
  | { parallel: string; branches: Record<string, StepSource[]> }
  | { loop: string; generate: StepSource; evaluate: StepSource; until: Until; maxRounds: number };

type Until = { field: string; equals?: unknown; atLeast?: number; atMost?: number };

const UntilSource = z
  .object({ field: z.string().min(1), equals: z.unknown().optional(), atLeast: z.number().optional(), atMost: z.number().optional() })
  .strict()
  .refine((until) => until.equals !== undefined || until.atLeast !== undefined || until.atMost !== undefined, "say what passes: equals, atLeast or atMost");

const StepSource: z.ZodType<StepSource> = z.lazy(() =>
  z.union([
    z.object({ llm: StepName, prompt: Template.optional(), system: Template.optional(), output: JsonSchemaObject.optional(), model: z.string().min(1).optional() }).strict(),
    z.object({ agent: StepName, use: z.string().optional(), task: Template.optional() }).strict(),
    z.object({ tool: StepName, use: z.string().optional(), args: z.record(z.string(), z.unknown()).optional() }).strict(),
    z.object({ approval: StepName, title: Template.optional(), timeout: z.string().regex(/^\d+(\.\d+)?[smhd]$/, "a duration such as 30s, 15m, 2h or 2d").optional(), onTimeout: ApprovalDecision.optional() }).strict(),
    z.object({ route: StepName, on: z.string().min(1), branches: z.record(z.string(), z.array(StepSource).min(1)) }).strict(),
    z.object({ parallel: StepName, branches: z.record(z.string(), z.array(StepSource).min(1)) }).strict(),
    z.object({ loop: StepName, generate: StepSource, evaluate: StepSource, until: UntilSource, maxRounds: z.number().int().min(1).max(20) }).strict(),
  ]),
);

export const CatalogWorkflowSource = z
  .object({
    name: WorkflowName,
    description: z.string().trim().min(10, "say in at least 10 characters what the workflow does").max(1000),
    input: JsonSchemaObject.refine((schema) => schema.type === "object", "the input schema must be an object schema (type: object)"),
    steps: z.array(StepSource).min(1),
  })
  .strict();
export type CatalogWorkflowSource = z.infer<typeof CatalogWorkflowSource>;

/** Parses a catalog file's fields; problems come back as `field: reason` lines. */
export function parseCatalogWorkflow(fields: unknown): { ok: true; source: CatalogWorkflowSource } | { ok: false; problems: string[] } {
  const parsed = CatalogWorkflowSource.safeParse(fields);
  if (!parsed.success) return { ok: false, problems: parsed.error.issues.map((issue) => `${issue.path.join(".") || "(file)"}: ${issue.message}`) };
  return { ok: true, source: parsed.data };
}

/** Builds the definition a catalog source describes; throws ConfigurationError with the field at fault. */
export function catalogWorkflow(source: CatalogWorkflowSource, origin: string): WorkflowDefinition {
  const input = z.fromJSONSchema(source.input) as z.ZodObject;
  let workflow = defineWorkflow({ name: source.name, description: source.description, input, origin });
  for (const step of source.steps) workflow = workflow.step(stepOf(step));
  return workflow.definition();
}

function stepOf(source: StepSource): Step {
  if ("llm" in source) {
    const output = source.output ? (z.fromJSONSchema(source.output) as z.ZodType) : undefined;
    return llm(source.llm, {
      ...(source.prompt ? { prompt: template(source.prompt) } : {}),
      ...(source.system ? { system: source.system } : {}),
      ...(output ? { output } : {}),
      ...(source.model ? { model: source.model } : {}),
    });
  }
  if ("agent" in source) return agent(source.agent, { agent: source.use ?? source.agent, ...(source.task ? { task: template(source.task) } : {}) });
  if ("tool" in source) {
    const args = source.args;
    return tool(source.tool, { tool: source.use ?? source.tool, ...(args ? { args: (value: unknown) => fill(args, value) } : {}) });
  }
  if ("approval" in source) {
    return approval(source.approval, {
      ...(source.title ? { title: template(source.title) } : {}),
      ...(source.timeout ? { timeout: durationMs(source.timeout as `${number}d`) } : {}),
      ...(source.onTimeout ? { onTimeout: source.onTimeout } : {}),
    });
  }
  if ("route" in source) {
    const on = source.on;
    return { kind: "route", name: source.route, select: (value: unknown) => String(lookup(value, on)), branches: branchesOf(source.branches) } as Node;
  }
  if ("parallel" in source) return { kind: "parallel", name: source.parallel, branches: branchesOf(source.branches) } as Node;
  const until = source.until;
  return {
    kind: "loop",
    name: source.loop,
    generate: stepOf(source.generate) as Step<LoopRound<unknown, unknown, unknown>>,
    evaluate: stepOf(source.evaluate),
    until: (evaluation: unknown) => passes(lookup(evaluation, until.field), until),
    maxRounds: source.maxRounds,
  } as Node;
}

function branchesOf(branches: Record<string, StepSource[]>): Record<string, ChainNode> {
  return Object.fromEntries(Object.entries(branches).map(([key, steps]) => [key, branch(key, { kind: "chain", name: key, steps: steps.map(stepOf) } as Step)]));
}

function passes(value: unknown, until: Until): boolean {
  if (until.equals !== undefined) return JSON.stringify(value) === JSON.stringify(until.equals);
  if (typeof value !== "number") return false;
  return (until.atLeast === undefined || value >= until.atLeast) && (until.atMost === undefined || value <= until.atMost);
}

/** `{{a.b}}` → the field, `{{.}}` → the whole value. */
function template(text: string): (value: unknown) => string {
  return (value) => text.replace(/\{\{\s*([^}]*?)\s*\}\}/g, (_match, path: string) => asText(path === "." ? value : lookup(value, path)));
}

/** Templates inside tool arguments; a value that is exactly one `{{field}}` keeps its type. */
function fill(args: unknown, value: unknown): unknown {
  if (typeof args === "string") {
    const whole = /^\{\{\s*([^}]*?)\s*\}\}$/.exec(args);
    if (whole) return whole[1] === "." ? value : lookup(value, whole[1] as string);
    return template(args)(value);
  }
  if (Array.isArray(args)) return args.map((item) => fill(item, value));
  if (typeof args === "object" && args !== null) return Object.fromEntries(Object.entries(args).map(([key, item]) => [key, fill(item, value)]));
  return args;
}

function lookup(value: unknown, path: string): unknown {
  let current = value;
  for (const part of path.split(".")) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

function asText(value: unknown): string {
  if (value === undefined || value === null) return "";
  return typeof value === "string" ? value : JSON.stringify(value, null, 2);
}
