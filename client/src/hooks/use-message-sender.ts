import { useCallback, useMemo } from "react";
import type { ConversationRegistry } from "../conversation-registry.js";
import { deliverMessage, newClientMsgId } from "../send-message.js";
import type { SwitchboardSocket } from "../socket.js";

export interface MessageSender {
  send(conversationId: string, text: string): void;
  retry(conversationId: string, clientMsgId: string): void;
  discard(conversationId: string, clientMsgId: string): void;
}

/** Sends messages through the conversation's outbox: pending until acknowledged, failed with a retry. */
export function useMessageSender(socket: SwitchboardSocket, registry: ConversationRegistry): MessageSender {
  const deliver = useCallback(
    (conversationId: string, clientMsgId: string, text: string) => {
      const store = registry.get(conversationId);
      void deliverMessage(socket, { conversationId, text, clientMsgId }).then((result) =>
        store.dispatch(
          result.ok
            ? { type: "send-acked", clientMsgId, eventId: result.eventId }
            : { type: "send-failed", clientMsgId, message: result.message },
        ),
      );
    },
    [socket, registry],
  );

  const send = useCallback(
    (conversationId: string, text: string) => {
      const clientMsgId = newClientMsgId();
      registry.get(conversationId).dispatch({ type: "send-started", clientMsgId, text });
      deliver(conversationId, clientMsgId, text);
    },
    [registry, deliver],
  );

  const retry = useCallback(
    (conversationId: string, clientMsgId: string) => {
      const store = registry.get(conversationId);
      const message = store.getState().outbox.find((item) => item.clientMsgId === clientMsgId);
      if (message === undefined || message.status !== "failed") return;
      store.dispatch({ type: "send-retried", clientMsgId });
      // Same clientMsgId: if an earlier attempt did reach the server, it keeps one copy.
      deliver(conversationId, clientMsgId, message.text);
    },
    [registry, deliver],
  );

  const discard = useCallback(
    (conversationId: string, clientMsgId: string) => registry.get(conversationId).dispatch({ type: "send-discarded", clientMsgId }),
    [registry],
  );

  // One object while its parts stay: the callbacks built on it are handed to memoized components.
  return useMemo(() => ({ send, retry, discard }), [send, retry, discard]);
}
