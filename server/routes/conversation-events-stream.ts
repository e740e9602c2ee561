import { Router } from "express";
import type { Conversations } from "../../platform/conversations.js";
import type { LogTail } from "../../platform/log-tail.js";
import { ConversationId, Cursor } from "../../shared/api.js";
import { SwitchboardError } from "../../shared/errors.js";
import { parseInput } from "../http-error.js";

/** A comment line this often keeps proxies and the client from taking a quiet stream for a dead one. */
export const HEARTBEAT_MS = 15_000;
/** Unsent bytes a client may fall behind by; past that the stream ends and the client resumes from its last id. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

/**
 * `GET /api/conversations/:id/events/stream`: the conversation's events as server-sent events, one
 * `id: <stream id>` / `data: <event JSON>` message each, in order, once each. It starts after
 * `Last-Event-ID` (what a reconnecting client sends), else after `?after=`, else at the start of the
 * log, and follows the conversation through the server's one shared log tail, as the socket
 * gateway does: no Redis connection or blocking read per client. Only logged events are sent;
 * streamed text deltas, which have no stream id to resume from, are the socket's.
 */
export function conversationEventsStreamRoutes(deps: { conversations: Conversations; tail: LogTail }): Router {
  const router = Router();

  router.get("/conversations/:id/events/stream", async (request, response) => {
    const owner = response.locals.identity.user;
    const id = ConversationId.safeParse(request.params.id);
    const conversation = id.success ? await deps.conversations.get(owner, id.data) : undefined;
    if (!conversation) throw new SwitchboardError("unknown_conversation", `No conversation "${request.params.id}".`);
    const lastEventId = request.get("last-event-id");
    const after =
      lastEventId !== undefined
        ? parseInput(Cursor, lastEventId.trim(), "invalid_query")
        : parseInput(Cursor.optional(), request.query.after, "invalid_query");

    response.writeHead(200, {
      "Content-Type": "text/event-stream; charset=utf-8",
      // no-transform: a compressing proxy would hold events back until its buffer fills.
      "Cache-Control": "no-cache, no-transform",
      "X-Accel-Buffering": "no",
    });
    response.flushHeaders();
    request.socket.setNoDelay(true);

    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      clearInterval(heartbeat);
      unsubscribe();
      response.end();
    };
    const heartbeat = setInterval(() => response.write(": heartbeat\n\n"), HEARTBEAT_MS);
    const unsubscribe = deps.tail.subscribe(conversation.id, after ?? "0", (event) => {
      if (ended) return;
      response.write(`id: ${event.id}\ndata: ${JSON.stringify(event)}\n\n`);
      // A client that does not read would make the server hold its events in memory without bound.
      if (response.writableLength > MAX_BUFFERED_BYTES) end();
    });
    response.once("close", end);
    // The client may have gone while the conversation was looked up: then "close" has been and gone.
    if (request.socket.destroyed) end();
  });

  return router;
}
