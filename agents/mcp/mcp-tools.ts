import { Ajv, type ValidateFunction } from "ajv";
import { z } from "zod";
import { mcpToolName } from "../../shared/mcp.js";
import { ToolName } from "../../shared/agent-spec.js";
import type { AnyTool } from "../define-tool.js";
import type { McpConnection, McpTool } from "./mcp-connection.js";

/** One validator for all servers' schemas; `strict: false` because servers use keywords ajv does not know. */
const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });

/** Stands in for `parameters`, which an MCP tool does not have: its JSON Schema is checked by `validate`. */
const ANY_OBJECT = z.looseObject({});

/**
 * A server's tool as an agent's: named `<server>_<tool>`, shown to the model with the server's
 * description and JSON Schema, its arguments checked against that schema (ajv) before the call is
 * sent, and called through the connection, so a dead server is an observation, not a crash.
 * Undefined when the server's name for it cannot make a tool name, or its schema does not compile.
 */
export function mcpTool(connection: McpConnection, tool: McpTool): { tool?: AnyTool; problem?: string } {
  const name = mcpToolName(connection.name, tool.name);
  if (!ToolName.safeParse(name).success) return { problem: `tool "${tool.name}": "${name}" is not a usable tool name` };
  const { $schema: _ignored, ...jsonSchema } = tool.inputSchema as Record<string, unknown>;
  let check: ValidateFunction;
  try {
    check = ajv.compile(jsonSchema);
  } catch (error) {
    return { problem: `tool "${tool.name}": its input schema does not compile: ${(error as Error).message}` };
  }
  return {
    tool: {
      name,
      description: tool.description ?? tool.title ?? tool.name,
      parameters: ANY_OBJECT,
      jsonSchema,
      needsApproval: false,
      validate: (args) =>
        check(args) ? { ok: true, value: args } : { ok: false, error: ajv.errorsText(check.errors, { dataVar: "arguments", separator: "; " }) },
      execute: (args) => connection.call(tool.name, args),
    },
  };
}

/**
 * A tool an agent names on a server that does not list it now (down, or not connected yet): the
 * call is an observation that says so.
 */
export function unavailableTool(connection: McpConnection, name: string): AnyTool {
  return {
    name,
    description: `A tool of the MCP server ${connection.name}, which is not connected now.`,
    parameters: ANY_OBJECT,
    jsonSchema: { type: "object", properties: {} },
    needsApproval: false,
    validate: (args) => ({ ok: true, value: args }),
    execute: () => {
      const { state, reason } = connection.state;
      const why = state === "connected" ? "it does not offer this tool" : (reason ?? state);
      throw new Error(`MCP server ${connection.name} is not connected or lacks ${name} (${why}).`);
    },
  };
}
