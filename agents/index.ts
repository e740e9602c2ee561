/** What a specialist written in TypeScript needs from Switchboard. */
export { defineAgent, type AgentDefinition } from "./define-agent.js";
export { defineTool, type Tool, type ToolContext } from "./define-tool.js";
export { ToolError } from "./errors.js";
