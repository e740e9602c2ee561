import { z } from "zod";
import type { Logger } from "../platform/logger.js";
import { ConfigurationError } from "./errors.js";

/** What a tool knows about the run calling it. */
export interface ToolContext {
  conversationId: string;
  runId: string;
  agent: string;
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
}): Tool<P, R> {
  const name = ToolName.safeParse(definition.name);
  if (!name.success) throw new ConfigurationError(`tool "${definition.name}": name ${name.error.issues[0]?.message}`);
  if (definition.description.trim() === "") throw new ConfigurationError(`tool "${definition.name}": description is empty`);
  const { $schema: _ignored, ...jsonSchema } = z.toJSONSchema(definition.parameters, { io: "input" }) as Record<
    string,
    unknown
  >;
  return { ...definition, jsonSchema };
}

export type AnyTool = Tool<z.ZodObject, unknown>;
