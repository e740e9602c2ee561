import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from "react";

const MAX_HEIGHT_PX = 220;

/**
 * The message box. Enter sends, Shift+Enter adds a line (and Enter while an input method is
 * composing, e.g. Japanese, does not send). `onSend` resolves false when the text could not be
 * taken (no conversation could be created), and the text is put back.
 */
export function Composer({
  onSend,
  focusKey,
  hint,
}: {
  onSend: (text: string) => Promise<boolean>;
  /** Focus moves here when this changes (a conversation was opened or created). */
  focusKey: string | undefined;
  hint: string;
}) {
  const [value, setValue] = useState("");
  const textarea = useRef<HTMLTextAreaElement>(null);
  const inputId = useId();
  const hintId = useId();
  const empty = value.trim() === "";

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
    if (event.key !== "Enter" || event.shiftKey || event.nativeEvent.isComposing) return;
    event.preventDefault();
    submit();
  };

  return (
    <form className="composer" onSubmit={onSubmit}>
      <label htmlFor={inputId} className="sr-only">
        Message the team
      </label>
      <textarea
        id={inputId}
        ref={textarea}
        className="composer-input"
        data-testid="composer-input"
        rows={1}
        value={value}
        placeholder="Message the team…"
        aria-describedby={hintId}
        onChange={(event) => setValue(event.target.value)}
        onKeyDown={onKeyDown}
      />
      <button type="submit" className="button button-primary send-button" data-testid="send-button" disabled={empty} aria-label="Send message">
        <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false">
          <path d="M3.4 20.4 21 12 3.4 3.6l.1 6.5L15 12l-11.5 1.9z" fill="currentColor" />
        </svg>
        <span className="send-label">Send</span>
      </button>
      <p id={hintId} className="composer-hint">
        {hint}
      </p>
    </form>
  );
}
