import type { NoticeEvent } from "../chat-items.js";
import { formatJson } from "../format.js";

/** Events the chat has no special view for yet (approvals, workflow steps), shown as plain rows. */
export function EventNotice({ event }: { event: NoticeEvent }) {
  let text: string;
  switch (event.type) {
    case "approval.requested":
      text = `${event.agent ?? "An agent"} asks for approval to use ${event.data.tool}: ${event.data.reason}`;
      break;
    case "approval.resolved":
      text = `Approval ${event.data.approved ? "granted" : "refused"}.`;
      break;
    case "workflow.step":
      text = `Workflow ${event.data.workflow} · ${event.data.step}: ${event.data.status}${event.data.detail ? ` — ${event.data.detail}` : ""}`;
      break;
  }
  return (
    <div className="event-notice" data-testid="event-notice" data-type={event.type} data-event-id={event.id}>
      <p>{text}</p>
      {event.type === "approval.requested" && (
        <details>
          <summary>Arguments</summary>
          <pre>{formatJson(event.data.args)}</pre>
        </details>
      )}
    </div>
  );
}
