import type { RunFailedEvent } from "../chat-items.js";
import { describeFailure } from "../runs.js";

/** A run that could not finish, in plain words, with the server's reason as the detail. */
export function RunFailedBanner({ event }: { event: RunFailedEvent }) {
  const agent = event.agent ?? "An agent";
  return (
    <div className="run-failed" data-testid="run-failed" data-code={event.data.code} data-event-id={event.id}>
      <span className="run-failed-icon" aria-hidden="true">
        !
      </span>
      <div>
        <p className="run-failed-title">
          <strong>{agent} could not finish.</strong> {describeFailure(event.data.code)}
        </p>
        {event.data.reason.trim() !== "" && <p className="run-failed-reason">{event.data.reason}</p>}
      </div>
    </div>
  );
}
