import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { CallToolResult, Tool as McpTool } from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "../../platform/logger.js";
import { DEFAULT_MCP_TIMEOUT_MS, type McpConnectionState, type McpServerConfig } from "../../shared/mcp.js";
import { ToolError } from "../errors.js";

/** The first pause before connecting again, doubled after each failed attempt up to the cap. */
const RECONNECT_FIRST_MS = 250;
const RECONNECT_MAX_MS = 30_000;

export type { McpTool };

/** What a connection reports when its state or its tools change. */
export interface ConnectionSnapshot {
  state: McpConnectionState;
  reason?: string;
  tools: McpTool[];
  lastError?: { message: string; at: string };
  at: string;
  connections: number;
}

/** The SDK loads with the first server to connect: a team without MCP servers never pays for it. */
let sdk: Promise<{ client: typeof import("@modelcontextprotocol/sdk/client/index.js"); stdio: typeof import("@modelcontextprotocol/sdk/client/stdio.js"); http: typeof import("@modelcontextprotocol/sdk/client/streamableHttp.js") }> | undefined;
function loadSdk() {
  sdk ??= Promise.all([
    import("@modelcontextprotocol/sdk/client/index.js"),
    import("@modelcontextprotocol/sdk/client/stdio.js"),
    import("@modelcontextprotocol/sdk/client/streamableHttp.js"),
  ]).then(([client, stdio, http]) => ({ client, stdio, http }));
  return sdk;
}

/**
 * One MCP server, through the official SDK's client: connects, lists the server's tools (again
 * whenever the server says they changed), calls them with a timeout, and when the connection
 * drops or a connect fails, connects again with growing pauses until it is closed. The tools last
 * listed are kept while it is down, so agents still see them and a call gets an observation that
 * says the server is not connected.
 */
export class McpConnection {
  private client: Client | undefined;
  private transport: Transport | undefined;
  private snapshot: ConnectionSnapshot = { state: "connecting", tools: [], at: new Date().toISOString(), connections: 0 };
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private settledOnce!: () => void;
  /** Resolves once the first attempt has connected or failed. */
  readonly firstAttempt = new Promise<void>((resolve) => (this.settledOnce = resolve));

  constructor(
    readonly config: McpServerConfig,
    private readonly log: Logger,
    private readonly onChange: (snapshot: ConnectionSnapshot) => void,
  ) {}

  get name(): string {
    return this.config.name;
  }

  get state(): ConnectionSnapshot {
    return this.snapshot;
  }

  /** The process id of a stdio server while it runs. */
  get pid(): number | undefined {
    return this.transport && "pid" in this.transport ? ((this.transport as StdioClientTransport).pid ?? undefined) : undefined;
  }

  start(): void {
    void this.connect();
  }

  /**
   * Calls one of the server's tools. A refusal, an error result, a timeout or a connection that is
   * down all throw a `ToolError` whose message the model reads.
   */
  async call(tool: string, args: unknown): Promise<unknown> {
    const client = this.client;
    if (!client || this.snapshot.state !== "connected") {
      throw new ToolError(`MCP server ${this.name} is not connected (${this.snapshot.reason ?? this.snapshot.state}); try again later or answer without it.`);
    }
    const timeout = this.config.timeoutMs ?? DEFAULT_MCP_TIMEOUT_MS;
    let result: CallToolResult;
    try {
      result = (await client.callTool({ name: tool, arguments: args as Record<string, unknown> }, undefined, { timeout })) as CallToolResult;
    } catch (error) {
      const message = errorText(error);
      this.noteError(message);
      throw new ToolError(`MCP server ${this.name}: ${tool} failed: ${message}`);
    }
    const output = resultOutput(result);
    if (result.isError) throw new ToolError(`MCP server ${this.name}: ${tool} reported an error: ${typeof output === "string" ? output : JSON.stringify(output)}`);
    return output;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    const client = this.client;
    this.client = undefined;
    await client?.close().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const { client: clientSdk, stdio, http } = await loadSdk();
    const transport = this.createTransport(stdio, http);
    const client = new clientSdk.Client(
      { name: "switchboard", version: "1.0.0" },
      {
        capabilities: {},
        listChanged: {
          tools: {
            onChanged: (error, tools) => {
              if (this.client !== client) return;
              if (error) this.noteError(`could not list the tools again: ${errorText(error)}`);
              else if (tools) this.update({ tools });
            },
          },
        },
      },
    );
    client.onclose = () => {
      if (this.client !== client || this.closed) return;
      this.client = undefined;
      this.dropped("the connection closed");
    };
    client.onerror = (error) => this.log.debug({ err: error, mcpServer: this.name }, "MCP transport error");
    this.transport = transport;
    try {
      // The entry's timeout is for tool calls; starting a server and listing its tools gets the default.
      await client.connect(transport, { timeout: DEFAULT_MCP_TIMEOUT_MS });
      const tools = await listAll(client, DEFAULT_MCP_TIMEOUT_MS);
      if (this.closed) {
        await client.close();
        return;
      }
      this.client = client;
      this.failures = 0;
      this.update({ state: "connected", reason: undefined, tools, connections: this.snapshot.connections + 1 });
      this.log.info({ mcpServer: this.name, tools: tools.length }, "MCP server connected");
    } catch (error) {
      await client.close().catch(() => undefined);
      this.failures += 1;
      const message = errorText(error);
      const delay = this.nextDelay();
      this.noteError(message, { state: "failed", reason: `${message}; connecting again in ${Math.ceil(delay / 1000)} s` });
      this.log.warn({ mcpServer: this.name, reason: message, retryInMs: delay }, "could not connect to the MCP server");
      this.schedule(delay);
    } finally {
      this.settledOnce();
    }
  }

  private dropped(why: string): void {
    this.log.warn({ mcpServer: this.name }, `MCP server dropped: ${why}; reconnecting`);
    this.noteError(why, { state: "connecting", reason: `${why}; reconnecting` });
    this.schedule(this.nextDelay());
  }

  private nextDelay(): number {
    return Math.min(RECONNECT_MAX_MS, RECONNECT_FIRST_MS * 2 ** Math.max(0, this.failures - 1));
  }

  private schedule(delay: number): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.connect(), delay);
    this.timer.unref();
  }

  private createTransport(stdio: typeof import("@modelcontextprotocol/sdk/client/stdio.js"), http: typeof import("@modelcontextprotocol/sdk/client/streamableHttp.js")): Transport {
    const config = this.config;
    if ("url" in config) {
      return new http.StreamableHTTPClientTransport(new URL(config.url), { requestInit: { headers: config.headers } });
    }
    const transport = new stdio.StdioClientTransport({
      command: config.command,
      args: config.args,
      env: { ...stdio.getDefaultEnvironment(), ...config.env },
      stderr: "pipe",
    });
    transport.stderr?.on("data", (chunk: Buffer) => this.log.debug({ mcpServer: this.name, stderr: chunk.toString().trimEnd() }, "MCP server stderr"));
    return transport;
  }

  private noteError(message: string, change: Partial<ConnectionSnapshot> = {}): void {
    this.update({ ...change, lastError: { message, at: new Date().toISOString() } });
  }

  private update(change: Partial<ConnectionSnapshot>): void {
    const stateChanged = change.state !== undefined && change.state !== this.snapshot.state;
    this.snapshot = { ...this.snapshot, ...change, ...(stateChanged ? { at: new Date().toISOString() } : {}) };
    if (this.snapshot.state === "connected") delete this.snapshot.reason;
    this.onChange(this.snapshot);
  }
}

/** Every page of the server's tool list. */
async function listAll(client: Client, timeout: number): Promise<McpTool[]> {
  const tools: McpTool[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listTools(cursor ? { cursor } : {}, { timeout });
    tools.push(...page.tools);
    cursor = page.nextCursor;
  } while (cursor);
  return tools;
}

/** What the model reads of a result: its structured content, else its text (other parts named by type). */
function resultOutput(result: CallToolResult): unknown {
  if (result.structuredContent !== undefined) return result.structuredContent;
  const parts = (result.content ?? []).map((part) => (part.type === "text" ? part.text : `[${part.type}${"mimeType" in part ? ` ${String(part.mimeType)}` : ""}]`));
  return parts.join("\n");
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
