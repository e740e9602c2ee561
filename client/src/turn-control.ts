/**
 * Stop, retry and edit from the page: over the socket while it is connected (acknowledged), over
 * REST otherwise. Each resolves to a problem to show, or undefined when the server took it.
 */
import { z } from "zod";
import { pendingRuns } from "../../shared/turn-status.js";
import type { Event } from "../../shared/events.js";
import { RequestError, type SwitchboardApi } from "./api.js";
import { newClientMsgId } from "./send-message.js";
import { awaitAck, type SwitchboardSocket } from "./socket.js";

const ACK_TIMEOUT_MS = 10_000;
const Stopped = z.object({ stopped: z.array(z.string()), by: z.string() });
const Sent = z.object({ eventId: z.string() });

function problem(caught: unknown, what: string): string {
  if (caught instanceof RequestError) return caught.message;
  return `Could not ${what}: the Switchboard server could not be reached.`;
}

export async function stopTurn(socket: SwitchboardSocket, api: SwitchboardApi, conversationId: string): Promise<string | undefined> {
  if (socket.connected) {
    try {
      const result = await awaitAck(Stopped, (callback) => socket.timeout(ACK_TIMEOUT_MS).emit("turn:stop", { conversationId }, callback));
      return result.ok ? undefined : result.message;
    } catch {
      // No acknowledgement: REST says what happened (a stop repeated is harmless).
    }
  }
  try {
    await api.stopTurn(conversationId);
    return undefined;
  } catch (caught) {
    return problem(caught, "stop the turn");
  }
}

/** Retries (the same text) or edits (new text) user message `eventId`; one `clientMsgId` for every attempt, so it is sent once. */
export async function replaceMessage(
  socket: SwitchboardSocket,
  api: SwitchboardApi,
  request: { conversationId: string; eventId: string; mode: "retry" | "edit"; text?: string },
): Promise<string | undefined> {
  const clientMsgId = newClientMsgId();
  if (socket.connected) {
    try {
      const result = await awaitAck(Sent, (callback) =>
        request.mode === "edit"
          ? socket.timeout(ACK_TIMEOUT_MS).emit("message:edit", { conversationId: request.conversationId, eventId: request.eventId, text: request.text ?? "", clientMsgId }, callback)
          : socket.timeout(ACK_TIMEOUT_MS).emit("message:retry", { conversationId: request.conversationId, eventId: request.eventId, clientMsgId }, callback),
      );
      return result.ok ? undefined : result.message;
    } catch {
      // No acknowledgement: the same clientMsgId over REST finds the message if it was taken.
    }
  }
  try {
    await api.replaceMessage(request.conversationId, request.eventId, { mode: request.mode, clientMsgId, ...(request.text === undefined ? {} : { text: request.text }) });
    return undefined;
  } catch (caught) {
    return problem(caught, request.mode === "edit" ? "send the edited message" : "retry the message");
  }
}

/** What the controls need from the log: whether a turn runs, and the last user message and answer. */
export interface TurnView {
  running: boolean;
  lastUserId: string | undefined;
  /** The newest answer of the newest turn, once that turn has ended: the one a Retry is offered on. */
  lastAnswerId: string | undefined;
}

export function deriveTurnView(conversationId: string | undefined, events: readonly Event[]): TurnView {
  if (conversationId === undefined) return { running: false, lastUserId: undefined, lastAnswerId: undefined };
  const running = pendingRuns(conversationId, events).length > 0;
  let lastUserId: string | undefined;
  let lastAnswerId: string | undefined;
  for (const event of events) {
    if (event.type === "message.user") {
      lastUserId = event.id;
      lastAnswerId = undefined;
    }
    if (event.type === "message.agent" && lastUserId !== undefined) lastAnswerId = event.id;
  }
  return { running, lastUserId, lastAnswerId: running ? undefined : lastAnswerId };
}
