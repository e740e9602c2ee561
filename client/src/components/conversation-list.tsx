import type { Conversation } from "../api.js";
import { formatDateTime, formatRelative } from "../format.js";
import { conversationHref } from "../hooks/use-hash-route.js";
import { useNow } from "../hooks/use-now.js";

export function conversationTitle(conversation: Conversation | undefined): string {
  const title = conversation?.title.trim();
  return title ? title : "New conversation";
}

/** The sidebar: start a conversation, or pick one (the open one is marked as current). */
export function ConversationList({
  conversations,
  selectedId,
  loading,
  error,
  creating,
  onSelect,
  onCreate,
}: {
  conversations: readonly Conversation[];
  selectedId: string | undefined;
  loading: boolean;
  error: string | undefined;
  creating: boolean;
  onSelect: (conversationId: string) => void;
  onCreate: () => void;
}) {
  const now = useNow(60_000);
  return (
    <nav className="conversations" aria-label="Conversations">
      <div className="sidebar-head">
        <h2 className="sidebar-title">Conversations</h2>
        <button type="button" className="button button-primary new-conversation" data-testid="new-conversation" onClick={onCreate} disabled={creating}>
          <svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" focusable="false">
            <path d="M12 5v14M5 12h14" stroke="currentColor" strokeWidth="2.2" strokeLinecap="round" />
          </svg>
          New conversation
        </button>
      </div>
      {error !== undefined && (
        <p className="inline-error" role="alert">
          {error}
        </p>
      )}
      <ul className="conversation-list" data-testid="conversation-list" aria-busy={loading}>
        {conversations.map((conversation) => {
          const current = conversation.id === selectedId;
          return (
            <li key={conversation.id}>
              <a
                href={conversationHref(conversation.id)}
                className={`conversation-link${current ? " is-current" : ""}`}
                aria-current={current ? "page" : undefined}
                data-conversation-id={conversation.id}
                onClick={(event) => {
                  if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
                  event.preventDefault();
                  onSelect(conversation.id);
                }}
              >
                <span className="conversation-title">{conversationTitle(conversation)}</span>
                <time className="conversation-time" dateTime={conversation.createdAt} title={formatDateTime(conversation.createdAt)}>
                  {formatRelative(conversation.createdAt, now)}
                </time>
              </a>
            </li>
          );
        })}
      </ul>
      {!loading && conversations.length === 0 && error === undefined && (
        <p className="muted sidebar-empty">No conversations yet. Write a message to start one.</p>
      )}
    </nav>
  );
}
