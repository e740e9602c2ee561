import type { AgentRegistry } from "../platform/agent-registry.js";
import type { Logger } from "../platform/logger.js";
import type { AgentSpec } from "../shared/agent-spec.js";
import type { AgentDirectory } from "./agent-directory.js";
import type { AgentDefinition } from "./define-agent.js";
import type { AnyTool } from "./define-tool.js";

/**
 * The team as the registry holds it, turned into runnable definitions with this process's tools.
 * `refresh()` costs one GET when nothing changed, so the runtime calls it at the start of every
 * job and routing always sees the registry as it is.
 */
export class RegistryDirectory implements AgentDirectory {
  private agents = new Map<string, AgentDefinition>();
  private loadedVersion = -1;
  private loading: Promise<void> | undefined;

  constructor(
    private readonly registry: AgentRegistry,
    private readonly tools: ReadonlyMap<string, AnyTool>,
    private readonly log: Logger,
  ) {}

  get(name: string): AgentDefinition | undefined {
    return this.agents.get(name);
  }

  list(): AgentDefinition[] {
    return [...this.agents.values()];
  }

  async refresh(): Promise<void> {
    const version = await this.registry.version();
    if (version === this.loadedVersion) return;
    // Concurrent jobs share one reload.
    this.loading ??= this.reload(version).finally(() => (this.loading = undefined));
    await this.loading;
  }

  private async reload(version: number): Promise<void> {
    const next = new Map<string, AgentDefinition>();
    for (const spec of await this.registry.list()) {
      if (!spec.enabled) continue;
      const definition = this.toDefinition(spec);
      if (definition) next.set(spec.name, definition);
    }
    this.agents = next;
    this.loadedVersion = version;
  }

  private toDefinition(spec: AgentSpec): AgentDefinition | undefined {
    const tools: AnyTool[] = [];
    for (const name of spec.tools) {
      const tool = this.tools.get(name);
      if (!tool) {
        this.log.warn({ agent: spec.name, tool: name }, "this process does not have a tool the agent needs; not running it here");
        return undefined;
      }
      tools.push(tool);
    }
    return {
      name: spec.name,
      description: spec.description,
      instructions: spec.instructions,
      ...(spec.model ? { model: spec.model } : {}),
      tools,
      handoffs: spec.handoffs,
    };
  }
}
