import type { NoticeEvent } from "../chat-items.js";

/** Events the chat has no card for (a decision whose request was trimmed from the log, a workflow event without a run), as plain rows. */
export function EventNotice({ event }: { event: NoticeEvent }) {
  let text: string;
  switch (event.type) {
    case "approval.resolved":
      text = `Approval ${event.data.decision === "approve" ? "approved" : "rejected"} by ${event.data.by}${event.data.comment ? `: ${event.data.comment}` : "."}`;
      break;
    case "workflow.started":
      text = `Workflow ${event.data.workflow} started.`;
      break;
    case "workflow.step":
      text = `Workflow ${event.data.workflow} · ${event.data.path}: ${event.data.status}${event.data.error ? ` — ${event.data.error}` : ""}`;
      break;
    case "workflow.completed":
      text = `Workflow ${event.data.workflow} completed.`;
      break;
    case "workflow.failed":
      text = `Workflow ${event.data.workflow} failed: ${event.data.reason}`;
      break;
  }
  return (
    <div className="event-notice" data-testid="event-notice" data-type={event.type} data-event-id={event.id}>
      <p>{text}</p>
    </div>
  );
}
