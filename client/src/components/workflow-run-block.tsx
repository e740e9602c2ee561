import { useId, useMemo, useState } from "react";
import type { EventOf } from "../../../shared/events.js";
import type { WorkflowInfo } from "../api.js";
import { formatCost, formatCount, formatMs, formatTokens } from "../format.js";
import { nodeStates, workflowRunModels, type StepRecord, type WorkflowRun } from "../workflow-runs.js";
import { describeBudget, describeMeter, describeWorkflowFailure, isActive, kindLabel, RUN_STATUS_LABEL } from "../workflow-text.js";
import { BudgetMeter } from "./budget-meter.js";
import { DataView } from "./data-view.js";
import { WorkflowGraphView } from "./workflow-graph.js";

const blockId = (runId: string): string => `wf-run-${runId}`;

/** The end of a run, said where the reader is (after an approval card, say), with a way back up to its block. */
export function WorkflowEndRow({ event, run }: { event: EventOf<"workflow.completed"> | EventOf<"workflow.failed">; run: WorkflowRun | undefined }) {
  const status = run?.status ?? (event.type === "workflow.completed" ? "completed" : "failed");
  const show = (): void => {
    const block = document.getElementById(blockId(event.runId ?? ""));
    block?.scrollIntoView({ block: "start", behavior: "smooth" });
    block?.querySelector<HTMLElement>(".wf-run-title")?.focus({ preventScroll: true });
  };
  let what: string;
  if (event.type === "workflow.completed") what = event.data.stopped === undefined ? "completed" : `stopped early: ${event.data.stopped.reason}`;
  else what = event.data.code === "cancelled" ? "was cancelled" : `failed: ${describeWorkflowFailure(event.data.code)}`;
  return (
    <div className={`wf-end is-${status}`} data-testid="workflow-end" data-run-id={event.runId} data-status={status}>
      <span className="wf-end-icon" aria-hidden="true">
        {status === "completed" ? "✓" : "!"}
      </span>
      <p>
        Workflow <code>{event.data.workflow}</code> {what} · {describeMeter(event.data.modelCalls, event.data.budget)}
      </p>
      <button type="button" className="link-button" onClick={show}>
        {event.type === "workflow.completed" ? "Show the output" : "Show the run"}
      </button>
    </div>
  );
}

function StepRow({ record }: { record: StepRecord }) {
  const outputId = useId();
  const [open, setOpen] = useState(false);
  const tokens = record.usage?.totalTokens;
  return (
    <li
      className={`wf-step is-${record.status}`}
      data-testid="workflow-step"
      data-path={record.path}
      data-status={record.status}
      data-round={record.round}
    >
      <div className="wf-step-line">
        <span className="wf-step-name">
          <code>{record.path}</code>
          {record.round !== undefined && <span className="muted"> · round {record.round}</span>}
        </span>
        <span className="wf-step-kind">{kindLabel(record.kind)}</span>
        <span className={`wf-step-status is-${record.status}`}>{record.status}</span>
      </div>
      <p className="wf-step-figures">
        {record.latencyMs !== undefined && <span>{formatMs(record.latencyMs)}</span>}
        {tokens !== undefined && (
          <span title={record.usage === undefined ? undefined : `${formatCount(record.usage.promptTokens)} in, ${formatCount(record.usage.completionTokens)} out`}>
            {formatTokens(tokens)}
          </span>
        )}
        <span>{formatCost(record.costUsd ?? 0, record.model)}</span>
        {record.modelCalls > 0 && <span>{record.modelCalls === 1 ? "1 model call" : `${record.modelCalls} model calls`}</span>}
      </p>
      {record.error !== undefined && <p className="wf-step-error">{record.error}</p>}
      {record.hasOutput && (
        <>
          <button type="button" className="link-button wf-step-toggle" aria-expanded={open} aria-controls={outputId} onClick={() => setOpen((value) => !value)}>
            <span className="chevron" aria-hidden="true" />
            Output
          </button>
          <div id={outputId} className="wf-step-output data-box" hidden={!open}>
            <DataView value={record.output} />
          </div>
        </>
      )}
    </li>
  );
}

/**
 * A workflow run in the chat, as one block that follows it: the graph with each step's state
 * (several lit at once for parallel branches, a loop's round), the model calls used against the
 * bound, then the output and, per step, its output, latency, tokens and cost. A run still going
 * can be cancelled from here.
 */
export function WorkflowRunBlock({
  run,
  definition,
  onCancel,
}: {
  run: WorkflowRun;
  /** The workflow as the server lists it (its graph); undefined while loading or if it is gone. */
  definition: WorkflowInfo | undefined;
  onCancel: (runId: string) => Promise<string | undefined>;
}) {
  const headingId = useId();
  const stepsId = useId();
  const [stepsOpen, setStepsOpen] = useState<boolean | undefined>();
  const [cancelling, setCancelling] = useState(false);
  const [cancelProblem, setCancelProblem] = useState<string | undefined>();
  const states = useMemo(() => (definition === undefined ? undefined : nodeStates(run, definition.graph)), [run, definition]);
  const active = isActive(run.status);
  const showSteps = stepsOpen ?? !active;
  const budget = run.budget ?? definition?.budget;
  const changed = definition !== undefined && run.version !== undefined && definition.version !== "" && definition.version !== run.version;
  const tokens = run.usage?.totalTokens ?? run.records.reduce((sum, record) => sum + (record.usage?.totalTokens ?? 0), 0);

  const cancel = async (): Promise<void> => {
    setCancelling(true);
    setCancelProblem(await onCancel(run.runId));
    setCancelling(false);
  };

  return (
    <section
      id={blockId(run.runId)}
      className={`wf-run is-${run.status}`}
      data-testid="workflow-run"
      data-run-id={run.runId}
      data-workflow={run.workflow}
      data-status={run.status}
      aria-labelledby={headingId}
      aria-busy={active}
    >
      <header className="wf-run-head">
        <span className="wf-run-icon" aria-hidden="true">
          <svg viewBox="0 0 24 24" width="16" height="16" focusable="false">
            <rect x="4" y="3" width="8" height="5" rx="1.5" fill="none" stroke="currentColor" strokeWidth="1.8" />
            <rect x="12" y="16" width="8" height="5" rx="1.5" fill="none" stroke="currentColor" strokeWidth="1.8" />
            <path d="M8 8v4h8v4" fill="none" stroke="currentColor" strokeWidth="1.8" />
          </svg>
        </span>
        <h2 id={headingId} className="wf-run-title" tabIndex={-1}>
          Workflow <span className="wf-run-name">{run.workflow}</span>
        </h2>
        <span className={`wf-status is-${run.status}`} data-testid="workflow-run-status">
          {run.status === "running" && <span className="spinner" aria-hidden="true" />}
          {RUN_STATUS_LABEL[run.status]}
        </span>
      </header>
      <BudgetMeter used={run.modelCalls} budget={budget} />
      {budget !== undefined && <p className="wf-run-bound">Bound stated before the run: {describeBudget(budget)}</p>}
      {definition !== undefined ? (
        <>
          {changed && <p className="wf-run-note">The workflow has changed since this run started; the drawing shows its current version.</p>}
          <WorkflowGraphView name={run.workflow} graph={definition.graph} states={states} />
        </>
      ) : (
        <p className="wf-run-note">The drawing of {run.workflow} is not available; the steps are listed below.</p>
      )}
      {run.failure !== undefined && (
        <p className="wf-failure" data-testid="workflow-failure" data-code={run.failure.code}>
          <strong>{describeWorkflowFailure(run.failure.code)}</strong> {run.failure.reason}
          {run.failure.path !== undefined && (
            <>
              {" "}
              (at <code>{run.failure.path}</code>)
            </>
          )}
        </p>
      )}
      {run.stopped !== undefined && (
        <p className="wf-run-note">
          Stopped early at <code>{run.stopped.path}</code>: {run.stopped.reason}
        </p>
      )}
      {run.hasOutput && (
        <div className="wf-output">
          <h3 className="wf-subhead">Output</h3>
          <div className="data-box" data-testid="workflow-output">
            <DataView value={run.output} />
          </div>
        </div>
      )}
      {!active && (
        <p className="wf-run-totals" data-testid="workflow-totals">
          {run.latencyMs !== undefined && <span>{formatMs(run.latencyMs)}</span>}
          <span>{formatTokens(tokens)}</span>
          <span>{formatCost(run.costUsd ?? 0, workflowRunModels(run))}</span>
        </p>
      )}
      {run.records.length > 0 && (
        <div className="wf-steps-section">
          <h3 className="wf-subhead">
            <button type="button" className="link-button wf-steps-toggle" aria-expanded={showSteps} aria-controls={stepsId} onClick={() => setStepsOpen(!showSteps)}>
              <span className="chevron" aria-hidden="true" />
              {run.records.length} {run.records.length === 1 ? "step" : "steps"} finished
            </button>
          </h3>
          <ol id={stepsId} className="wf-step-list" hidden={!showSteps}>
            {run.records.map((record) => (
              <StepRow key={record.eventId} record={record} />
            ))}
          </ol>
        </div>
      )}
      {active && (
        <div className="wf-run-actions">
          <button type="button" className="button button-small button-danger-quiet" data-testid="cancel-workflow-run" disabled={cancelling} onClick={() => void cancel()}>
            {cancelling && <span className="spinner" aria-hidden="true" />}
            Cancel run
          </button>
          {cancelProblem !== undefined && (
            <span className="inline-error" role="alert">
              {cancelProblem}
            </span>
          )}
        </div>
      )}
    </section>
  );
}
