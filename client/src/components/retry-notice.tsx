import type { RunRetryingEvent } from "../chat-items.js";

/** A model step tried again: why, and the text its failed attempt had written, struck out as replaced. */
export function RetryNotice({ event }: { event: RunRetryingEvent }) {
  const agent = event.agent ?? "An agent";
  const { attempt, maxAttempts, reason, replacedText } = event.data;
  return (
    <div className="event-notice retry-notice" data-testid="retry-notice" data-event-id={event.id} data-run-id={event.runId}>
      <p>
        {agent}'s answer was interrupted; trying again (attempt {attempt} of {maxAttempts}). {reason}
      </p>
      {replacedText.trim() !== "" && (
        <details>
          <summary>Replaced text</summary>
          <del className="replaced-text" data-testid="replaced-text">
            {replacedText}
          </del>
        </details>
      )}
    </div>
  );
}
