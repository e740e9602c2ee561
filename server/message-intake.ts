import { randomBytes } from "node:crypto";
import type { Queues } from "../platform/queues.js";
import type { ConversationLog } from "../platform/conversation-log.js";
import type { Conversations } from "../platform/conversations.js";
import { MANAGER } from "../shared/agent-name.js";

const DEFAULT_TITLE = "New conversation";

/**
 * Makes a user's message durable, then starts the manager's run on it. Both steps are idempotent:
 * a client that retries with the same `clientMsgId` gets the first message's id back, and the
 * run's job id derives from that id, so a retry after a half-done attempt finishes it once.
 */
export class MessageIntake {
  constructor(
    private readonly conversationLog: ConversationLog,
    private readonly conversations: Conversations,
    private readonly queues: Queues,
  ) {}

  async post(input: { owner: string; conversationId: string; title: string; text: string; clientMsgId?: string }): Promise<string> {
    const key = `user:${input.clientMsgId ?? randomBytes(12).toString("base64url")}`;
    // Named before the message is logged, so a client that sees the message finds the new title.
    if (input.title === DEFAULT_TITLE) await this.conversations.rename(input.owner, input.conversationId, titleFrom(input.text));
    const { event } = await this.conversationLog.append(
      input.conversationId,
      { type: "message.user", data: { text: input.text, ...(input.clientMsgId ? { clientMsgId: input.clientMsgId } : {}) } },
      key,
    );
    await this.queues.enqueue({
      v: 1,
      conversationId: input.conversationId,
      // Stream ids are per conversation: two conversations can hold the same one.
      runId: `${input.conversationId}-${event.id}`,
      agent: MANAGER,
      mode: "turn",
      task: event.type === "message.user" ? event.data.text : input.text,
      depth: 0,
      chain: [MANAGER],
      triggerEventId: event.id,
    });
    return event.id;
  }
}

function titleFrom(text: string): string {
  const line = text.trim().split("\n")[0] ?? "";
  return line.length > 60 ? `${line.slice(0, 57)}…` : line;
}
