import { useId, useState } from "react";
import type { ApprovalDecision } from "../../../shared/events.js";
import type { DecideOutcome } from "../approvals.js";
import type { ApprovalRequestedEvent, ApprovalResolvedEvent } from "../chat-items.js";
import { useNow } from "../hooks/use-now.js";
import { alreadyDecided, describeTimeout } from "../workflow-text.js";
import { AgentChip } from "./agent-badge.js";
import { DataView } from "./data-view.js";

export type Decide = (approvalId: string, decision: ApprovalDecision, comment: string) => Promise<DecideOutcome>;

const DONE = { approve: "Approved", reject: "Rejected" } as const;

/**
 * A person's decision a run waits for, in the chat: what is asked, the data to judge (shown as
 * text, never run), the deadline if there is one, and Approve / Reject with an optional comment.
 * It is drawn from the log (request, then decision), so it is the same after a reload or in
 * another tab; the first decision wins, and a later one is told who made it.
 */
export function ApprovalCard({
  requested,
  resolved,
  onDecide,
  me,
  runEnded,
}: {
  requested: ApprovalRequestedEvent;
  resolved: ApprovalResolvedEvent | undefined;
  onDecide: Decide;
  /** Who is using the page, so their own decision reads "you". */
  me: string | undefined;
  /** The workflow run that asked ended without this decision (cancelled, failed): nothing to decide any more. */
  runEnded?: "completed" | "failed" | "cancelled";
}) {
  const { approvalId, kind, title, data, workflow, path, tool, timeoutAt, onTimeout } = requested.data;
  const [comment, setComment] = useState("");
  const [sending, setSending] = useState<ApprovalDecision | undefined>();
  const [answer, setAnswer] = useState<DecideOutcome | undefined>();
  const now = useNow(30_000);
  const base = useId();
  const headingId = `${base}-title`;
  const commentId = `${base}-comment`;

  const decidedHere = answer?.ok === true ? answer : undefined;
  const refusal = answer?.ok === false ? answer : undefined;
  const elsewhere = refusal?.code === "already_decided";
  const outcome = resolved?.data ?? (decidedHere === undefined ? undefined : { decision: decidedHere.decision, by: decidedHere.by ?? me ?? "you", comment: comment.trim() || undefined });
  const moot = outcome === undefined && !elsewhere && runEnded !== undefined;
  const status = resolved?.data.decision === "approve" ? "approved" : resolved?.data.decision === "reject" ? "rejected" : outcome !== undefined || elsewhere ? "decided" : moot ? "closed" : "pending";
  const closed = outcome !== undefined || elsewhere || moot;
  const who = (by: string): string => (by === "timeout" ? "the timeout" : me !== undefined && by === me ? `${by} (you)` : by);

  const decide = async (decision: ApprovalDecision): Promise<void> => {
    setSending(decision);
    setAnswer(undefined);
    try {
      setAnswer(await onDecide(approvalId, decision, comment));
    } finally {
      setSending(undefined);
    }
  };

  return (
    <section
      className={`approval-card is-${status}`}
      data-testid="approval-card"
      data-approval-id={approvalId}
      data-status={status}
      data-event-id={requested.id}
      aria-labelledby={headingId}
    >
      <header className="approval-head">
        <span className="approval-icon" aria-hidden="true">
          ?
        </span>
        <div className="approval-heading">
          <p className="approval-kicker">
            {kind === "tool" ? (
              <>
                {requested.agent !== undefined ? <AgentChip name={requested.agent} /> : "An agent"} asks to use <code>{tool ?? "a tool"}</code>
              </>
            ) : (
              <>
                Workflow <strong>{workflow ?? "run"}</strong>
                {path !== undefined && (
                  <>
                    {" "}
                    · step <code>{path}</code>
                  </>
                )}{" "}
                asks for approval
              </>
            )}
          </p>
          <h2 id={headingId} className="approval-title">
            {title}
          </h2>
        </div>
      </header>
      <h3 className="approval-subhead">{kind === "tool" ? "Arguments" : "Data to judge"}</h3>
      <div className="approval-data data-box" data-testid="approval-data">
        <DataView value={data} />
      </div>
      {timeoutAt !== undefined && !closed && (
        <p className="approval-timeout" data-testid="approval-timeout">
          {describeTimeout(timeoutAt, onTimeout, now)}
        </p>
      )}
      {outcome !== undefined ? (
        <p className={`approval-outcome is-${outcome.decision}`} data-testid="approval-outcome" role="status">
          <strong>{DONE[outcome.decision]}</strong> by {who(outcome.by)}
          {outcome.comment !== undefined && outcome.comment !== "" && (
            <>
              : <q>{outcome.comment}</q>
            </>
          )}
        </p>
      ) : moot ? (
        <p className="approval-outcome is-closed" data-testid="approval-outcome">
          No decision needed any more: the run {runEnded === "cancelled" ? "was cancelled" : runEnded === "failed" ? "failed" : "ended"}.
        </p>
      ) : elsewhere ? null : (
        <div className="field approval-comment">
          <label htmlFor={commentId} className="field-label">
            Comment <span className="muted">(optional)</span>
          </label>
          <textarea
            id={commentId}
            className="text-input"
            rows={2}
            maxLength={2000}
            value={comment}
            disabled={closed || sending !== undefined}
            onChange={(event) => setComment(event.target.value)}
          />
        </div>
      )}
      <div className="approval-actions">
        <button
          type="button"
          className="button button-primary"
          data-testid="approve-button"
          disabled={closed || sending !== undefined}
          aria-describedby={headingId}
          onClick={() => void decide("approve")}
        >
          {sending === "approve" && <span className="spinner" aria-hidden="true" />}
          Approve
        </button>
        <button
          type="button"
          className="button button-danger-quiet"
          data-testid="reject-button"
          disabled={closed || sending !== undefined}
          aria-describedby={headingId}
          onClick={() => void decide("reject")}
        >
          {sending === "reject" && <span className="spinner" aria-hidden="true" />}
          Reject
        </button>
      </div>
      <p className={`approval-message${refusal === undefined ? "" : elsewhere ? " is-info" : " is-error"}`} data-testid="approval-message" role="status">
        {refusal === undefined ? "" : elsewhere ? alreadyDecided(refusal.message) : `Not decided: ${refusal.message}`}
      </p>
    </section>
  );
}
