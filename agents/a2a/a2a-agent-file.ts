import { z } from "zod";
import { AgentName } from "../../shared/agent-name.js";
import { RemoteAgent } from "../../shared/agent-spec.js";
import type { CatalogEntry } from "../catalog.js";

/** An HTTP header name (RFC 9110 token). */
const HeaderName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, "not an HTTP header name");

/**
 * A catalog file of `kind: a2a-agent`: a remote A2A agent that joins the team under `name`. The
 * description, when absent, is the card's; `headers` (e.g. `Authorization`) go with every request
 * to the remote and stay in the agents process: the registry, and so the API, never shows them.
 */
export const A2aAgentFile = z
  .object({
    name: AgentName,
    card: RemoteAgent.shape.card,
    description: z.string().trim().min(10, "say in at least 10 characters what the agent does").max(1000).optional(),
    headers: z.record(HeaderName, z.string()).default({}),
    timeoutMs: RemoteAgent.shape.timeoutMs,
    enabled: z.boolean().default(true),
  })
  .strict();
export type A2aAgentFile = z.output<typeof A2aAgentFile>;

/** The description a remote agent has until its card says more (the card could not be read, or said nothing). */
export function placeholderDescription(card: string): string {
  return `A remote A2A agent; its card is at ${card}`.slice(0, 1000);
}

/** A remote agent's file as a team member: no model, tools or handoffs of ours; its card does the describing. */
export function a2aAgentEntry(fields: Record<string, unknown>, file: string): { entry?: CatalogEntry; problems: string[] } {
  const parsed = A2aAgentFile.safeParse(fields);
  if (!parsed.success) return { problems: parsed.error.issues.map((issue) => `${file}: ${issue.path.join(".") || "(file)"}: ${issue.message}`) };
  const { name, card, description, headers, timeoutMs, enabled } = parsed.data;
  return {
    problems: [],
    entry: {
      file,
      spec: {
        name,
        description: description ?? placeholderDescription(card),
        instructions: `Hands the task to the remote A2A agent whose card is at ${card}; its reply is the answer.`,
        tools: [],
        handoffs: [],
        enabled,
        remote: { kind: "a2a", card, ...(timeoutMs !== undefined ? { timeoutMs } : {}) },
      },
      remote: { headers, describeFromCard: description === undefined },
    },
  };
}
