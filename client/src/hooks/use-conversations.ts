import { useCallback, useEffect, useRef, useState } from "react";
import { RequestError, type Conversation, type SwitchboardApi } from "../api.js";
import { useRefreshOnFocus } from "./use-refresh-on-focus.js";

export interface ConversationsState {
  conversations: readonly Conversation[];
  loading: boolean;
  error: string | undefined;
  refresh: () => Promise<void>;
  create: (title?: string) => Promise<Conversation>;
}

/** The user's conversations, newest first; refreshed when the window regains focus. */
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
    async (title?: string) => {
      try {
        const conversation = await api.createConversation(title);
        setConversations((list) => [conversation, ...list.filter((item) => item.id !== conversation.id)]);
        return conversation;
      } catch (caught) {
        if (caught instanceof RequestError && caught.unauthorized) unauthorized.current(caught.message);
        throw caught;
      }
    },
    [api],
  );

  return { conversations, loading, error, refresh, create };
}
