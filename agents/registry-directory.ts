import type { AgentRegistry } from "../platform/agent-registry.js";
import type { Logger } from "../platform/logger.js";
import type { AgentSpec } from "../shared/agent-spec.js";
import type { AgentDirectory } from "./agent-directory.js";
import type { AgentDefinition } from "./define-agent.js";
import type { AnyTool } from "./define-tool.js";
import type { McpToolSource } from "./mcp/mcp-servers.js";
import { patternServer } from "../shared/mcp.js";

/**
 * The team as the registry holds it, turned into runnable definitions with this process's tools.
 * The runtime calls `refresh()` at the start of every job; it costs nothing until the registry's
 * change announcements (`noteChange`) or the periodic `resync` say the team changed, and then one
 * GET of the version and one read of the registry.
 */
export class RegistryDirectory implements AgentDirectory {
  private agents = new Map<string, AgentDefinition>();
  private loadedVersion = -1;
  /** The MCP tools' version the definitions were built with: a server's tools that changed rebuild them. */
  private loadedMcpVersion = -1;
  /** The registry may hold another version than the one loaded: the next refresh reads it. */
  private stale = true;
  private loading: Promise<void> | undefined;

  constructor(
    private readonly registry: AgentRegistry,
    private readonly tools: ReadonlyMap<string, AnyTool>,
    private readonly log: Logger,
    /** Headers for remote agents, by agent name, from the catalog files this process read. */
    private readonly remoteHeaders: ReadonlyMap<string, Record<string, string>> = new Map(),
    /** MCP servers' tools: named one by one, or all of a server's as `<server>_*`. */
    private readonly mcp?: McpToolSource,
  ) {}

  get(name: string): AgentDefinition | undefined {
    return this.agents.get(name);
  }

  list(): AgentDefinition[] {
    return [...this.agents.values()];
  }

  /** A change was announced with the registry's version after it. */
  noteChange(version: number): void {
    if (version !== this.loadedVersion) this.stale = true;
  }

  async refresh(): Promise<void> {
    if (!this.stale && (this.mcp?.version ?? -1) === this.loadedMcpVersion) return;
    // Concurrent jobs share one reload.
    this.loading ??= this.reload().finally(() => (this.loading = undefined));
    await this.loading;
  }

  /** Reads the version from Redis whatever was announced: the safety net for an announcement missed. */
  async resync(): Promise<void> {
    this.stale = true;
    await this.refresh();
  }

  private async reload(): Promise<void> {
    // Cleared first: a change announced while this reads marks the view stale again.
    this.stale = false;
    try {
      const version = await this.registry.version();
      const mcpVersion = this.mcp?.version ?? -1;
      if (version === this.loadedVersion && mcpVersion === this.loadedMcpVersion) return;
      const next = new Map<string, AgentDefinition>();
      for (const spec of await this.registry.list()) {
        if (!spec.enabled) continue;
        const definition = this.toDefinition(spec);
        if (definition) next.set(spec.name, definition);
      }
      this.agents = next;
      this.loadedVersion = version;
      this.loadedMcpVersion = mcpVersion;
    } catch (error) {
      this.stale = true;
      throw error;
    }
  }

  private toDefinition(spec: AgentSpec): AgentDefinition | undefined {
    const tools: AnyTool[] = [];
    for (const name of spec.tools) {
      const server = patternServer(name);
      if (server !== undefined) {
        const offered = this.mcp?.serverTools(server);
        if (!offered) {
          this.log.warn({ agent: spec.name, mcpServer: server }, "this process does not know an MCP server the agent needs; not running it here");
          return undefined;
        }
        tools.push(...offered.filter((tool) => !tools.some((known) => known.name === tool.name)));
        continue;
      }
      const tool = this.tools.get(name) ?? this.mcp?.tool(name);
      if (!tool) {
        this.log.warn({ agent: spec.name, tool: name }, "this process does not have a tool the agent needs; not running it here");
        return undefined;
      }
      if (!tools.some((known) => known.name === tool.name)) tools.push(tool);
    }
    return {
      name: spec.name,
      description: spec.description,
      instructions: spec.instructions,
      ...(spec.model ? { model: spec.model } : {}),
      ...(spec.temperature !== undefined ? { temperature: spec.temperature } : {}),
      ...(spec.maxTokens !== undefined ? { maxTokens: spec.maxTokens } : {}),
      tools,
      handoffs: spec.handoffs,
      ...(spec.remote ? { remote: { ...spec.remote, headers: this.remoteHeaders.get(spec.name) ?? {} } } : {}),
    };
  }
}
