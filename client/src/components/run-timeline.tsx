import { useId, useState } from "react";
import { formatCost, formatCount, formatMs, formatTokens } from "../format.js";
import { describeFailure, type DerivedRuns, type RunSummary } from "../runs.js";
import { AgentChip } from "./agent-badge.js";

const STATUS_LABEL = { running: "running", completed: "completed", failed: "failed" } as const;
const MODE_LABEL = { turn: "turn", transfer: "transfer", delegate: "delegate", workflow: "workflow step" } as const;

function Steps({ run }: { run: RunSummary }) {
  const [open, setOpen] = useState(true);
  const listId = useId();
  if (run.steps.length === 0) return null;
  return (
    <div className="run-steps">
      <button type="button" className="link-button run-steps-toggle" aria-expanded={open} aria-controls={listId} onClick={() => setOpen((value) => !value)}>
        <span className="chevron" aria-hidden="true" />
        {run.steps.length} {run.steps.length === 1 ? "step" : "steps"}
      </button>
      <ol id={listId} className="step-list" hidden={!open}>
        {run.steps.map((step) => (
          <li key={step.step} className="step" data-testid="run-step">
            <span className="step-number">#{step.step + 1}</span>
            <span>{formatMs(step.latencyMs)}</span>
            <span title={`${formatCount(step.usage.promptTokens)} in, ${formatCount(step.usage.completionTokens)} out`}>
              {formatTokens(step.usage.totalTokens)}
            </span>
            <span>{formatCost(step.costUsd)}</span>
            <span className="step-tools">{step.tools.length > 0 ? step.tools.join(", ") : "no tools"}</span>
          </li>
        ))}
      </ol>
    </div>
  );
}

function RunEntry({ run }: { run: RunSummary }) {
  return (
    <li className={`run is-${run.status}`} data-testid="run" data-status={run.status} data-run-id={run.runId} data-agent={run.agent}>
      <div className="run-card">
        <div className="run-head">
          <AgentChip name={run.agent} />
          {run.mode !== undefined && <span className={`pill pill-${run.mode}`}>{MODE_LABEL[run.mode]}</span>}
          <span className={`run-status is-${run.status}`}>
            {run.status === "running" && <span className="spinner" aria-hidden="true" />}
            {STATUS_LABEL[run.status]}
            {run.outcome === "transferred" && " (transferred)"}
            {run.status === "running" && run.slow !== undefined && " · model slow"}
          </span>
        </div>
        {run.model !== undefined && <p className="run-model">model {run.model}</p>}
        {run.task !== undefined && run.task.trim() !== "" && (
          <p className="run-task" title={run.task}>
            {run.task}
          </p>
        )}
        {run.status === "running" && run.slow !== undefined && (
          <p className="run-slow" data-testid="run-slow">
            {run.slow}
          </p>
        )}
        {run.failure !== undefined && (
          <p className="run-failure">
            {describeFailure(run.failure.code)} {run.failure.reason}
          </p>
        )}
        {run.status !== "running" && (
          <p className="run-totals">
            <span>{formatMs(run.latencyMs ?? 0)}</span>
            <span
              title={
                run.usage === undefined
                  ? undefined
                  : `${formatCount(run.usage.promptTokens)} prompt, ${formatCount(run.usage.completionTokens)} completion`
              }
            >
              {formatTokens(run.usage?.totalTokens ?? 0)}
            </span>
            <span>{formatCost(run.costUsd ?? 0)}</span>
          </p>
        )}
        <Steps run={run} />
      </div>
      {run.children.length > 0 && (
        <ol className="run-children" aria-label={`Runs started by ${run.agent}`}>
          {run.children.map((child) => (
            <RunEntry key={child.runId} run={child} />
          ))}
        </ol>
      )}
    </li>
  );
}

/** Every run of the conversation, children under the run that handed them work, with usage and cost. */
export function RunTimeline({ runs }: { runs: DerivedRuns }) {
  const { totals } = runs;
  return (
    <div className="run-timeline" data-testid="run-timeline">
      {runs.roots.length === 0 ? (
        <p className="muted">No runs yet. Each agent turn appears here with its steps, tokens and cost.</p>
      ) : (
        <>
          <p className="run-overview">
            {totals.runs} {totals.runs === 1 ? "run" : "runs"} · {formatTokens(totals.tokens)} · {formatCost(totals.costUsd)}
            {totals.running > 0 && ` · ${totals.running} running`}
            {totals.failed > 0 && ` · ${totals.failed} failed`}
          </p>
          <ol className="run-list">
            {runs.roots.map((run) => (
              <RunEntry key={run.runId} run={run} />
            ))}
          </ol>
        </>
      )}
    </div>
  );
}
