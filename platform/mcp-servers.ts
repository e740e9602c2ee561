import { MCP_SERVER_VERSION, McpServerStatus, StoredMcpServer, type McpHttpServerInput } from "../shared/mcp.js";
import type { Keys } from "../shared/keys.js";
import type { Logger } from "./logger.js";
import type { RedisClient } from "./redis.js";

/**
 * The MCP servers in Redis: the HTTP ones added through the API (the server process writes them,
 * every agents process connects to them) and the state of every server as agents processes report
 * it. A change to the added servers is announced on a sharded channel; agents processes also
 * re-read them periodically, in case an announcement was missed.
 */
export class McpServerStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly log: Logger,
  ) {}

  async list(): Promise<StoredMcpServer[]> {
    const entries = await this.redis.hgetall(this.keys.mcpServers());
    return Object.entries(entries).flatMap(([name, raw]) => {
      const server = parse(StoredMcpServer, raw);
      if (!server) this.log.error({ mcpServer: name }, "skipping an unreadable MCP server in Redis");
      return server ? [server] : [];
    });
  }

  /** Adds the server; undefined when one by that name was added already. */
  async add(input: McpHttpServerInput, by: string): Promise<StoredMcpServer | undefined> {
    const server: StoredMcpServer = { ...input, v: MCP_SERVER_VERSION, addedBy: by, addedAt: new Date().toISOString() };
    const added = await this.redis.hsetnx(this.keys.mcpServers(), server.name, JSON.stringify(server));
    if (added === 0) return undefined;
    await this.announce();
    return server;
  }

  /** Removes an added server and its reported state; false when no such server was added. */
  async remove(name: string): Promise<boolean> {
    const removed = await this.redis.hdel(this.keys.mcpServers(), name);
    if (removed === 0) return false;
    await this.redis.hdel(this.keys.mcpServerStates(), name);
    await this.announce();
    return true;
  }

  async states(): Promise<McpServerStatus[]> {
    const entries = await this.redis.hgetall(this.keys.mcpServerStates());
    return Object.values(entries).flatMap((raw) => {
      const status = parse(McpServerStatus, raw);
      return status ? [status] : [];
    });
  }

  async reportState(status: McpServerStatus): Promise<void> {
    await this.redis.hset(this.keys.mcpServerStates(), status.name, JSON.stringify(status));
  }

  async forgetState(name: string): Promise<void> {
    await this.redis.hdel(this.keys.mcpServerStates(), name);
  }

  private async announce(): Promise<void> {
    await this.redis.spublish(this.keys.mcpServersChanged(), "changed");
  }
}

function parse<T>(schema: { safeParse(value: unknown): { success: true; data: T } | { success: false } }, raw: string): T | undefined {
  try {
    const parsed = schema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
