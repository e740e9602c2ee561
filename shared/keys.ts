/**
 * Redis key names. Keys of one conversation share the hash tag `{<id>}` so Redis Cluster keeps the
 * whole conversation (log, dedup index, run checkpoints) on one shard; the BullMQ control plane sits
 * under one tagged prefix because every queue of a flow tree must live on one slot.
 */
export function keys(prefix: string) {
  const conv = (id: string) => `${prefix}:conv:{${id}}`;
  return {
    prefix,
    /** The conversation log: one stream entry per durable event. */
    events: (conversationId: string) => `${conv(conversationId)}:events`,
    /** Event key → stream id, so a retried producer finds the entry it already wrote. */
    dedup: (conversationId: string) => `${conv(conversationId)}:dedup`,
    /** Conversation metadata hash: owner, title, createdAt. */
    meta: (conversationId: string) => `${conv(conversationId)}:meta`,
    /** Checkpoint of one agent run (JSON), written after every finished step. */
    run: (conversationId: string, runId: string) => `${conv(conversationId)}:run:${runId}`,
    /** A workflow run: its state and journal of finished steps, one hash field per step and round. */
    workflowRun: (conversationId: string, runId: string) => `${conv(conversationId)}:wfrun:${runId}`,
    /** Live-only token deltas of a conversation (pub/sub channel). */
    deltas: (conversationId: string) => `${conv(conversationId)}:deltas`,
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
    /** Pub/sub channel announcing registry changes to every agents process. */
    agentsChanged: () => `${prefix}:agents:changed`,
    /** Tools the agents processes offer: tool name → ToolSummary JSON. */
    tools: () => `${prefix}:tools`,
    /** The generated access token, shared by every server process of the deployment. */
    accessToken: () => `${prefix}:auth:token`,
    /** BullMQ prefix: all agent queues share one hash tag. */
    queuePrefix: () => `{${prefix}}:q`,
  };
}

export type Keys = ReturnType<typeof keys>;
