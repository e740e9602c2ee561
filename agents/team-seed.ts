import type { AgentRegistry } from "../platform/agent-registry.js";
import type { Logger } from "../platform/logger.js";
import { MANAGER } from "../shared/agent-name.js";
import { AgentSpecInput, referenceProblems, type AgentSpecFields, type ToolSummary } from "../shared/agent-spec.js";
import type { CatalogEntry } from "./catalog.js";
import type { AgentDefinition } from "./define-agent.js";
import type { AnyTool } from "./define-tool.js";
import { ConfigurationError } from "./errors.js";

/** Every tool the code-defined agents bring, and `extra` ones; two different tools may not share a name. */
export function collectTools(agents: AgentDefinition[], extra: AnyTool[] = []): Map<string, AnyTool> {
  const tools = new Map<string, AnyTool>();
  const add = (tool: AnyTool, owner: string) => {
    const known = tools.get(tool.name);
    if (known && known !== tool) throw new ConfigurationError(`${owner}: tools: another tool is already named "${tool.name}"`);
    tools.set(tool.name, tool);
  };
  for (const agent of agents) for (const tool of agent.tools) add(tool, `agent "${agent.name}"`);
  for (const tool of extra) add(tool, "workflows");
  return tools;
}

export function toolSummaries(tools: ReadonlyMap<string, AnyTool>): ToolSummary[] {
  return [...tools.values()].map((tool) => ({ name: tool.name, description: tool.description, parameters: tool.jsonSchema }));
}

function specOf(agent: AgentDefinition): { spec?: AgentSpecFields; problems: string[] } {
  const parsed = AgentSpecInput.safeParse({
    name: agent.name,
    description: agent.description,
    instructions: agent.instructions,
    ...(agent.model ? { model: agent.model } : {}),
    ...(agent.temperature !== undefined ? { temperature: agent.temperature } : {}),
    ...(agent.maxTokens !== undefined ? { maxTokens: agent.maxTokens } : {}),
    tools: agent.tools.map((tool) => tool.name),
    handoffs: agent.handoffs,
  });
  if (parsed.success) return { spec: parsed.data, problems: [] };
  return { problems: parsed.error.issues.map((issue) => `agent "${agent.name}" (code): ${issue.path.join(".")}: ${issue.message}`) };
}

/**
 * Writes the agents defined in code and in catalog files into the registry, after checking them
 * together: unique names, a manager, tools and handoff targets that exist. Any problem stops the
 * start with every problem listed. An agent last changed through the API keeps that change.
 */
export async function seedRegistry(options: {
  registry: AgentRegistry;
  code: AgentDefinition[];
  catalog: { entries: CatalogEntry[]; problems: string[] };
  tools: ReadonlyMap<string, AnyTool>;
  /** The MCP servers this process knows, whose tools agents may name (`<server>_<tool>`, `<server>_*`). */
  mcpServers?: string[];
  log: Logger;
}): Promise<void> {
  const { registry, code, catalog, log } = options;
  const problems = [...catalog.problems];
  const seeds: { spec: AgentSpecFields; source: "code" | "catalog"; origin?: string }[] = [];
  for (const agent of code) {
    const { spec, problems: found } = specOf(agent);
    problems.push(...found);
    if (spec) seeds.push({ spec, source: "code" });
  }
  for (const entry of catalog.entries) seeds.push({ spec: entry.spec, source: "catalog", origin: entry.file });

  const where = (seed: (typeof seeds)[number]) => (seed.origin ?? "code");
  const byName = new Map<string, (typeof seeds)[number]>();
  for (const seed of seeds) {
    const first = byName.get(seed.spec.name);
    if (first) problems.push(`${where(seed)}: name: "${seed.spec.name}" is already defined in ${where(first)}`);
    else byName.set(seed.spec.name, seed);
  }

  const stored = await registry.list();
  const agentNames = new Set([...byName.keys(), ...stored.map((spec) => spec.name)]);
  if (!agentNames.has(MANAGER)) problems.push(`the team needs an agent named "${MANAGER}"`);
  const toolNames = new Set([...options.tools.keys(), ...(await registry.tools()).map((tool) => tool.name)]);
  for (const seed of byName.values()) {
    for (const problem of referenceProblems(seed.spec, { agents: agentNames, tools: toolNames, mcpServers: options.mcpServers ?? [] })) {
      problems.push(`${seed.source === "catalog" ? where(seed) : `agent "${seed.spec.name}" (code)`}: ${problem}`);
    }
  }
  if (problems.length > 0) throw new ConfigurationError(`the team has problems:\n${problems.map((p) => `  • ${p}`).join("\n")}`);

  const writes = [...byName.values()].filter((seed) => {
    const keep = stored.find((spec) => spec.name === seed.spec.name)?.source === "api";
    if (keep) log.info({ agent: seed.spec.name }, "keeping the agent as last changed through the API");
    return !keep;
  });
  await registry.putAll(writes);
}
