import { Router } from "express";
import { z } from "zod";
import type { ConversationRemoval } from "../../platform/conversation-removal.js";
import type { Conversations } from "../../platform/conversations.js";
import type { ConversationLog } from "../../platform/conversation-log.js";
import type { LogTail } from "../../platform/log-tail.js";
import type { RunSteps } from "../../platform/run-steps.js";
import {
  ConversationId,
  ConversationsQuery,
  CreateConversationBody,
  Cursor,
  PostMessageBody,
  RenameConversationBody,
} from "../../shared/api.js";
import { SwitchboardError } from "../../shared/errors.js";
import { RunId, type RunStepsResponse } from "../../shared/run-steps.js";
import { parseInput } from "../http-error.js";
import type { MessageIntake } from "../message-intake.js";
import type { TurnControl } from "../turn-control.js";
import { EditMessageBody, RetryMessageBody, StopTurnBody } from "../../shared/turn-control.js";
import type { RateLimits } from "../rate-limits.js";

const EventsQuery = z.object({
  after: Cursor.optional(),
  /** Long poll: wait up to this many ms for the first new event. */
  wait: z.coerce.number().int().min(0).max(30_000).optional(),
});

export function conversationRoutes(deps: {
  conversations: Conversations;
  removal: ConversationRemoval;
  conversationLog: ConversationLog;
  tail: LogTail;
  intake: MessageIntake;
  turns: TurnControl;
  runSteps: RunSteps;
  maxMessageChars: number;
  limits: RateLimits;
}): Router {
  const router = Router();
  const messageBody = PostMessageBody(deps.maxMessageChars);
  const editBody = EditMessageBody(deps.maxMessageChars);

  const owned = async (owner: string, id: string | undefined) => {
    const conversationId = ConversationId.safeParse(id);
    const conversation = conversationId.success ? await deps.conversations.get(owner, conversationId.data) : undefined;
    if (!conversation) throw new SwitchboardError("unknown_conversation", `No conversation "${id}".`);
    return conversation;
  };

  router.post("/conversations", async (request, response) => {
    const body = parseInput(CreateConversationBody, request.body ?? {});
    if (body.agent !== undefined) await deps.intake.checkDirectAgent(body.agent, "create");
    await deps.limits.consume("conversations", { user: response.locals.identity.user, address: response.locals.address });
    const conversation = await deps.conversations.create(response.locals.identity.user, body.title, {
      automatic: body.automatic === true,
      ...(body.agent === undefined ? {} : { directAgent: body.agent }),
    });
    response.status(201).json(conversation);
  });

  router.get("/conversations", async (request, response) => {
    const { q } = parseInput(ConversationsQuery, request.query, "invalid_query");
    const owner = response.locals.identity.user;
    response.json({ conversations: q ? await deps.conversations.search(owner, q) : await deps.conversations.list(owner) });
  });

  router.get("/conversations/:id", async (request, response) => {
    response.json(await owned(response.locals.identity.user, request.params.id));
  });

  router.patch("/conversations/:id", async (request, response) => {
    const owner = response.locals.identity.user;
    const conversation = await owned(owner, request.params.id);
    const body = parseInput(RenameConversationBody, request.body ?? {});
    const renamed = await deps.conversations.rename(owner, conversation.id, body.title);
    if (!renamed) throw new SwitchboardError("unknown_conversation", `No conversation "${conversation.id}".`);
    response.json(renamed);
  });

  // A conversation with a turn or workflow run still going is refused: stopping it first keeps a
  // run from writing into a conversation that is gone.
  router.delete("/conversations/:id", async (request, response) => {
    const owner = response.locals.identity.user;
    const id = ConversationId.safeParse(request.params.id);
    const outcome = id.success ? await deps.removal.remove(owner, id.data) : "not_found";
    if (outcome === "not_found") throw new SwitchboardError("unknown_conversation", `No conversation "${request.params.id}".`);
    if (outcome !== "removed") {
      throw new SwitchboardError("turn_running", "A turn is still going in this conversation: stop it (or wait for it to end), then delete.", {
        runs: outcome.busy,
      });
    }
    response.status(204).end();
  });

  router.post("/conversations/:id/messages", async (request, response) => {
    const owner = response.locals.identity.user;
    const conversation = await owned(owner, request.params.id);
    const body = parseInput(messageBody, request.body ?? {}, "invalid_message");
    await deps.limits.consume("messages", { user: owner, address: response.locals.address });
    const eventId = await deps.intake.post({ owner, conversationId: conversation.id, title: conversation.title, directAgent: conversation.directAgent, ...body });
    response.status(202).json({ eventId });
  });

  // Stop, retry and edit: the owner's only (another user's conversation is unknown to them).
  router.post("/conversations/:id/stop", async (request, response) => {
    const identity = response.locals.identity;
    const conversation = await owned(identity.user, request.params.id);
    const body = parseInput(StopTurnBody, request.body ?? {});
    response.status(202).json(await deps.turns.stop(conversation.id, identity.user, body.reason));
  });

  router.post("/conversations/:id/messages/:eventId/retry", async (request, response) => {
    const owner = response.locals.identity.user;
    const conversation = await owned(owner, request.params.id);
    const body = parseInput(RetryMessageBody, request.body ?? {});
    const admit = () => deps.limits.consume("messages", { user: owner, address: response.locals.address });
    const eventId = await deps.turns.replace({ owner, conversation, eventId: request.params.eventId, mode: "retry", ...body, admit });
    response.status(202).json({ eventId });
  });

  router.post("/conversations/:id/messages/:eventId/edit", async (request, response) => {
    const owner = response.locals.identity.user;
    const conversation = await owned(owner, request.params.id);
    const body = parseInput(editBody, request.body ?? {}, "invalid_message");
    const admit = () => deps.limits.consume("messages", { user: owner, address: response.locals.address });
    const eventId = await deps.turns.replace({ owner, conversation, eventId: request.params.eventId, mode: "edit", ...body, admit });
    response.status(202).json({ eventId });
  });

  router.get("/conversations/:id/events", async (request, response) => {
    const conversation = await owned(response.locals.identity.user, request.params.id);
    const query = parseInput(EventsQuery, request.query, "invalid_query");
    const events = await deps.tail.next(conversation.id, query.after ?? "0", query.wait ?? 0);
    response.json({ events });
  });

  // What each model step of a run was sent and answered: the owner's and the admin's to read; to
  // anyone else the conversation does not exist. A run with nothing recorded (not yet at its first
  // answer, expired, or unknown) has no steps.
  router.get("/conversations/:id/runs/:runId/steps", async (request, response) => {
    const { user, admin } = response.locals.identity;
    const id = ConversationId.safeParse(request.params.id);
    const owner = id.success ? await deps.conversations.owner(id.data) : undefined;
    if (!id.success || owner === undefined || (owner !== user && !admin)) {
      throw new SwitchboardError("unknown_conversation", `No conversation "${request.params.id}".`);
    }
    const runId = parseInput(RunId, request.params.runId);
    const body: RunStepsResponse = { runId, steps: await deps.runSteps.list(id.data, runId) };
    response.json(body);
  });

  return router;
}
