import { z } from "zod";
import { AgentName } from "./agent-name.js";
import { McpToolPattern, patternServer } from "./mcp.js";

export const AGENT_SPEC_VERSION = 1;
/** In a handoff list: every enabled agent of the team. */
export const EVERY_AGENT = "*";

export const ToolName = z.string().regex(/^[a-z][a-z0-9_]{1,63}$/, "2–64 characters: lowercase letters, digits or '_'");

function unique<T extends z.ZodType<string>>(item: T, what: string) {
  return z.array(item).refine((list) => new Set(list).size === list.length, `${what} must not repeat`);
}

/**
 * An agent as data: what a catalog file holds, what the API accepts, what the registry stores.
 * Tools and handoff targets are names, checked against the registry when the agent is saved.
 */
export const AgentSpecInput = z
  .object({
    name: AgentName,
    description: z.string().trim().min(10, "say in at least 10 characters what the agent does").max(1000),
    instructions: z.string().trim().min(1, "instructions must not be empty").max(8000),
    model: z.string().trim().min(1).max(100).optional(),
    /** Sampling temperature for this agent's model calls; absent, the model's own default. */
    temperature: z.number().min(0).max(2).optional(),
    /** The most tokens one answer of this agent may have (`max_completion_tokens`); absent, no cap of ours. */
    maxTokens: z.number().int().min(1).max(200_000).optional(),
    /** Tool names, and `<server>_*` for every tool an MCP server offers when a run starts. */
    tools: unique(z.union([ToolName, McpToolPattern]), "tools").max(16).default([]),
    handoffs: unique(z.union([AgentName, z.literal(EVERY_AGENT)]), "handoffs").max(32).default([]),
    enabled: z.boolean().default(true),
  })
  .strict();
export type AgentSpecInput = z.input<typeof AgentSpecInput>;

/**
 * A team member that runs elsewhere: its runs send the task to a remote A2A agent (found through
 * its card) instead of calling our model. Only catalog files declare one (operator-controlled);
 * the headers it may need stay in the agents processes that read the file, never in the registry.
 */
export const RemoteAgent = z
  .object({
    kind: z.literal("a2a"),
    /** The URL of the remote agent's card. */
    card: z.url({ protocol: /^https?$/, error: "must be the http(s) URL of the remote agent's card" }),
    /** How long one run may wait for the remote's answer. */
    timeoutMs: z.number().int().min(1000).max(3_600_000).optional(),
  })
  .strict();
export type RemoteAgent = z.infer<typeof RemoteAgent>;

/** What code, catalog files and the API all save: the API's input, and a remote agent's link (catalog only). */
const AgentSpecFieldsSchema = AgentSpecInput.extend({ remote: RemoteAgent.optional() });
/** A validated spec's fields, defaults filled in. */
export type AgentSpecFields = z.output<typeof AgentSpecFieldsSchema>;

export const AgentSource = z.enum(["code", "catalog", "api"]);
export type AgentSource = z.infer<typeof AgentSource>;

/** What the registry stores for one agent. */
export const AgentSpec = AgentSpecFieldsSchema.extend({
  v: z.literal(AGENT_SPEC_VERSION),
  source: AgentSource,
  /** For catalog agents, the file it came from. */
  origin: z.string().optional(),
  updatedAt: z.string(),
});
export type AgentSpec = z.infer<typeof AgentSpec>;

/** How many earlier definitions of an agent its history keeps. */
export const AGENT_HISTORY_LIMIT = 50;

/**
 * One definition of an agent as it was saved, for its history: `n` counts the agent's definitions
 * from 1; `by` is who saved it (a user, or `code` / `catalog` when an agents process seeded it).
 */
export const AgentHistoryEntry = z.object({
  n: z.number().int().positive(),
  change: z.enum(["created", "updated", "deleted", "restored"]),
  by: z.string(),
  at: z.string(),
  /** For a restore, the definition it brought back. */
  restoredFrom: z.number().int().positive().optional(),
  spec: AgentSpec,
});
export type AgentHistoryEntry = z.infer<typeof AgentHistoryEntry>;

/** A tool that agents processes offer, published so servers can check specs against it. */
export const ToolSummary = z.object({
  name: ToolName,
  description: z.string(),
  parameters: z.record(z.string(), z.unknown()),
});
export type ToolSummary = z.infer<typeof ToolSummary>;

/** Live state of an agent, for the agents panel. */
export const AgentStatus = z.object({
  workers: z.number().int().nonnegative(),
  waiting: z.number().int().nonnegative(),
  running: z.number().int().nonnegative(),
  lastActivity: z.string().nullable(),
});
export type AgentStatus = z.infer<typeof AgentStatus>;

/**
 * Whether `tool` names a tool: one in `tools` (every tool offered, MCP servers' included), or one
 * of a known MCP server that has not listed its tools yet (it has not connected), taken on trust.
 */
export function toolKnown(tool: string, tools: ReadonlySet<string>, mcpServers: ReadonlySet<string>): boolean {
  if (tools.has(tool)) return true;
  const server = [...mcpServers].find((name) => tool.startsWith(`${name}_`));
  return server !== undefined && ![...tools].some((known) => known.startsWith(`${server}_`));
}

/**
 * Problems with what a spec names: tools that no agents process offers, handoff targets that are
 * not in the team. Returned as `field: reason` lines, empty when the spec is sound. `<server>_*`
 * needs a known MCP server; a tool of a known server that has not listed its tools yet (it has not
 * connected) is taken on trust, since a call of a tool it lacks is an observation, not a crash.
 */
export function referenceProblems(
  spec: { name: string; tools: string[]; handoffs: string[] },
  known: { agents: Iterable<string>; tools: Iterable<string>; mcpServers?: Iterable<string> },
): string[] {
  const agents = new Set(known.agents);
  const tools = new Set(known.tools);
  const servers = new Set(known.mcpServers ?? []);
  const problems: string[] = [];
  spec.tools.forEach((tool, index) => {
    const pattern = patternServer(tool);
    if (pattern !== undefined) {
      if (!servers.has(pattern)) problems.push(`tools.${index}: no MCP server named "${pattern}" (known: ${[...servers].sort().join(", ") || "none"})`);
      return;
    }
    if (toolKnown(tool, tools, servers)) return;
    problems.push(`tools.${index}: no tool named "${tool}" (known: ${[...tools].sort().join(", ") || "none"})`);
  });
  spec.handoffs.forEach((target, index) => {
    if (target === EVERY_AGENT) return;
    if (target === spec.name) problems.push(`handoffs.${index}: an agent cannot hand off to itself`);
    else if (!agents.has(target)) problems.push(`handoffs.${index}: no agent named "${target}" in the team`);
  });
  return problems;
}
