import { useCallback, useEffect, useRef, useState } from "react";
import { RequestError, type Conversation, type ConversationHit, type SwitchboardApi } from "../api.js";
import { useRefreshOnFocus } from "./use-refresh-on-focus.js";

export interface ConversationsState {
  conversations: readonly Conversation[];
  loading: boolean;
  error: string | undefined;
  refresh: () => Promise<void>;
  create: (title?: string, options?: { automatic?: boolean; agent?: string }) => Promise<Conversation>;
  /** Resolves to undefined once renamed, or to what went wrong, in words. */
  rename: (conversationId: string, title: string) => Promise<string | undefined>;
  /** Resolves to undefined once deleted (it leaves the list), or to what went wrong, in words. */
  remove: (conversationId: string) => Promise<string | undefined>;
  search: (query: string, signal?: AbortSignal) => Promise<ConversationHit[]>;
}

/**
 * The user's conversations, newest first; refreshed when the window regains focus, which is how a
 * rename or a deletion made in another tab shows here.
 */
export function useConversations(api: SwitchboardApi, onUnauthorized: (message: string) => void): ConversationsState {
  const [conversations, setConversations] = useState<readonly Conversation[]>([]);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | undefined>();
  const unauthorized = useRef(onUnauthorized);
  useEffect(() => {
    unauthorized.current = onUnauthorized;
  }, [onUnauthorized]);

  const refresh = useCallback(async () => {
    try {
      const list = await api.listConversations();
      setConversations(list);
      setError(undefined);
    } catch (caught) {
      if (caught instanceof RequestError && caught.unauthorized) unauthorized.current(caught.message);
      else setError(caught instanceof Error ? caught.message : "Could not load conversations.");
    } finally {
      setLoading(false);
    }
  }, [api]);

  useRefreshOnFocus(refresh);

  const create = useCallback(
    async (title?: string, options?: { automatic?: boolean; agent?: string }) => {
      try {
        const conversation = await api.createConversation(title, options);
        setConversations((list) => [conversation, ...list.filter((item) => item.id !== conversation.id)]);
        return conversation;
      } catch (caught) {
        if (caught instanceof RequestError && caught.unauthorized) unauthorized.current(caught.message);
        throw caught;
      }
    },
    [api],
  );

  /** What went wrong, in words; a refused token goes to the token screen. A conversation gone elsewhere leaves the list. */
  const failure = useCallback((caught: unknown, conversationId: string, what: string): string => {
    if (caught instanceof RequestError && caught.unauthorized) unauthorized.current(caught.message);
    if (caught instanceof RequestError && caught.code === "unknown_conversation") {
      setConversations((list) => list.filter((item) => item.id !== conversationId));
    }
    return `Could not ${what}: ${caught instanceof Error ? caught.message : "unknown error"}`;
  }, []);

  const rename = useCallback(
    async (conversationId: string, title: string) => {
      try {
        const renamed = await api.renameConversation(conversationId, title);
        setConversations((list) => list.map((item) => (item.id === renamed.id ? renamed : item)));
        return undefined;
      } catch (caught) {
        return failure(caught, conversationId, "rename it");
      }
    },
    [api, failure],
  );

  const remove = useCallback(
    async (conversationId: string) => {
      try {
        await api.deleteConversation(conversationId);
        setConversations((list) => list.filter((item) => item.id !== conversationId));
        return undefined;
      } catch (caught) {
        // Deleted already (in another tab): what was asked for is done.
        if (caught instanceof RequestError && caught.code === "unknown_conversation") {
          setConversations((list) => list.filter((item) => item.id !== conversationId));
          return undefined;
        }
        return failure(caught, conversationId, "delete it");
      }
    },
    [api, failure],
  );

  const search = useCallback((query: string, signal?: AbortSignal) => api.searchConversations(query, signal), [api]);

  return { conversations, loading, error, refresh, create, rename, remove, search };
}
