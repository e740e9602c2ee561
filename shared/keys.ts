/** Shards are numbered 00–ff: two hex digits in a conversation id. */
export const MAX_SHARDS = 256;

/**
 * A conversation id that carries its shard: `c<shard as 2 hex digits>_<20 random characters>`, 24
 * characters. Ids made before shards existed are `c` and 16 random characters (17 in all), so the
 * length alone tells the two apart and a legacy id never reads as a shard.
 */
const SHARDED_ID = /^c([0-9a-f]{2})_[A-Za-z0-9_-]{20}$/;

/** The id of a new conversation in `shard`, from 20 random id characters. */
export function shardedConversationId(shard: number, random: string): string {
  return `c${shardName(shard)}_${random}`;
}

/** The shard a conversation id carries; undefined for an id made before shards (legacy). */
export function shardOf(conversationId: string): number | undefined {
  const match = SHARDED_ID.exec(conversationId);
  return match?.[1] === undefined ? undefined : Number.parseInt(match[1], 16);
}

const shardName = (shard: number) => shard.toString(16).padStart(2, "0");

/**
 * Redis key names. Every key of one conversation shares one hash tag, so Redis Cluster keeps the
 * whole conversation (log, dedup index, run checkpoints, workflow runs, streaming texts, its channels) in one slot:
 * the shard's tag `{<prefix>:s<NN>}` for a conversation that carries a shard, `{<id>}` for one made
 * before shards. The BullMQ queues of a shard's conversations sit under a prefix with the same tag,
 * because every queue of a flow tree (a turn and its children on other agents' queues) must live in
 * one slot, and the scripts that add a turn and log its events then touch one slot too. Legacy
 * conversations keep the one queue prefix `{<prefix>}:q` they had. See docs/redis-layout.md.
 */
export function keys(prefix: string) {
  const shardTag = (shard: number) => `{${prefix}:s${shardName(shard)}}`;
  const conv = (id: string) => {
    const shard = shardOf(id);
    return shard === undefined ? `${prefix}:conv:{${id}}` : `${prefix}:conv:${shardTag(shard)}:${id}`;
  };
  const shardQueuePrefix = (shard: number) => `${prefix}:${shardTag(shard)}:q`;
  const legacyQueuePrefix = () => `{${prefix}}:q`;
  return {
    prefix,
    /** The conversation log: one stream entry per durable event. */
    events: (conversationId: string) => `${conv(conversationId)}:events`,
    /** Sharded pub/sub channel: each entry appended to the log (`<previous id> <id> <event>`), for live followers. */
    appended: (conversationId: string) => `${conv(conversationId)}:appended`,
    /** Event key → stream id, so a retried producer finds the entry it already wrote. */
    dedup: (conversationId: string) => `${conv(conversationId)}:dedup`,
    /** Conversation metadata hash: owner, title, createdAt. */
    meta: (conversationId: string) => `${conv(conversationId)}:meta`,
    /** Checkpoint of one agent run (JSON), written after every finished step. */
    run: (conversationId: string, runId: string) => `${conv(conversationId)}:run:${runId}`,
    /** The recorded model steps of one agent run (what it was sent, what it answered): step number → JSON. */
    runSteps: (conversationId: string, runId: string) => `${conv(conversationId)}:run:${runId}:steps`,
    /** A workflow run: its state and journal of finished steps, one hash field per step and round. */
    workflowRun: (conversationId: string, runId: string) => `${conv(conversationId)}:wfrun:${runId}`,
    /**
     * The conversation's stop marker (hash: through, by, reason, at): every run of a turn started
     * by a user message up to `through` stops. Durable, so a run resumed after a crash stops too.
     */
    stop: (conversationId: string) => `${conv(conversationId)}:stop`,
    /** Sharded pub/sub channel announcing a stop to the agents processes running the conversation's turns. */
    stops: (conversationId: string) => `${conv(conversationId)}:stops`,
    /** Live-only token deltas of a conversation (sharded pub/sub channel). */
    deltas: (conversationId: string) => `${conv(conversationId)}:deltas`,
    /** Run id → where its streaming text is (attempt, delta count, the event it follows), for clients that join mid-answer (short-lived). */
    streaming: (conversationId: string) => `${conv(conversationId)}:streaming`,
    /** The text a run has streamed and not yet logged (short-lived; its place is in `streaming`). */
    streamingText: (conversationId: string, runId: string) => `${conv(conversationId)}:streaming:${runId}`,
    /** A user's conversations, scored by creation time. */
    ownerConversations: (owner: string) => `${prefix}:owner:{${owner}}:convs`,
    /** A user's workflow runs, scored by start time. */
    ownerWorkflowRuns: (owner: string) => `${prefix}:owner:{${owner}}:wfruns`,
    /** Workflow run id → conversation id, so a run is found by its id alone. */
    workflowRunIndex: () => `${prefix}:wfruns`,
    /** Approvals: approval id → Approval JSON, decided atomically in place. */
    approvals: () => `${prefix}:approvals`,
    /** A user's pending approvals, scored by request time. */
    ownerApprovals: (owner: string) => `${prefix}:owner:{${owner}}:approvals`,
    /** The workflow registry: workflow name → WorkflowSummary JSON. */
    workflows: () => `${prefix}:workflows`,
    /** Catalog workflow sources by version hash, so a pinned run finishes on its own definition. */
    workflowSources: () => `${prefix}:workflows:sources`,
    /** The agent registry: agent name → AgentSpec JSON. */
    agents: () => `${prefix}:agents`,
    /** Bumped on every registry change; a process that sees a new value reloads the team. */
    agentsVersion: () => `${prefix}:agents:version`,
    /** An agent's definitions as they changed, newest first (AgentHistoryEntry JSON), capped. */
    agentHistory: (name: string) => `${prefix}:agents:history:${name}`,
    /** Sharded pub/sub channel announcing registry changes (with the new version) to every agents process. */
    agentsChanged: () => `${prefix}:agents:changed`,
    /** Tools the agents processes offer: tool name → ToolSummary JSON. */
    tools: () => `${prefix}:tools`,
    /** MCP servers added through the API: name → StoredMcpServer JSON (with their headers). */
    mcpServers: () => `${prefix}:mcp:servers`,
    /** Sharded pub/sub channel announcing that the API's MCP servers changed, to every agents process. */
    mcpServersChanged: () => `${prefix}:mcp:servers:changed`,
    /** Each MCP server's state as an agents process last reported it: name → McpServerStatus JSON. */
    mcpServerStates: () => `${prefix}:mcp:states`,
    /** An A2A task a user's client started (the SDK's Task as JSON), kept a while after it ends. */
    a2aTask: (owner: string, taskId: string) => `${prefix}:owner:{${owner}}:a2a:task:${taskId}`,
    /** A user's A2A tasks, scored by their last update. */
    ownerA2aTasks: (owner: string) => `${prefix}:owner:{${owner}}:a2a:tasks`,
    /** The generated access token, shared by every server process of the deployment. */
    accessToken: () => `${prefix}:auth:token`,
    /** The work an MCP tool call of a user's is following, by the call's JSON-RPC request id (a set: two clients may reuse an id). */
    mcpCall: (user: string, requestId: string) => `${prefix}:mcp:{${user}}:call:${requestId}`,
    /** The BullMQ prefix of the queues that carry a conversation's work: its shard's, or the legacy one. */
    queuePrefix: (conversationId: string) => {
      const shard = shardOf(conversationId);
      return shard === undefined ? legacyQueuePrefix() : shardQueuePrefix(shard);
    },
    /** The BullMQ prefix of shard `shard`'s queues. */
    shardQueuePrefix,
    /** The BullMQ prefix conversations made before shards keep: one tag for all their queues. */
    legacyQueuePrefix,
  };
}

export type Keys = ReturnType<typeof keys>;
