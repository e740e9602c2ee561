import type { AgentServices, HostedWork } from "../agents/agents-process.js";
import { readCatalogDocuments } from "../agents/catalog.js";
import type { AgentDefinition } from "../agents/define-agent.js";
import { defineWorkflowTool, type AnyTool } from "../agents/define-tool.js";
import { ConfigurationError } from "../agents/errors.js";
import type { McpToolSource } from "../agents/mcp/mcp-servers.js";
import { WorkflowRegistry } from "../platform/workflow-registry.js";
import { WorkflowRuns } from "../platform/workflow-runs.js";
import { MANAGER } from "../shared/agent-name.js";
import { toolKnown } from "../shared/agent-spec.js";
import { WORKFLOWS_QUEUE } from "../shared/jobs.js";
import { catalogWorkflow, parseCatalogWorkflow, type CatalogWorkflowSource } from "./catalog-workflow.js";
import { childrenOf, type WorkflowDefinition } from "./define-workflow.js";
import type { Node } from "./step.js";
import { WorkflowLibrary } from "./workflow-library.js";
import { WorkflowRunner } from "./workflow-runner.js";

/** The workflows an agents process runs: from code and from the catalog folder, with their tools. */
export interface WorkflowSet {
  definitions: WorkflowDefinition[];
  /** Catalog sources by version, kept in Redis so a pinned run can be finished after the file changes. */
  sources: Map<string, CatalogWorkflowSource>;
  /** Tools the workflows' tool steps use. */
  tools: AnyTool[];
  /** One tool per workflow (`run_<name>`) through which agents run it. */
  runTools: AnyTool[];
}

/** Reads the catalog's workflow files beside the code ones; every problem stops the start, all listed. */
export async function loadWorkflows(options: { code: WorkflowDefinition[]; tools: AnyTool[]; catalogDir?: string }): Promise<WorkflowSet> {
  const problems: string[] = [];
  const definitions = [...options.code];
  const sources = new Map<string, CatalogWorkflowSource>();
  // Files that do not parse at all are reported with the agents' catalog problems.
  const { documents } = options.catalogDir ? await readCatalogDocuments(options.catalogDir) : { documents: [] };
  for (const document of documents.filter((doc) => doc.kind === "workflow")) {
    const parsed = parseCatalogWorkflow(document.fields);
    if (!parsed.ok) {
      problems.push(...parsed.problems.map((problem) => `${document.file}: ${problem}`));
      continue;
    }
    try {
      const definition = catalogWorkflow(parsed.source, document.file);
      definitions.push(definition);
      sources.set(definition.version, parsed.source);
    } catch (error) {
      problems.push(`${document.file}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const seen = new Map<string, string>();
  for (const definition of definitions) {
    const first = seen.get(definition.name);
    if (first) problems.push(`${definition.origin}: name: "${definition.name}" is already defined in ${first}`);
    seen.set(definition.name, definition.origin);
  }
  if (problems.length > 0) throw new ConfigurationError(`the workflows have problems:\n${problems.map((p) => `  • ${p}`).join("\n")}`);
  const runTools = definitions.map((definition) => defineWorkflowTool(definition) as AnyTool);
  return { definitions, sources, tools: options.tools, runTools };
}

/** The manager may run every workflow: a request that fits one is handled by it. */
export function withWorkflowsOnManager(agents: AgentDefinition[], set: WorkflowSet): AgentDefinition[] {
  return agents.map((agent) => (agent.name === MANAGER ? { ...agent, tools: [...agent.tools, ...set.runTools] } : agent));
}

/**
 * What the agents process hosts for workflows: their tools, and a worker on the workflows queue
 * whose runs go through the same run host as agent runs. At start it checks every reference (agents,
 * tools, sub-workflows, cycles) and publishes the workflows to the registry for the servers.
 */
export function hostWorkflows(set: WorkflowSet): HostedWork {
  return {
    tools: [...set.tools, ...set.runTools],
    prepare: async (services: AgentServices) => {
      const registry = new WorkflowRegistry(services.redis, services.keys, services.log);
      const limits = { maxSteps: services.config.limits.maxSteps, maxHandoffDepth: services.config.limits.maxHandoffDepth };
      const library = new WorkflowLibrary(set.definitions, registry, limits, services.log);
      const problems = referenceProblems(set.definitions, {
        agents: new Set(services.directory.list().map((agent) => agent.name)),
        tools: new Set(services.tools.keys()),
        mcp: mcpOffer(services.mcp),
      });
      if (problems.length > 0) throw new ConfigurationError(`the workflows have problems:\n${problems.map((p) => `  • ${p}`).join("\n")}`);
      for (const [version, source] of set.sources) await registry.saveSource(version, source);
      const stale = (await registry.list()).map((summary) => summary.name).filter((name) => !library.current(name));
      await registry.remove(stale);
      await registry.putAll(set.definitions.map((definition) => library.summary(definition)));
      const runs = new WorkflowRuns(services.redis, services.keys, services.conversationLog, services.queues, registry);
      const runner = new WorkflowRunner({
        library,
        runs,
        conversations: services.conversations,
        model: services.model,
        defaultModel: services.config.model.defaultModel,
        tools: services.tools,
        mcp: services.mcp,
        log: services.log.child({ component: "workflows" }),
      });
      return [{ queue: WORKFLOWS_QUEUE, runnable: runner }];
    },
  };
}

/** The MCP servers this process knows and the tools they list now. */
function mcpOffer(mcp: McpToolSource): { servers: ReadonlySet<string>; tools: ReadonlySet<string> } {
  const servers = mcp.servers();
  return { servers: new Set(servers), tools: new Set(servers.flatMap((server) => (mcp.serverTools(server) ?? []).map((tool) => tool.name))) };
}

/**
 * Agents, tools and workflows a definition names that do not exist, and workflows that call
 * themselves. An MCP server's tool (`<server>_<tool>`) is known as an agent's is (`toolKnown`):
 * when its server lists it, or on trust while its server lists nothing (not connected yet).
 */
export function referenceProblems(
  definitions: WorkflowDefinition[],
  known: { agents: ReadonlySet<string>; tools: ReadonlySet<string>; mcp?: { servers: ReadonlySet<string>; tools: ReadonlySet<string> } },
): string[] {
  const offered = new Set([...known.tools, ...(known.mcp?.tools ?? [])]);
  const servers = known.mcp?.servers ?? new Set<string>();
  const problems: string[] = [];
  const names = new Set(definitions.map((definition) => definition.name));
  const calls = new Map<string, string[]>();
  for (const definition of definitions) {
    const where = `workflow "${definition.name}" (${definition.origin})`;
    const called: string[] = [];
    const visit = (node: Node, path: string) => {
      if (node.kind === "agent" && !known.agents.has(node.agent)) problems.push(`${where}: ${path}: no agent named "${node.agent}" in the team`);
      if (node.kind === "tool" && !toolKnown(node.tool, offered, servers)) problems.push(`${where}: ${path}: no tool named "${node.tool}" (known: ${[...known.tools].sort().join(", ")})`);
      if (node.kind === "workflow") {
        if (!names.has(node.workflow)) problems.push(`${where}: ${path}: no workflow named "${node.workflow}"`);
        called.push(node.workflow);
      }
      for (const child of childrenOf(node)) visit(child, path ? `${path}/${child.name}` : child.name);
    };
    visit(definition.root, "");
    calls.set(definition.name, called);
  }
  for (const start of calls.keys()) {
    const cycle = findCycle(start, calls);
    if (cycle && cycle[0] === start) problems.push(`workflow "${start}": it calls itself: ${cycle.join(" → ")}`);
  }
  return problems;
}

function findCycle(start: string, calls: Map<string, string[]>): string[] | undefined {
  const walk = (name: string, path: string[]): string[] | undefined => {
    for (const next of calls.get(name) ?? []) {
      if (next === start) return [...path, next];
      if (!path.includes(next)) {
        const found = walk(next, [...path, next]);
        if (found) return found;
      }
    }
    return undefined;
  };
  return walk(start, [start]);
}
