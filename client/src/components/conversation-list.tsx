import { memo, useCallback, useEffect, useId, useMemo, useRef, useState, type KeyboardEvent } from "react";
import { MAX_TITLE_CHARS, hasVisibleText } from "../../../shared/api.js";
import type { Conversation, ConversationHit } from "../api.js";
import { groupByDate } from "../conversation-groups.js";
import { formatDateTime, formatRelative } from "../format.js";
import { conversationHref } from "../hooks/use-hash-route.js";
import { useNow } from "../hooks/use-now.js";
import { countRender } from "../render-count.js";

export function conversationTitle(conversation: Conversation | undefined): string {
  const title = conversation?.title.trim();
  return title ? title : "New conversation";
}

/** Waits this long after the last keystroke before asking the server to search messages. */
const SEARCH_DEBOUNCE_MS = 250;
/** A one-letter query would match nearly every message: the server is asked from two on. */
const SERVER_SEARCH_MIN_CHARS = 2;

/** As the server compares: case-insensitive. */
const fold = (text: string) => text.toLowerCase();

type SearchState = { query: string; hits: ReadonlyMap<string, ConversationHit>; problem: string | undefined };

/** The server's answer for `query` (titles and message text), debounced; stale answers are dropped. */
function useServerSearch(query: string, search: (query: string, signal: AbortSignal) => Promise<ConversationHit[]>): SearchState | undefined {
  const [state, setState] = useState<SearchState | undefined>();
  useEffect(() => {
    if (query.length < SERVER_SEARCH_MIN_CHARS) return;
    const abort = new AbortController();
    const timer = setTimeout(() => {
      search(query, abort.signal).then(
        (hits) => setState({ query, hits: new Map(hits.map((hit) => [hit.id, hit])), problem: undefined }),
        (caught: unknown) => {
          if (abort.signal.aborted) return;
          setState({ query, hits: new Map(), problem: `Could not search messages: ${caught instanceof Error ? caught.message : "unknown error"}` });
        },
      );
    }, SEARCH_DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
      abort.abort();
    };
  }, [query, search]);
  return state?.query === query ? state : undefined;
}

export interface ConversationListProps {
  conversations: readonly Conversation[];
  selectedId: string | undefined;
  loading: boolean;
  error: string | undefined;
  creating: boolean;
  onSelect: (conversationId: string) => void;
  onCreate: () => void;
  /** Resolves to undefined once renamed, or to what went wrong. */
  onRename: (conversationId: string, title: string) => Promise<string | undefined>;
  /** Resolves to undefined once deleted, or to what went wrong. */
  onDelete: (conversationId: string) => Promise<string | undefined>;
  onSearch: (query: string, signal: AbortSignal) => Promise<ConversationHit[]>;
}

/**
 * The sidebar: start a conversation, search, or pick one (the open one is marked as current),
 * grouped by the day it started; each has a menu to rename or delete it. Rows are memoized and
 * get only stable props, so a list of hundreds does not re-render while an answer streams.
 */
export const ConversationList = memo(function ConversationList({
  conversations,
  selectedId,
  loading,
  error,
  creating,
  onSelect,
  onCreate,
  onRename,
  onDelete,
  onSearch,
}: ConversationListProps) {
  countRender("conversation-list");
  const now = useNow(60_000);
  const [input, setInput] = useState("");
  const query = input.trim();
  const server = useServerSearch(query, onSearch);
  const searching = query.length >= SERVER_SEARCH_MIN_CHARS && server === undefined;

  // Titles filter at once, here; the server's matches (message text too) join when they come.
  const shown = useMemo(() => {
    if (query === "") return conversations;
    const needle = fold(query);
    const hits = server?.hits;
    const listed = conversations.filter((conversation) => fold(conversation.title).includes(needle) || hits?.has(conversation.id));
    const known = new Set(conversations.map((conversation) => conversation.id));
    const more = hits === undefined ? [] : [...hits.values()].filter((hit) => !known.has(hit.id));
    return [...listed, ...more];
  }, [conversations, query, server]);
  const groups = useMemo(() => groupByDate(shown, now), [shown, now]);
  const headingId = useId();

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
        <input
          type="search"
          className="text-input conversation-search"
          data-testid="conversation-search"
          placeholder="Search titles and messages"
          aria-label="Search conversations by title and message text"
          value={input}
          maxLength={MAX_TITLE_CHARS}
          onChange={(event) => setInput(event.target.value)}
          onKeyDown={(event) => {
            if (event.key === "Escape" && input !== "") {
              event.stopPropagation();
              setInput("");
            }
          }}
        />
      </div>
      {error !== undefined && (
        <p className="inline-error" role="alert">
          {error}
        </p>
      )}
      {server?.problem !== undefined && (
        <p className="inline-error" role="alert">
          {server.problem}
        </p>
      )}
      <ul className="conversation-list" data-testid="conversation-list" aria-busy={loading || searching}>
        {groups.map((group, index) => (
          <li key={group.label} className="conversation-group">
            <h3 className="conversation-group-label" id={`${headingId}-${index}`}>
              {group.label}
            </h3>
            <ul className="conversation-group-items" aria-labelledby={`${headingId}-${index}`}>
              {group.items.map((conversation) => (
                <ConversationRow
                  key={conversation.id}
                  conversation={conversation}
                  current={conversation.id === selectedId}
                  match={server?.hits.get(conversation.id)?.match}
                  now={now}
                  onSelect={onSelect}
                  onRename={onRename}
                  onDelete={onDelete}
                />
              ))}
            </ul>
          </li>
        ))}
      </ul>
      {query !== "" && shown.length === 0 && !searching && (
        <p className="muted sidebar-empty" role="status">
          No conversation matches “{query}”.
        </p>
      )}
      {query === "" && !loading && conversations.length === 0 && error === undefined && (
        <p className="muted sidebar-empty">No conversations yet. Write a message to start one.</p>
      )}
    </nav>
  );
});

type RowMode = "view" | "menu" | "rename" | "confirm";

/** One conversation: its link, and a menu to rename it inline or delete it after a confirmation. */
const ConversationRow = memo(function ConversationRow({
  conversation,
  current,
  match,
  now,
  onSelect,
  onRename,
  onDelete,
}: {
  conversation: Conversation;
  current: boolean;
  /** What a search found, when it found it in a message rather than the title. */
  match: ConversationHit["match"] | undefined;
  now: number;
  onSelect: (conversationId: string) => void;
  onRename: (conversationId: string, title: string) => Promise<string | undefined>;
  onDelete: (conversationId: string) => Promise<string | undefined>;
}) {
  const title = conversationTitle(conversation);
  const [mode, setMode] = useState<RowMode>("view");
  const [draft, setDraft] = useState(title);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | undefined>();
  const menuButton = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLDivElement>(null);
  const renameInput = useRef<HTMLInputElement>(null);
  const cancelDelete = useRef<HTMLButtonElement>(null);
  const menuId = useId();

  // Each mode takes focus where the keyboard continues: the first item, the title, the safe answer.
  useEffect(() => {
    if (mode === "menu") menu.current?.querySelector<HTMLElement>('[role="menuitem"]')?.focus();
    if (mode === "rename") renameInput.current?.select();
    if (mode === "confirm") cancelDelete.current?.focus();
  }, [mode]);

  const close = useCallback(() => {
    setMode("view");
    // After the row re-renders without the menu, focus goes back to where it was opened.
    requestAnimationFrame(() => menuButton.current?.focus());
  }, []);

  const onMenuKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const items = [...(menu.current?.querySelectorAll<HTMLElement>('[role="menuitem"]') ?? [])];
    const at = items.indexOf(document.activeElement as HTMLElement);
    if (event.key === "Escape") {
      event.stopPropagation();
      close();
    } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      items[(at + step + items.length) % items.length]?.focus();
    } else if (event.key === "Home" || event.key === "End") {
      event.preventDefault();
      (event.key === "Home" ? items[0] : items.at(-1))?.focus();
    } else if (event.key === "Tab") {
      setMode("view");
    }
  };

  // Enter, Escape and the blur that follows them must settle a rename once.
  const settled = useRef(false);
  const saveRename = async () => {
    if (settled.current) return;
    const next = draft.trim();
    if (!hasVisibleText(next)) return setProblem("A title needs at least one visible character.");
    settled.current = true;
    if (next === title) return close();
    setBusy(true);
    const failed = await onRename(conversation.id, next);
    setBusy(false);
    setProblem(failed);
    if (failed === undefined) close();
    else settled.current = false;
  };

  const confirmDelete = async () => {
    setBusy(true);
    const failed = await onDelete(conversation.id);
    // Deleted: the row is gone with it. Refused: say why and keep it.
    if (failed !== undefined) {
      setBusy(false);
      setProblem(failed);
      close();
    }
  };

  return (
    <li className={`conversation-item${current ? " is-current" : ""}`} data-testid="conversation-item" data-conversation-title={title}>
      {mode === "rename" ? (
        <form
          className="conversation-rename"
          onSubmit={(event) => {
            event.preventDefault();
            void saveRename();
          }}
        >
          <input
            ref={renameInput}
            className="text-input"
            data-testid="rename-input"
            aria-label={`New title for ${title}`}
            value={draft}
            maxLength={MAX_TITLE_CHARS}
            disabled={busy}
            aria-invalid={problem !== undefined}
            onChange={(event) => setDraft(event.target.value)}
            onKeyDown={(event) => {
              if (event.key === "Escape") {
                event.stopPropagation();
                settled.current = true;
                setProblem(undefined);
                close();
              }
            }}
            onBlur={() => void saveRename()}
          />
        </form>
      ) : (
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
          <span className="conversation-title">{title}</span>
          {match?.in === "message" && <span className="conversation-match">{match.text}</span>}
          <time className="conversation-time" dateTime={conversation.createdAt} title={formatDateTime(conversation.createdAt)}>
            {formatRelative(conversation.createdAt, now)}
          </time>
        </a>
      )}
      {mode !== "rename" && (
        <button
          ref={menuButton}
          type="button"
          className="icon-button conversation-menu-button"
          data-testid="conversation-menu"
          aria-label={`Actions for ${title}`}
          aria-haspopup="menu"
          aria-expanded={mode === "menu"}
          aria-controls={mode === "menu" ? menuId : undefined}
          disabled={busy}
          onClick={() => setMode((open) => (open === "menu" ? "view" : "menu"))}
        >
          <svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" focusable="false">
            <circle cx="5" cy="12" r="1.8" fill="currentColor" />
            <circle cx="12" cy="12" r="1.8" fill="currentColor" />
            <circle cx="19" cy="12" r="1.8" fill="currentColor" />
          </svg>
        </button>
      )}
      {mode === "menu" && (
        <div
          ref={menu}
          id={menuId}
          role="menu"
          aria-label={`Actions for ${title}`}
          className="conversation-menu"
          onKeyDown={onMenuKeyDown}
          onBlur={(event) => {
            if (!event.currentTarget.contains(event.relatedTarget as Node | null) && event.relatedTarget !== menuButton.current) setMode("view");
          }}
        >
          <button
            type="button"
            role="menuitem"
            data-testid="rename-conversation"
            onClick={() => {
              setDraft(title);
              setProblem(undefined);
              settled.current = false;
              setMode("rename");
            }}
          >
            Rename
          </button>
          <button
            type="button"
            role="menuitem"
            className="is-danger"
            data-testid="delete-conversation"
            onClick={() => {
              setProblem(undefined);
              setMode("confirm");
            }}
          >
            Delete
          </button>
        </div>
      )}
      {mode === "confirm" && (
        <div className="conversation-confirm" role="group" aria-label={`Delete ${title}?`}>
          <span>
            Delete <strong>{title}</strong>? Its messages and runs go with it.
          </span>
          <span className="conversation-confirm-actions">
            <button type="button" className="button button-danger button-small" data-testid="confirm-delete-conversation" disabled={busy} onClick={() => void confirmDelete()}>
              Delete
            </button>
            <button ref={cancelDelete} type="button" className="button button-small" disabled={busy} onClick={close}>
              Cancel
            </button>
          </span>
        </div>
      )}
      {problem !== undefined && (
        <p className="inline-error conversation-problem" role="alert">
          {problem}
        </p>
      )}
    </li>
  );
});
