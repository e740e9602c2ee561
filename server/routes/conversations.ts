import { Router } from "express";
import { z } from "zod";
import type { Conversations } from "../../platform/conversations.js";
import type { ConversationLog } from "../../platform/conversation-log.js";
import type { LogTail } from "../../platform/log-tail.js";
import { ConversationId, CreateConversationBody, Cursor, PostMessageBody } from "../../shared/api.js";
import { SwitchboardError } from "../../shared/errors.js";
import { parseInput } from "../http-error.js";
import type { MessageIntake } from "../message-intake.js";
import type { RateLimits } from "../rate-limits.js";

const EventsQuery = z.object({
  after: Cursor.optional(),
  /** Long poll: wait up to this many ms for the first new event. */
  wait: z.coerce.number().int().min(0).max(30_000).optional(),
});

export function conversationRoutes(deps: {
  conversations: Conversations;
  conversationLog: ConversationLog;
  tail: LogTail;
  intake: MessageIntake;
  maxMessageChars: number;
  limits: RateLimits;
}): Router {
  const router = Router();
  const messageBody = PostMessageBody(deps.maxMessageChars);

  const owned = async (owner: string, id: string | undefined) => {
    const conversationId = ConversationId.safeParse(id);
    const conversation = conversationId.success ? await deps.conversations.get(owner, conversationId.data) : undefined;
    if (!conversation) throw new SwitchboardError("unknown_conversation", `No conversation "${id}".`);
    return conversation;
  };

  router.post("/conversations", async (request, response) => {
    const body = parseInput(CreateConversationBody, request.body ?? {});
    await deps.limits.consume("conversations", { user: response.locals.identity.user, address: response.locals.address });
    response.status(201).json(await deps.conversations.create(response.locals.identity.user, body.title));
  });

  router.get("/conversations", async (_request, response) => {
    response.json({ conversations: await deps.conversations.list(response.locals.identity.user) });
  });

  router.get("/conversations/:id", async (request, response) => {
    response.json(await owned(response.locals.identity.user, request.params.id));
  });

  router.post("/conversations/:id/messages", async (request, response) => {
    const owner = response.locals.identity.user;
    const conversation = await owned(owner, request.params.id);
    const body = parseInput(messageBody, request.body ?? {}, "invalid_message");
    await deps.limits.consume("messages", { user: owner, address: response.locals.address });
    const eventId = await deps.intake.post({ owner, conversationId: conversation.id, title: conversation.title, ...body });
    response.status(202).json({ eventId });
  });

  router.get("/conversations/:id/events", async (request, response) => {
    const conversation = await owned(response.locals.identity.user, request.params.id);
    const query = parseInput(EventsQuery, request.query, "invalid_query");
    const events = await deps.tail.next(conversation.id, query.after ?? "0", query.wait ?? 0);
    response.json({ events });
  });

  return router;
}
