import { randomBytes } from "node:crypto";
import type { Queues } from "../platform/queues.js";
import type { ConversationLog } from "../platform/conversation-log.js";
import type { Conversations } from "../platform/conversations.js";
import { MANAGER } from "../shared/agent-name.js";
import type { AgentSpec } from "../shared/agent-spec.js";
import { SwitchboardError } from "../shared/errors.js";

const DEFAULT_TITLE = "New conversation";

/**
 * Makes a user's message durable, then starts the manager's run on it (or, in a conversation that
 * talks to one agent directly, that agent's). Both steps are idempotent: a client that retries
 * with the same `clientMsgId` gets the first message's id back, and the run's job id derives from
 * that id, so a retry after a half-done attempt finishes it once.
 */
export class MessageIntake {
  constructor(
    private readonly conversationLog: ConversationLog,
    private readonly conversations: Conversations,
    private readonly queues: Queues,
    private readonly agents: { get(name: string): Promise<AgentSpec | undefined> },
  ) {}

  /**
   * Refuses an agent that a conversation cannot talk to directly: the manager (every conversation
   * talks to it already), one that does not exist, or one that is disabled.
   */
  async checkDirectAgent(name: string, when: "create" | "post"): Promise<void> {
    if (name === MANAGER && when === "create") {
      throw new SwitchboardError("invalid_request", `Every conversation talks to the ${MANAGER} already: leave "agent" out.`);
    }
    const agent = await this.agents.get(name);
    if (agent === undefined) {
      throw when === "create"
        ? new SwitchboardError("unknown_agent", `No agent "${name}": GET /api/agents lists the team.`)
        : new SwitchboardError("agent_unavailable", `This conversation talks to ${name} directly, and ${name} was deleted: start a new conversation.`, { agent: name });
    }
    if (agent.enabled === false) {
      throw new SwitchboardError(
        "agent_unavailable",
        when === "create"
          ? `${name} is disabled: enable it in the agents panel first.`
          : `This conversation talks to ${name} directly, and ${name} is disabled: enable it, or start a new conversation.`,
        { agent: name },
      );
    }
  }

  /**
   * `replaces`: a retry or an edit of the user message with that event id (see TurnControl).
   * `directAgent`: the conversation's, whose turn this message starts instead of the manager's.
   */
  async post(input: {
    owner: string;
    conversationId: string;
    title: string;
    text: string;
    clientMsgId?: string;
    replaces?: { eventId: string; mode: "retry" | "edit" };
    directAgent?: string;
  }): Promise<string> {
    // Refused before anything is logged: a message nobody will answer is not kept.
    if (input.directAgent !== undefined) await this.checkDirectAgent(input.directAgent, "post");
    const agent = input.directAgent ?? MANAGER;
    const key = `user:${input.clientMsgId ?? randomBytes(12).toString("base64url")}`;
    // Named before the message is logged, so a client that sees the message finds the new title.
    if (input.title === DEFAULT_TITLE) await this.conversations.nameAutomatically(input.owner, input.conversationId, titleFrom(input.text));
    const { event } = await this.conversationLog.append(
      input.conversationId,
      {
        type: "message.user",
        data: {
          text: input.text,
          ...(input.clientMsgId ? { clientMsgId: input.clientMsgId } : {}),
          ...(input.replaces ? { replaces: input.replaces.eventId, mode: input.replaces.mode } : {}),
        },
      },
      key,
    );
    await this.queues.enqueue({
      v: 1,
      conversationId: input.conversationId,
      // Stream ids are per conversation: two conversations can hold the same one.
      runId: `${input.conversationId}-${event.id}`,
      agent,
      mode: "turn",
      task: event.type === "message.user" ? event.data.text : input.text,
      depth: 0,
      chain: [agent],
      triggerEventId: event.id,
      // From the logged message: a resend finds the first one's.
      ...(event.type === "message.user" && event.data.replaces ? { replaces: event.data.replaces } : {}),
    });
    return event.id;
  }
}

function titleFrom(text: string): string {
  const line = text.trim().split("\n")[0] ?? "";
  return line.length > 60 ? `${line.slice(0, 57)}…` : line;
}
