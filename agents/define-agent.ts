import { AgentName } from "../shared/agent-name.js";
import { EVERY_AGENT, type RemoteAgent } from "../shared/agent-spec.js";
import type { AnyTool } from "./define-tool.js";
import { ConfigurationError } from "./errors.js";

export interface AgentDefinition {
  /** Lowercase name; also the name of the agent's queue. */
  name: string;
  /** What the agent is for: the manager routes on it, so say what it does and for what requests. */
  description: string;
  /** The system prompt. */
  instructions: string;
  /** Model id; absent, the configured default. */
  model?: string;
  /** Sampling temperature (0–2); absent, the model's default. */
  temperature?: number;
  /** The most tokens one answer may have; absent, no cap of ours. */
  maxTokens?: number;
  tools: AnyTool[];
  /** Agents this one may hand work to (transfer or delegate); `"*"` means every enabled agent. */
  handoffs: string[];
  /** A remote A2A agent does this agent's work: its runs send the task there instead of calling a model. */
  remote?: RemoteAgent & { headers: Record<string, string> };
}

/** Declares an agent; a bad definition throws here, at start, with the field at fault. */
export function defineAgent(definition: {
  name: string;
  description: string;
  instructions: string;
  model?: string;
  temperature?: number;
  maxTokens?: number;
  tools?: AnyTool[];
  handoffs?: string[];
}): AgentDefinition {
  const where = `agent "${definition.name}"`;
  const name = AgentName.safeParse(definition.name);
  if (!name.success) throw new ConfigurationError(`${where}: name: ${name.error.issues[0]?.message}`);
  if (definition.description.trim() === "") throw new ConfigurationError(`${where}: description is empty`);
  if (definition.instructions.trim() === "") throw new ConfigurationError(`${where}: instructions are empty`);
  const tools = definition.tools ?? [];
  const seen = new Set<string>();
  for (const tool of tools) {
    if (seen.has(tool.name)) throw new ConfigurationError(`${where}: tools: "${tool.name}" is listed twice`);
    seen.add(tool.name);
  }
  const handoffs = definition.handoffs ?? [];
  for (const target of handoffs) {
    if (target === EVERY_AGENT) continue;
    if (target === definition.name) throw new ConfigurationError(`${where}: handoffs: an agent cannot hand off to itself`);
    const parsed = AgentName.safeParse(target);
    if (!parsed.success) throw new ConfigurationError(`${where}: handoffs: "${target}" is not an agent name`);
  }
  return { ...definition, name: name.data, tools, handoffs };
}
