import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { useMediaQuery } from "../hooks/use-media-query.js";

const MAX_HEIGHT_PX = 220;

/** Which keys do what, said under the box. */
const KEYS_HINT = "Enter to send · Shift+Enter for a new line";
const TOUCH_HINT = "Enter starts a new line · the send button sends";

/**
 * The message box. Enter sends, Shift+Enter adds a line (and Enter while an input method is
 * composing, e.g. Japanese, does not send). On a touch screen the on-screen keyboard's Enter adds
 * a line, as it does in phone messaging apps, and the button sends. `onSend` resolves false when
 * the text could not be taken (no conversation could be created), and the text is put back. While
 * a turn runs and the box is empty, the send button is a Stop button; typing turns it back into
 * Send (the message waits its turn).
 */
export function Composer({
  onSend,
  running = false,
  onStop,
  focusKey,
  hint,
  recipient,
}: {
  onSend: (text: string) => Promise<boolean>;
  /** A turn is running in the conversation: the button stops it. */
  running?: boolean;
  /** Stops the running turn; resolves once the server took the stop (or refused it). */
  onStop?: () => Promise<void>;
  /** Focus moves here when this changes (a conversation was opened or created). */
  focusKey: string | undefined;
  /** Said under the box instead of which keys do what (e.g. that the page is offline). */
  hint: string | undefined;
  /** Who reads the messages: one agent in a direct conversation, else the team (through the manager). */
  recipient?: string | undefined;
}) {
  const [value, setValue] = useState("");
  const textarea = useRef<HTMLTextAreaElement>(null);
  const inputId = useId();
  const hintId = useId();
  const empty = value.trim() === "";
  const [stopping, setStopping] = useState(false);
  const stoppable = running && empty && onStop !== undefined;
  const stop = (): void => {
    if (onStop === undefined || stopping) return;
    setStopping(true);
    void onStop().finally(() => setStopping(false));
  };
  const touch = useMediaQuery("(pointer: coarse)");

  useEffect(() => {
    // On touch screens focusing pops the keyboard over the conversation; only do it with a mouse.
    if (focusKey !== undefined && window.matchMedia("(pointer: fine)").matches) textarea.current?.focus();
  }, [focusKey]);

  useEffect(() => {
    const element = textarea.current;
    if (element === null) return;
    element.style.height = "auto";
    element.style.height = `${Math.min(element.scrollHeight, MAX_HEIGHT_PX)}px`;
  }, [value]);

  const submit = (): void => {
    if (empty) return;
    const text = value;
    setValue("");
    void onSend(text).then((accepted) => {
      if (!accepted) setValue((current) => (current === "" ? text : current));
    });
  };

  const onSubmit = (event: FormEvent): void => {
    event.preventDefault();
    submit();
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>): void => {
    if (touch || event.key !== "Enter" || event.shiftKey || event.nativeEvent.isComposing) return;
    event.preventDefault();
    submit();
  };

  return (
    <form className="composer" onSubmit={onSubmit}>
      <label htmlFor={inputId} className="sr-only">
        {`Message ${recipient ?? "the team"}`}
      </label>
      <textarea
        id={inputId}
        ref={textarea}
        className="composer-input"
        data-testid="composer-input"
        rows={1}
        value={value}
        placeholder={`Message ${recipient ?? "the team"}…`}
        aria-describedby={hintId}
        onChange={(event) => setValue(event.target.value)}
        onKeyDown={onKeyDown}
      />
      {stoppable ? (
        <button
          type="button"
          className="button button-primary send-button stop-button"
          data-testid="stop-button"
          disabled={stopping}
          aria-label="Stop the running turn"
          onClick={stop}
        >
          <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false">
            <rect x="6" y="6" width="12" height="12" rx="2" fill="currentColor" />
          </svg>
          <span className="send-label">{stopping ? "Stopping…" : "Stop"}</span>
        </button>
      ) : (
        <button type="submit" className="button button-primary send-button" data-testid="send-button" disabled={empty} aria-label="Send message">
          <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false">
            <path d="M3.4 20.4 21 12 3.4 3.6l.1 6.5L15 12l-11.5 1.9z" fill="currentColor" />
          </svg>
          <span className="send-label">Send</span>
        </button>
      )}
      <p id={hintId} className="composer-hint">
        {hint ?? (touch ? TOUCH_HINT : KEYS_HINT)}
      </p>
    </form>
  );
}
