import { Fragment, useId, useLayoutEffect, useRef, useState, type ReactNode } from "react";
import type { ChatItem, HandoffEvent, HandoffReturnEvent, MessageEvent } from "../chat-items.js";
import { AgentChip } from "./agent-badge.js";
import { Markdown } from "./markdown.js";

/** Draws one chat item (a tool card, a nested handoff…) the way the conversation does. */
export type RenderItem = (item: ChatItem) => ReactNode;

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

/** A specialist's answer to the manager: part of its work, not a message to the user. */
function SpecialistMessage({ event }: { event: MessageEvent }) {
  const agent = event.agent ?? "agent";
  return (
    <div className="specialist-message" data-testid="specialist-message" data-agent={agent} data-event-id={event.id}>
      <p className="specialist-message-author">
        <AgentChip name={agent} /> wrote
      </p>
      <Markdown text={event.data.text} />
    </div>
  );
}

/**
 * What a delegated specialist did (its messages, tool calls, its own handoffs), collapsed to its
 * first lines with a button to show it all; its return stays in view below.
 */
function SpecialistWork({ agent, runId, items, renderItem }: { agent: string; runId: string; items: readonly ChatItem[]; renderItem: RenderItem }) {
  const [open, setOpen] = useState(false);
  const [clipped, setClipped] = useState(false);
  const body = useRef<HTMLDivElement>(null);
  const bodyId = useId();
  const work = items.filter((item) => item.kind !== "return");
  const returns = items.filter((item) => item.kind === "return");
  const answered = work.some((item) => item.kind === "message");

  // The button is only offered when the collapsed view hides something.
  useLayoutEffect(() => {
    const element = body.current;
    if (element !== null && !open) setClipped(element.scrollHeight > element.clientHeight + 1);
  }, [items, open]);

  if (items.length === 0) return null;
  return (
    <div className="specialist-work" data-testid="specialist-work" data-run-id={runId} data-agent={agent} data-expanded={open ? "true" : "false"}>
      {work.length > 0 && (
        <>
          <div
            id={bodyId}
            ref={body}
            className={`specialist-work-body${open ? "" : " is-collapsed"}${clipped && !open ? " is-clipped" : ""}`}
            // Collapsed, it is a preview: what it hides is not reachable by Tab either.
            inert={!open && clipped}
          >
            {work.map((item) => (
              <Fragment key={item.key}>{item.kind === "message" ? <SpecialistMessage event={item.event} /> : renderItem(item)}</Fragment>
            ))}
          </div>
          {(clipped || open) && (
            <button
              type="button"
              className="link-button specialist-work-toggle"
              aria-expanded={open}
              aria-controls={bodyId}
              data-testid="specialist-work-toggle"
              onClick={() => setOpen((value) => !value)}
            >
              {open ? "Show less" : `Show all of ${agent}'s work`}
            </button>
          )}
        </>
      )}
      {returns.map((item) => (item.kind === "return" ? <HandoffReturnRow key={item.key} event={item.event} showResult={!answered} /> : null))}
    </div>
  );
}

/** A handoff and, for a delegation, the specialist's work under it. */
function HandoffEntry({ event, work, renderItem }: { event: HandoffEvent; work: readonly ChatItem[] | undefined; renderItem: RenderItem }) {
  return (
    <>
      <HandoffRow event={event} />
      {work !== undefined && <SpecialistWork agent={event.data.to} runId={event.data.childRunId} items={work} renderItem={renderItem} />}
    </>
  );
}

/** Several delegations sent out together: they run in parallel, so they are shown as one group. */
export function HandoffGroup({
  from,
  handoffs,
  work,
  renderItem,
}: {
  from: string;
  handoffs: readonly HandoffEvent[];
  work: ReadonlyMap<string, readonly ChatItem[]>;
  renderItem: RenderItem;
}) {
  const [only] = handoffs;
  if (handoffs.length === 1 && only !== undefined) {
    return (
      <div className="handoff-single">
        <HandoffEntry event={only} work={work.get(only.data.childRunId)} renderItem={renderItem} />
      </div>
    );
  }
  return (
    <section className="handoff-group" aria-label={`${from} delegates ${handoffs.length} tasks in parallel`}>
      <p className="handoff-group-title">
        <AgentChip name={from} /> delegates {handoffs.length} tasks in parallel
      </p>
      <ul className="handoff-group-list">
        {handoffs.map((event) => (
          <li key={event.id}>
            <HandoffEntry event={event} work={work.get(event.data.childRunId)} renderItem={renderItem} />
          </li>
        ))}
      </ul>
    </section>
  );
}

/**
 * "calculator → manager: returned result", with the result one click away (unless the
 * specialist's answer, which is the result, is shown above it).
 */
export function HandoffReturnRow({ event, showResult = true }: { event: HandoffReturnEvent; showResult?: boolean }) {
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
        {showResult && result.trim() !== "" && (
          <details className="handoff-result">
            <summary>{status === "completed" ? "Show result" : "Show reason"}</summary>
            <Markdown text={result} />
          </details>
        )}
      </div>
    </div>
  );
}
