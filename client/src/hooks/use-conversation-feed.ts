import { useEffect } from "react";
import type { SwitchboardApi } from "../api.js";
import type { ConversationRegistry } from "../conversation-registry.js";
import type { ConversationStore } from "../conversation-registry.js";
import type { ConversationState } from "../conversation-store.js";
import { followConversation, type SwitchboardSocket } from "../socket.js";
import { useStoreSelection } from "./use-store.js";

const REST_FALLBACK_MS = 1_500;

/** The conversation as the page around the chat needs it: everything but the text being streamed. */
export type ConversationView = Omit<ConversationState, "streams" | "seq">;

function viewOf(state: ConversationState): ConversationView {
  const { streams: _streams, seq: _seq, ...view } = state;
  return view;
}

function sameView(a: ConversationView, b: ConversationView): boolean {
  return (Object.keys(a) as (keyof ConversationView)[]).every((key) => a[key] === b[key]);
}

/**
 * Follows the open conversation: joins it over the socket (and again after each reconnect, from
 * the held cursor), and reads it over REST when the socket is slow to come up, so history shows
 * even while live updates cannot. Leaves when another conversation is opened. Returns the
 * conversation's store and its view without the streamed text: a streamed word re-renders what
 * reads the store's streams (the chat), not every component given the view (issue #11).
 */
export function useConversationFeed(
  conversationId: string | undefined,
  socket: SwitchboardSocket,
  api: SwitchboardApi,
  registry: ConversationRegistry,
): { view: ConversationView | undefined; store: ConversationStore | undefined } {
  const store = conversationId === undefined ? undefined : registry.get(conversationId);
  const view = useStoreSelection(store, viewOf, sameView, undefined);

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

  return { view, store };
}
