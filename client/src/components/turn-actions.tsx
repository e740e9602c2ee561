import { createContext, useContext, useId, useState, type FormEvent, type KeyboardEvent, type ReactNode } from "react";
import type { RunCancelledEvent } from "../chat-items.js";
import type { MessageEvent } from "../chat-items.js";
import "./turn-actions.css";

/** Retry and edit for the messages of the open conversation; absent where the chat is read-only. */
export interface TurnActions {
  /** A turn is running: retry and edit wait until it ends or is stopped. */
  running: boolean;
  lastUserId: string | undefined;
  lastAnswerId: string | undefined;
  /** Each resolves to a problem to show, or undefined once the new message is durable. */
  retry: (eventId: string) => Promise<string | undefined>;
  edit: (eventId: string, text: string) => Promise<string | undefined>;
}

export const TurnActionsContext = createContext<TurnActions | undefined>(undefined);

/** A user message's Edit: the text in place, to change and send again as a new message. */
export function UserMessageActions({ event, children }: { event: MessageEvent; children: ReactNode }) {
  const actions = useContext(TurnActionsContext);
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState(event.data.text);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const inputId = useId();
  if (actions === undefined) return <>{children}</>;

  const submit = async (): Promise<void> => {
    if (text.trim() === "" || busy) return;
    setBusy(true);
    const problem = await actions.edit(event.id, text);
    setBusy(false);
    setError(problem);
    if (problem === undefined) setEditing(false);
  };
  const onSubmit = (form: FormEvent): void => {
    form.preventDefault();
    void submit();
  };
  const onKeyDown = (key: KeyboardEvent<HTMLTextAreaElement>): void => {
    if (key.key === "Escape") setEditing(false);
    if (key.key === "Enter" && !key.shiftKey && !key.nativeEvent.isComposing) {
      key.preventDefault();
      void submit();
    }
  };

  if (editing) {
    return (
      <form className="message-edit" onSubmit={onSubmit} data-testid="message-edit">
        <label htmlFor={inputId} className="sr-only">
          Edit your message
        </label>
        <textarea id={inputId} className="message-edit-input" data-testid="message-edit-input" value={text} autoFocus onChange={(e) => setText(e.target.value)} onKeyDown={onKeyDown} />
        {error !== undefined && (
          <p className="message-action-error" role="alert">
            {error}
          </p>
        )}
        <span className="message-actions">
          <button type="submit" className="button button-small" data-testid="message-edit-send" disabled={busy || text.trim() === ""}>
            Send
          </button>
          <button type="button" className="button button-small button-quiet" onClick={() => setEditing(false)}>
            Cancel
          </button>
        </span>
      </form>
    );
  }
  return (
    <>
      {children}
      <span className="message-actions turn-actions">
        <button
          type="button"
          className="link-button"
          data-testid="edit-message"
          aria-label="Edit this message and send it again"
          disabled={actions.running}
          title={actions.running ? "Stop the running turn first" : undefined}
          onClick={() => {
            setText(event.data.text);
            setError(undefined);
            setEditing(true);
          }}
        >
          Edit
        </button>
      </span>
      {error !== undefined && (
        <p className="message-action-error" role="alert">
          {error}
        </p>
      )}
    </>
  );
}

/** Retry on the newest answer: a new run of the message it answered. */
export function AnswerRetry({ eventId }: { eventId: string }) {
  const actions = useContext(TurnActionsContext);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const target = actions?.lastUserId;
  if (actions === undefined || target === undefined || actions.lastAnswerId !== eventId) return null;
  const retry = async (): Promise<void> => {
    setBusy(true);
    setError(await actions.retry(target));
    setBusy(false);
  };
  return (
    <span className="message-actions turn-actions">
      <button type="button" className="link-button" data-testid="retry-answer" aria-label="Retry: answer this message again" disabled={busy} onClick={() => void retry()}>
        Retry
      </button>
      {error !== undefined && (
        <span className="message-action-error" role="alert">
          {error}
        </span>
      )}
    </span>
  );
}

/** A run a person stopped: who, and what it had written, shown as stopped rather than as an answer. */
export function RunStoppedNotice({ event }: { event: RunCancelledEvent }) {
  const agent = event.agent ?? "An agent";
  const partial = event.data.partialText;
  return (
    <div className="event-notice run-stopped" data-testid="run-stopped" data-event-id={event.id} data-run-id={event.runId}>
      <p>
        {agent}'s run was <strong>stopped by {event.data.by}</strong>.
      </p>
      {partial !== undefined && (
        <p className="stopped-text" data-testid="stopped-text">
          {partial}
          <span className="stopped-mark"> — stopped</span>
        </p>
      )}
    </div>
  );
}

/** What a retry or an edit replaced: collapsed under "Replaced", dimmed when shown. */
export function ReplacedBlock({ count, children }: { count: number; children: ReactNode }) {
  return (
    <details className="replaced-block" data-testid="replaced">
      <summary>
        Replaced <span className="muted">({count === 1 ? "1 item" : `${count} items`}, superseded by a retry or an edit)</span>
      </summary>
      <div className="replaced-items">{children}</div>
    </details>
  );
}
