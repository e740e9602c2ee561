import type { HandoffEvent, HandoffReturnEvent } from "../chat-items.js";
import { AgentChip } from "./agent-badge.js";
import { Markdown } from "./markdown.js";

/** "manager → calculator: needs exact arithmetic", with what kind of handoff it is and the task. */
export function HandoffRow({ event }: { event: HandoffEvent }) {
  const { from, to, mode, reason, task, depth } = event.data;
  return (
    <div
      className={`handoff handoff-${mode}`}
      data-testid="handoff"
      data-kind="handoff"
      data-from={from}
      data-to={to}
      data-mode={mode}
      data-event-id={event.id}
    >
      <span className="handoff-icon" aria-hidden="true">
        {mode === "delegate" ? "⇉" : "⇢"}
      </span>
      <div className="handoff-body">
        <p className="handoff-line">
          <AgentChip name={from} /> → <AgentChip name={to} />
          {reason.trim() !== "" && <span className="handoff-reason">: {reason}</span>}
        </p>
        <p className="handoff-meta">
          <span className={`pill pill-${mode}`}>{mode === "delegate" ? `delegates to ${to}` : `transfers to ${to}`}</span>
          {task.trim() !== "" && (
            <span className="handoff-task">
              task: <q>{task}</q>
            </span>
          )}
          {depth > 1 && <span className="handoff-depth">depth {depth}</span>}
        </p>
      </div>
    </div>
  );
}

/** Several delegations sent out together: they run in parallel, so they are shown as one group. */
export function HandoffGroup({ from, handoffs }: { from: string; handoffs: readonly HandoffEvent[] }) {
  const [only] = handoffs;
  if (handoffs.length === 1 && only !== undefined) return <HandoffRow event={only} />;
  return (
    <section className="handoff-group" aria-label={`${from} delegates ${handoffs.length} tasks in parallel`}>
      <p className="handoff-group-title">
        <AgentChip name={from} /> delegates {handoffs.length} tasks in parallel
      </p>
      <ul className="handoff-group-list">
        {handoffs.map((event) => (
          <li key={event.id}>
            <HandoffRow event={event} />
          </li>
        ))}
      </ul>
    </section>
  );
}

/** "calculator → manager: returned result", with the result one click away. */
export function HandoffReturnRow({ event }: { event: HandoffReturnEvent }) {
  const { from, to, status, result } = event.data;
  return (
    <div
      className={`handoff handoff-return is-${status}`}
      data-testid="handoff"
      data-kind="return"
      data-from={from}
      data-to={to}
      data-status={status}
      data-event-id={event.id}
    >
      <span className="handoff-icon" aria-hidden="true">
        ⇠
      </span>
      <div className="handoff-body">
        <p className="handoff-line">
          <AgentChip name={from} /> → <AgentChip name={to} />
          <span className="handoff-reason">: {status === "completed" ? "returned result" : "could not finish the task"}</span>
        </p>
        {result.trim() !== "" && (
          <details className="handoff-result">
            <summary>{status === "completed" ? "Show result" : "Show reason"}</summary>
            <Markdown text={result} />
          </details>
        )}
      </div>
    </div>
  );
}
