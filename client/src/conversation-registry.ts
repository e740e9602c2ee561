/**
 * One store per conversation the page has opened, kept while the page lives: switching back is
 * instant, rejoins resume from the held cursor, and a message still being delivered to a
 * conversation the user switched away from lands in the right place.
 */
import {
  conversationReducer,
  initialConversationState,
  type ConversationAction,
  type ConversationState,
} from "./conversation-store.js";
import { createStore, type Store } from "./store.js";

export type ConversationStore = Store<ConversationState, ConversationAction>;

export class ConversationRegistry {
  private readonly stores = new Map<string, ConversationStore>();

  get(conversationId: string): ConversationStore {
    let store = this.stores.get(conversationId);
    if (store === undefined) {
      // Streamed pieces render at most once a frame (issue #11); everything else at once.
      store = createStore(conversationReducer, initialConversationState(conversationId), { coalesce: (action) => action.type === "delta" });
      this.stores.set(conversationId, store);
    }
    return store;
  }
}
