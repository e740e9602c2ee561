import { useEffect } from "react";
import type { SwitchboardApi } from "../api.js";
import type { ConversationRegistry } from "../conversation-registry.js";
import type { ConversationState } from "../conversation-store.js";
import { followConversation, type SwitchboardSocket } from "../socket.js";
import { useStoreState } from "./use-store.js";

const REST_FALLBACK_MS = 1_500;

/**
 * Follows the open conversation: joins it over the socket (and again after each reconnect, from
 * the held cursor), and reads it over REST when the socket is slow to come up, so history shows
 * even while live updates cannot. Leaves when another conversation is opened.
 */
export function useConversationFeed(
  conversationId: string | undefined,
  socket: SwitchboardSocket,
  api: SwitchboardApi,
  registry: ConversationRegistry,
): ConversationState | undefined {
  const store = conversationId === undefined ? undefined : registry.get(conversationId);
  const state = useStoreState(store, undefined);

  useEffect(() => {
    if (conversationId === undefined || store === undefined) return;
    const controller = new AbortController();
    // The socket usually connects within moments and its join brings the history; only when it
    // does not (a proxy that blocks WebSockets, a server still starting) is REST worth a request.
    const fallback = setTimeout(() => {
      if (socket.connected || store.getState().synced) return;
      const after = store.getState().cursor;
      api.listEvents(conversationId, after, controller.signal).then(
        (events) => store.dispatch({ type: "history", events, source: "rest", after, at: Date.now() }),
        () => {
          // The socket join reports what is wrong once it connects; this was only a head start.
        },
      );
    }, REST_FALLBACK_MS);
    const stop = followConversation(socket, conversationId, {
      cursor: () => store.getState().cursor,
      onHistory: (events, after, streams) => store.dispatch({ type: "history", events, source: "join", after, at: Date.now(), streams }),
      onLive: (event) => store.dispatch({ type: "live", event, at: Date.now() }),
      onDelta: (delta) => store.dispatch({ type: "delta", delta }),
      onDisconnect: () => store.dispatch({ type: "disconnected" }),
      onJoinError: (message) => store.dispatch({ type: "join-failed", message }),
    });
    return () => {
      clearTimeout(fallback);
      controller.abort();
      stop();
      // Not following any more: live events stop, so the cursor must not be trusted to move.
      store.dispatch({ type: "disconnected" });
    };
  }, [conversationId, store, socket, api]);

  return state;
}
