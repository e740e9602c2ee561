import { useState } from "react";
import type { WorkflowRunLine } from "../api.js";
import { formatDateTime, formatRelative } from "../format.js";
import { conversationHref } from "../hooks/use-hash-route.js";
import { useNow } from "../hooks/use-now.js";
import { describeMeter, isActive, RUN_STATUS_LABEL } from "../workflow-text.js";

/**
 * Recent workflow runs: status, when, model calls against the bound. A run opens its conversation;
 * one still going (running or waiting for approval) can be cancelled, after a confirmation.
 */
export function WorkflowRunsList({
  runs,
  loading,
  error,
  showWorkflow,
  onCancel,
}: {
  runs: readonly WorkflowRunLine[];
  loading: boolean;
  error: string | undefined;
  /** False in one workflow's page, where every run is of it. */
  showWorkflow: boolean;
  /** Cancels; resolves to a problem to show, or undefined. */
  onCancel: (runId: string) => Promise<string | undefined>;
}) {
  const now = useNow(30_000);
  const [confirming, setConfirming] = useState<string | undefined>();
  const [busy, setBusy] = useState<string | undefined>();
  const [problem, setProblem] = useState<{ runId: string; message: string } | undefined>();

  const cancel = async (runId: string): Promise<void> => {
    setBusy(runId);
    setProblem(undefined);
    const message = await onCancel(runId);
    setBusy(undefined);
    setConfirming(undefined);
    if (message !== undefined) setProblem({ runId, message });
  };

  if (error !== undefined && runs.length === 0) {
    return (
      <p className="inline-error" role="alert">
        Could not load the runs: {error}
      </p>
    );
  }
  if (runs.length === 0) {
    return <p className="muted">{loading ? "Loading the runs…" : "No runs yet. Start one from a workflow's page."}</p>;
  }
  return (
    <ul className="wf-run-lines" data-testid="workflow-runs" aria-busy={loading}>
      {runs.map((run) => (
        <li key={run.runId} className={`wf-run-line is-${run.status}`} data-testid="workflow-run-line" data-run-id={run.runId} data-status={run.status} data-workflow={run.workflow}>
          <a className="wf-run-link" href={conversationHref(run.conversationId)} data-testid="open-workflow-run">
            <span className="wf-run-line-top">
              <span className="wf-run-line-name">{showWorkflow ? run.workflow : `Run ${run.runId.slice(-6)}`}</span>
              <span className={`wf-status is-${run.status}`}>
                {run.status === "running" && <span className="spinner" aria-hidden="true" />}
                {RUN_STATUS_LABEL[run.status]}
              </span>
            </span>
            <span className="wf-run-line-meta">
              <time dateTime={run.startedAt} title={formatDateTime(run.startedAt)}>
                {formatRelative(run.startedAt, now)}
              </time>
              <span>{describeMeter(run.modelCalls, run.budget)}</span>
            </span>
          </a>
          {isActive(run.status) &&
            (confirming === run.runId ? (
              <span className="wf-run-confirm" role="group" aria-label={`Cancel the ${run.workflow} run?`}>
                <span className="wf-run-confirm-question">Cancel this run?</span>
                <button type="button" className="button button-small button-danger" data-testid="confirm-cancel-run" disabled={busy === run.runId} onClick={() => void cancel(run.runId)}>
                  {busy === run.runId && <span className="spinner" aria-hidden="true" />}
                  Yes, cancel
                </button>
                <button type="button" className="button button-small button-quiet" disabled={busy === run.runId} onClick={() => setConfirming(undefined)}>
                  Keep it
                </button>
              </span>
            ) : (
              <button
                type="button"
                className="button button-small button-danger-quiet"
                data-testid="cancel-run"
                aria-label={`Cancel the ${run.workflow} run started ${formatRelative(run.startedAt, now)}`}
                onClick={() => {
                  setProblem(undefined);
                  setConfirming(run.runId);
                }}
              >
                Cancel
              </button>
            ))}
          {problem?.runId === run.runId && (
            <p className="inline-error wf-run-problem" role="alert">
              {problem.message}
            </p>
          )}
        </li>
      ))}
    </ul>
  );
}
