import type { AgentRegistry } from "../../platform/agent-registry.js";
import type { Logger } from "../../platform/logger.js";
import type { McpServerStore } from "../../platform/mcp-servers.js";
import { MCP_SERVER_VERSION, type McpServerConfig, type McpServerStatus, type McpToolView } from "../../shared/mcp.js";
import type { AnyTool } from "../define-tool.js";
import { McpConnection, type ConnectionSnapshot } from "./mcp-connection.js";
import { mcpTool, unavailableTool } from "./mcp-tools.js";

/** Where the agents' directory finds MCP tools: by name, all of one server's, and whether anything changed. */
export interface McpToolSource {
  /** A server's tool by its agents' name; for a known server that does not list it now, one whose call says so. */
  tool(name: string): AnyTool | undefined;
  /** Every tool the server offers now; undefined for a server this process does not know. */
  serverTools(server: string): AnyTool[] | undefined;
  /** The servers this process knows, connected or not. */
  servers(): string[];
  /** Bumped whenever a server's tools change. */
  readonly version: number;
}

/**
 * The MCP servers of one agents process: the stdio and HTTP servers its catalog declares and the
 * HTTP servers added through the API (kept in Redis, followed through `sync`). It keeps a
 * connection to each, offers their tools to the agents, and reports each server's state and
 * tools to Redis for `GET /api/mcp-servers` and `GET /api/tools`.
 */
interface Entry {
  connection: McpConnection;
  source: "catalog" | "api";
  /** Its tools as agents see them, by their agents' names. */
  tools: Map<string, AnyTool>;
}

export class McpServers implements McpToolSource {
  private readonly connections = new Map<string, Entry>();
  private toolsVersion = 0;
  private reporting = Promise.resolve();
  private syncing = Promise.resolve();
  private closed = false;

  constructor(
    private readonly store: McpServerStore,
    private readonly registry: AgentRegistry,
    private readonly log: Logger,
    /** This process's name, on what it reports. */
    private readonly reporter: string,
  ) {}

  get version(): number {
    return this.toolsVersion;
  }

  /** Connects to the catalog's servers and the API's, and waits for each one's first attempt (connected or failed). */
  async start(catalog: McpServerConfig[]): Promise<void> {
    for (const config of catalog) this.open(config, "catalog");
    await this.sync();
    await Promise.all([...this.connections.values()].map(({ connection }) => connection.firstAttempt));
    await this.reporting;
  }

  /** Brings the API's servers up to date with Redis: connects new ones, drops removed or changed ones. */
  sync(): Promise<void> {
    this.syncing = this.syncing
      .then(async () => {
        if (this.closed) return;
        const stored = new Map((await this.store.list()).map((server) => [server.name, server]));
        for (const [name, entry] of this.connections) {
          if (entry.source !== "api") continue;
          const wanted = stored.get(name);
          if (wanted && sameConfig(entry.connection.config, wanted)) continue;
          this.connections.delete(name);
          this.toolsVersion += 1;
          await entry.connection.close();
          await this.registry.removeTools([...entry.tools.keys()]);
          this.log.info({ mcpServer: name }, "MCP server removed or changed");
        }
        for (const server of stored.values()) {
          const known = this.connections.get(server.name);
          if (known?.source === "catalog") {
            this.log.warn({ mcpServer: server.name }, "an MCP server added through the API has the name of a catalog one; the catalog's is used");
            continue;
          }
          if (!known) {
            const { v: _v, addedBy: _by, addedAt: _at, ...config } = server;
            this.open(config, "api");
          }
        }
      })
      .catch((error: unknown) => this.log.error({ err: error }, "could not bring the MCP servers up to date; retrying on the next change"));
    return this.syncing;
  }

  tool(name: string): AnyTool | undefined {
    for (const entry of this.connections.values()) {
      if (!name.startsWith(`${entry.connection.name}_`)) continue;
      return entry.tools.get(name) ?? unavailableTool(entry.connection, name);
    }
    return undefined;
  }

  serverTools(server: string): AnyTool[] | undefined {
    const entry = this.connections.get(server);
    return entry ? [...entry.tools.values()] : undefined;
  }

  servers(): string[] {
    return [...this.connections.keys()];
  }

  /** A stdio server's process id while it runs. */
  pid(server: string): number | undefined {
    return this.connections.get(server)?.connection.pid;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.syncing;
    await Promise.all([...this.connections.values()].map(({ connection }) => connection.close()));
    await this.reporting;
  }

  private open(config: McpServerConfig, source: "catalog" | "api"): void {
    const connection = new McpConnection(config, this.log.child({ mcpServer: config.name }), (snapshot) => this.changed(entry, snapshot));
    const entry: Entry = { connection, source, tools: new Map() };
    this.connections.set(config.name, entry);
    connection.start();
  }

  private changed(entry: Entry, snapshot: ConnectionSnapshot): void {
    if (this.connections.get(entry.connection.name) !== entry) return;
    const tools = new Map<string, AnyTool>();
    const views: McpToolView[] = [];
    const problems: string[] = [];
    for (const offered of snapshot.tools) {
      const made = mcpTool(entry.connection, offered);
      if (made.tool && !tools.has(made.tool.name)) {
        tools.set(made.tool.name, made.tool);
        views.push({ name: made.tool.name, tool: offered.name, description: made.tool.description });
      } else problems.push(made.problem ?? `tool "${offered.name}": its name clashes with another tool of the server`);
    }
    if (problems.length > 0) this.log.warn({ mcpServer: entry.connection.name, problems }, "some of the MCP server's tools are not offered");
    const toolsChanged = fingerprint(entry.tools) !== fingerprint(tools);
    if (toolsChanged) {
      // Agents' definitions are rebuilt with the new tools on their next run.
      entry.tools = tools;
      this.toolsVersion += 1;
    }
    this.report(entry, snapshot, views, toolsChanged);
  }

  /** In order, one report at a time: a later state never lands before an earlier one. */
  private report(entry: Entry, snapshot: ConnectionSnapshot, views: McpToolView[], toolsChanged: boolean): void {
    const config = entry.connection.config;
    const tools = [...entry.tools.values()];
    const status: McpServerStatus = {
      v: MCP_SERVER_VERSION,
      name: config.name,
      transport: "url" in config ? "http" : "stdio",
      source: entry.source,
      target: "url" in config ? config.url : [config.command, ...config.args].join(" "),
      headers: "url" in config ? Object.keys(config.headers) : [],
      state: snapshot.state,
      ...(snapshot.reason ? { reason: snapshot.reason } : {}),
      tools: views,
      ...(snapshot.lastError ? { lastError: snapshot.lastError } : {}),
      at: snapshot.at,
      connections: snapshot.connections,
      reportedBy: this.reporter,
    };
    this.reporting = this.reporting
      .then(async () => {
        if (this.connections.get(config.name) !== entry) return;
        if (toolsChanged) await this.registry.publishTools(tools.map((tool) => ({ name: tool.name, description: tool.description, parameters: tool.jsonSchema })));
        await this.store.reportState(status);
      })
      .catch((error: unknown) => this.log.warn({ err: error, mcpServer: config.name }, "could not report the MCP server's state"));
  }
}

/** What agents see of a server's tools: names, descriptions, schemas. */
function fingerprint(tools: Map<string, AnyTool>): string {
  return JSON.stringify([...tools.values()].map((tool) => [tool.name, tool.description, tool.jsonSchema]));
}

function sameConfig(a: McpServerConfig, b: McpServerConfig): boolean {
  if (!("url" in a) || !("url" in b)) return false;
  return a.url === b.url && a.timeoutMs === b.timeoutMs && JSON.stringify(a.headers) === JSON.stringify(b.headers);
}
