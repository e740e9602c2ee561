import { z } from "zod";
import type { Logger } from "../platform/logger.js";
import { ConfigurationError } from "./errors.js";
import { workflowToolName } from "../shared/workflow.js";

/** What a tool knows about the run calling it. */
export interface ToolContext {
  conversationId: string;
  runId: string;
  /** The agent calling it; a workflow's tool step names the workflow here. */
  agent: string;
  /**
   * Stable across retries of the same call: a tool with side effects (a refund, a post) uses it to
   * do its work once even when the step is run again after a crash.
   */
  idempotencyKey: string;
  log: Logger;
}

export interface Tool<P extends z.ZodObject = z.ZodObject, R = unknown> {
  name: string;
  description: string;
  parameters: P;
  /** JSON Schema of `parameters`, as sent to the model. */
  jsonSchema: Record<string, unknown>;
  /** Throw `ToolError` (or any error) to report a failure: the model reads the message. */
  execute(args: z.output<P>, context: ToolContext): Promise<R> | R;
  /** A person approves each call before it runs; the run waits for the decision without a worker. */
  needsApproval: boolean;
  /** Set on the tool that runs a workflow: the call starts that workflow and waits for its output. */
  workflow?: string;
  /**
   * Checks a call's arguments in place of `parameters`: set on tools whose schema is JSON Schema
   * from elsewhere (an MCP server's), which `parameters` then does not describe.
   */
  validate?(args: unknown): ArgumentCheck;
}

export type ArgumentCheck = { ok: true; value: unknown } | { ok: false; error: string };

/** A call's arguments checked by the tool's own schema, before the tool is run. */
export function checkArguments(tool: AnyTool, args: unknown): ArgumentCheck {
  if (tool.validate) return tool.validate(args);
  const parsed = tool.parameters.safeParse(args);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, error: z.prettifyError(parsed.error) };
}

const ToolName = z.string().regex(/^[a-z][a-z0-9_]{1,63}$/, "2–64 characters: lowercase letters, digits or '_'");

/**
 * Declares a tool. Its zod parameters are the single source of the TypeScript type, the runtime
 * validation of the model's arguments, and the JSON Schema the model is shown.
 */
export function defineTool<P extends z.ZodObject, R>(definition: {
  name: string;
  description: string;
  parameters: P;
  execute(args: z.output<P>, context: ToolContext): Promise<R> | R;
  needsApproval?: boolean;
}): Tool<P, R> {
  const name = ToolName.safeParse(definition.name);
  if (!name.success) throw new ConfigurationError(`tool "${definition.name}": name ${name.error.issues[0]?.message}`);
  if (definition.description.trim() === "") throw new ConfigurationError(`tool "${definition.name}": description is empty`);
  const { $schema: _ignored, ...jsonSchema } = z.toJSONSchema(definition.parameters, { io: "input" }) as Record<
    string,
    unknown
  >;
  return { ...definition, jsonSchema, needsApproval: definition.needsApproval ?? false };
}

/** Agents and MCP clients see a workflow under the same tool name. */
export { workflowToolName };

/**
 * The tool through which an agent runs a workflow: its parameters are the workflow's input, and a
 * call starts a run of it that the agent's run waits for, like a delegation, and reads the output of.
 */
export function defineWorkflowTool<P extends z.ZodObject>(workflow: { name: string; description: string; input: P }): Tool<P, unknown> {
  const tool = defineTool({
    name: workflowToolName(workflow.name),
    description: workflow.description,
    parameters: workflow.input,
    execute: () => {
      throw new Error(`${workflowToolName(workflow.name)} runs as a workflow, not in place`);
    },
  });
  return { ...tool, workflow: workflow.name };
}

export type AnyTool = Tool<z.ZodObject, unknown>;
