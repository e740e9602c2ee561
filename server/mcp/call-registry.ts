import type { RedisClient } from "../../platform/redis.js";
import type { Keys } from "../../shared/keys.js";

/** What an MCP tool call is following, so a cancellation can stop it: a user's turn, or a workflow run. */
export type CallTarget = { kind: "turn"; conversationId: string } | { kind: "workflow"; runId: string };

/**
 * The tool calls in flight, by user and JSON-RPC request id, in Redis. The endpoint is stateless:
 * a client's `notifications/cancelled` comes in a POST of its own, which any server process may
 * take, so the process that follows the call is not the one told; this is how that one finds the work.
 * A request id is unique only within one client's connection, so each entry is a set: a
 * cancellation that names an id two calls of the user share stops neither (the client's own
 * disconnect still stops its call, see McpEndpoint).
 */
export class CallRegistry {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    /** Entries outlive the longest call by this margin, then expire (a crashed server leaves none for long). */
    private readonly ttlMs: number,
  ) {}

  /** Records the call; the returned function removes it again. */
  async track(user: string, requestId: string | number, target: CallTarget): Promise<() => Promise<void>> {
    const key = this.keys.mcpCall(user, String(requestId));
    const member = JSON.stringify(target);
    await this.redis.multi().sadd(key, member).pexpire(key, this.ttlMs).exec();
    return async () => {
      await this.redis.srem(key, member);
    };
  }

  /** The work of the user's call with this request id; undefined when none, or when it is not one call's alone. */
  async find(user: string, requestId: string | number): Promise<CallTarget | undefined> {
    const members = await this.redis.smembers(this.keys.mcpCall(user, String(requestId)));
    if (members.length !== 1) return undefined;
    return JSON.parse(members[0] as string) as CallTarget;
  }
}
