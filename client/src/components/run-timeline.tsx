import { memo, useCallback, useEffect, useId, useMemo, useRef, useState, type KeyboardEvent } from "react";
import type { SwitchboardApi } from "../api.js";
import { formatCost, formatCount, formatMs, formatTokens } from "../format.js";
import { useNow } from "../hooks/use-now.js";
import { useRunSteps } from "../hooks/use-run-steps.js";
import { countRender } from "../render-count.js";
import { describeFailure, runModels, type DerivedRuns, type RunSummary } from "../runs.js";
import { axisTicks, formatDuration, layoutTrace, type TraceRow } from "../trace-layout.js";
import { AgentChip } from "./agent-badge.js";
import { RunStepDetail } from "./run-step-detail.js";
import "./run-trace.css";

const STATUS_LABEL = { running: "running", completed: "completed", failed: "failed", cancelled: "stopped" } as const;
const MODE_LABEL = { turn: "turn", transfer: "transfer", delegate: "delegate", workflow: "workflow step" } as const;
/** How often live spans grow while a run is at work; idle, the clock hardly matters. */
const LIVE_TICK_MS = 1000;
const IDLE_TICK_MS = 60_000;

/** What a screen reader says for a span: who, how it came to run, its state and its length. */
function spanName(row: TraceRow): string {
  const { run } = row;
  const mode = run.mode === undefined ? "" : `${MODE_LABEL[run.mode]}, `;
  const length = row.live ? `running for ${formatDuration(row.endMs - row.startMs)}` : `${STATUS_LABEL[run.status]} in ${formatDuration(row.endMs - row.startMs)}`;
  const slow = row.live && run.slow !== undefined ? `, ${run.slow}` : "";
  return `${run.agent}, ${mode}${length}${slow}`;
}

/** Where the chat should go and the trace come back to: the run and a count, so the same run twice still moves. */
export interface TraceFocus {
  runId: string;
  nonce: number;
}

/** The model steps of a run: each opens to what it was sent and what it answered. */
function RunSteps({ run, conversationId, api }: { run: RunSummary; conversationId: string | undefined; api: SwitchboardApi }) {
  const { state, load, refresh } = useRunSteps(api, conversationId, run.runId, `${run.status}:${run.steps.length}`);
  const [open, setOpen] = useState<ReadonlySet<number>>(new Set());
  useEffect(() => setOpen(new Set()), [run.runId]);
  const recorded = state.status === "loaded" ? state.steps : [];
  // Steps the log reports (a finished run), and any recorded ones beyond them (a live run).
  const numbers = [...new Set([...run.steps.map((step) => step.step), ...recorded.map((step) => step.step)])].sort((a, b) => a - b);
  const toggle = (step: number): void => {
    load();
    setOpen((current) => {
      const next = new Set(current);
      if (next.has(step)) next.delete(step);
      else next.add(step);
      return next;
    });
  };
  return (
    <div className="trace-steps">
      {run.status === "running" && (
        <button type="button" className="link-button" onClick={refresh} data-testid="load-live-steps">
          Show the steps so far
        </button>
      )}
      {numbers.length === 0 && run.status !== "running" && <p className="muted">No model steps.</p>}
      <ol className="trace-step-list" aria-label={`Model steps of ${run.agent}`}>
        {numbers.map((number) => {
          const summary = run.steps.find((step) => step.step === number);
          const record = recorded.find((step) => step.step === number);
          const isOpen = open.has(number);
          const usage = summary?.usage ?? record?.answer.usage;
          const tools = summary?.tools ?? record?.answer.toolCalls.map((call) => call.name) ?? [];
          return (
            <li key={number} className="trace-step" data-testid="run-step">
              <button type="button" className="trace-step-toggle" aria-expanded={isOpen} onClick={() => toggle(number)}>
                <span className="chevron" aria-hidden="true" />
                <span className="step-number">#{number + 1}</span>
                {summary !== undefined && <span>{formatMs(summary.latencyMs)}</span>}
                {usage !== undefined && (
                  <span title={`${formatCount(usage.promptTokens)} in, ${formatCount(usage.completionTokens)} out`}>{formatTokens(usage.totalTokens)}</span>
                )}
                {summary !== undefined && <span>{formatCost(summary.costUsd, run.model)}</span>}
                <span className="step-tools">{tools.length > 0 ? tools.join(", ") : "no tools"}</span>
              </button>
              {isOpen && (
                <div className="trace-step-body">
                  {state.status === "loading" && (
                    <p className="muted" role="status">
                      <span className="spinner" aria-hidden="true" /> Loading what the model was sent…
                    </p>
                  )}
                  {state.status === "error" && (
                    <p className="inline-error" role="alert">
                      {state.message}
                    </p>
                  )}
                  {state.status === "loaded" &&
                    (record === undefined ? (
                      <p className="muted">Nothing was kept of this step (it ran before steps were recorded, or its record expired).</p>
                    ) : (
                      <RunStepDetail step={record} />
                    ))}
                </div>
              )}
            </li>
          );
        })}
      </ol>
    </div>
  );
}

/** The selected run: what it was asked, how it ended, its totals and its steps. */
function RunDetails({
  run,
  conversationId,
  api,
  onShowInChat,
}: {
  run: RunSummary;
  conversationId: string | undefined;
  api: SwitchboardApi;
  onShowInChat: (run: RunSummary) => void;
}) {
  return (
    <section className={`trace-details is-${run.status}`} aria-label={`Run of ${run.agent}`} data-testid="run-details" data-run-id={run.runId}>
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
        <p className="run-slow">{run.slow}</p>
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
              run.usage === undefined ? undefined : `${formatCount(run.usage.promptTokens)} prompt, ${formatCount(run.usage.completionTokens)} completion`
            }
          >
            {formatTokens(run.usage?.totalTokens ?? 0)}
          </span>
          <span>{formatCost(run.costUsd ?? 0, run.model)}</span>
        </p>
      )}
      {run.chatEventId !== undefined && (
        <button type="button" className="link-button" onClick={() => onShowInChat(run)}>
          Show in the chat
        </button>
      )}
      <RunSteps run={run} conversationId={conversationId} api={api} />
    </section>
  );
}

/**
 * The spans on their axis, as a tree for keyboards and screen readers (arrows move, Enter chooses).
 * The clock that grows live spans ticks here, so only the tree draws again on each tick.
 */
function TraceTree({
  runs,
  selectedRunId,
  onActivate,
  returnTo,
  agent,
}: {
  runs: DerivedRuns;
  selectedRunId: string | undefined;
  onActivate: (run: RunSummary) => void;
  returnTo: TraceFocus | undefined;
  agent: string | undefined;
}) {
  const now = useNow(runs.totals.running > 0 ? LIVE_TICK_MS : IDLE_TICK_MS);
  // Filtered after the layout: the axis stays the conversation's, so a run keeps its place in time.
  const layout = useMemo(() => {
    const full = layoutTrace(runs, Math.max(now, Date.now()));
    return agent === undefined ? full : { ...full, rows: full.rows.filter((row) => row.run.agent === agent) };
  }, [runs, now, agent]);
  const ticks = axisTicks(layout);
  const treeLabel = useId();
  const rowRefs = useRef(new Map<string, HTMLLIElement>());
  const [focusedId, setFocusedId] = useState<string | undefined>(undefined);
  const focusable = layout.rows.some((row) => row.run.runId === focusedId) ? focusedId : (selectedRunId ?? layout.rows[0]?.run.runId);

  // The newest live run stays in view as the trace grows.
  useEffect(() => {
    if (layout.liveRunId !== undefined) rowRefs.current.get(layout.liveRunId)?.scrollIntoView?.({ block: "nearest" });
  }, [layout.liveRunId]);

  useEffect(() => {
    if (returnTo === undefined) return;
    setFocusedId(returnTo.runId);
    // After the panel's own effects: a drawer that opens takes the focus first, then the run gets it.
    const frame = requestAnimationFrame(() => {
      const row = rowRefs.current.get(returnTo.runId);
      row?.scrollIntoView?.({ block: "nearest" });
      row?.focus();
    });
    return () => cancelAnimationFrame(frame);
  }, [returnTo]);

  const moveTo = (index: number): void => {
    const row = layout.rows[Math.max(0, Math.min(index, layout.rows.length - 1))];
    if (row === undefined) return;
    setFocusedId(row.run.runId);
    rowRefs.current.get(row.run.runId)?.focus();
  };
  const activate = (run: RunSummary): void => {
    setFocusedId(run.runId);
    onActivate(run);
  };
  const onKeyDown = (event: KeyboardEvent<HTMLUListElement>): void => {
    const index = layout.rows.findIndex((row) => row.run.runId === focusable);
    const row = layout.rows[index];
    if (row === undefined) return;
    const keys: Record<string, () => void> = {
      ArrowDown: () => moveTo(index + 1),
      ArrowUp: () => moveTo(index - 1),
      Home: () => moveTo(0),
      End: () => moveTo(layout.rows.length - 1),
      // Left goes up to the run that handed this one its work, right down to its first child.
      ArrowLeft: () => moveTo(layout.rows.findLastIndex((candidate, at) => at < index && candidate.depth < row.depth)),
      ArrowRight: () => {
        if (layout.rows[index + 1]?.depth === row.depth + 1) moveTo(index + 1);
      },
      Enter: () => activate(row.run),
      " ": () => activate(row.run),
    };
    const action = keys[event.key];
    if (action === undefined) return;
    event.preventDefault();
    action();
  };

  return (
    <>
      <p id={treeLabel} className="sr-only">
        Runs on a time axis, each under the run that handed it work. Arrow keys move, Enter opens a run and shows it in the chat.
      </p>
      <div className="trace-axis" aria-hidden="true">
        {ticks.map((tick) => (
          <span key={tick.percent} className="trace-tick" style={{ left: `${tick.percent}%` }}>
            {tick.label}
          </span>
        ))}
      </div>
      <ul className="trace-tree" role="tree" aria-labelledby={treeLabel} onKeyDown={onKeyDown}>
        {layout.rows.map((row) => {
          const { run } = row;
          const name = spanName(row);
          return (
            <li
              key={run.runId}
              ref={(element) => {
                if (element === null) rowRefs.current.delete(run.runId);
                else rowRefs.current.set(run.runId, element);
              }}
              role="treeitem"
              aria-level={row.depth + 1}
              aria-selected={run.runId === selectedRunId}
              aria-label={name}
              tabIndex={run.runId === focusable ? 0 : -1}
              className={`trace-row is-${run.status}${run.runId === selectedRunId ? " is-selected" : ""}`}
              data-testid="run"
              data-status={run.status}
              data-run-id={run.runId}
              data-agent={run.agent}
              data-depth={row.depth}
              onClick={() => activate(run)}
              onFocus={() => setFocusedId(run.runId)}
            >
              <span className="trace-label" style={{ paddingInlineStart: `${row.depth * 12}px` }}>
                <AgentChip name={run.agent} />
                {row.live && run.slow !== undefined && (
                  <span className="trace-slow" data-testid="run-slow" title={run.slow}>
                    slow
                  </span>
                )}
              </span>
              <span className="trace-lane">
                <span
                  className={`trace-span is-${run.status}${row.live ? " is-live" : ""}`}
                  data-testid="run-span"
                  title={name}
                  style={{ left: `${row.leftPercent}%`, width: `${row.widthPercent}%` }}
                />
              </span>
            </li>
          );
        })}
      </ul>
    </>
  );
}

/**
 * The conversation's runs as a trace: each run a span on one time axis (live ones growing to now),
 * nested under the run that handed it work, so delegations that ran in parallel overlap; the
 * newest live run is kept in view. Choosing a run shows its steps and takes the chat to its place.
 */
export const RunTimeline = memo(function RunTimeline({
  runs,
  conversationId,
  api,
  selectedRunId,
  onSelect,
  onShowInChat,
  returnTo,
  agentFilter,
  onClearFilter,
}: {
  runs: DerivedRuns;
  conversationId: string | undefined;
  api: SwitchboardApi;
  selectedRunId: string | undefined;
  onSelect: (runId: string) => void;
  onShowInChat: (run: RunSummary) => void;
  /** Set by "Back to trace": the run whose span takes the focus again. */
  returnTo: TraceFocus | undefined;
  /** Only this agent's runs are listed (chosen on the team graph). */
  agentFilter: string | undefined;
  onClearFilter: () => void;
}) {
  countRender("run-timeline");
  const { totals } = runs;
  const selected = selectedRunId === undefined ? undefined : runs.byId.get(selectedRunId);
  const activate = useCallback(
    (run: RunSummary) => {
      onSelect(run.runId);
      if (run.chatEventId !== undefined) onShowInChat(run);
    },
    [onSelect, onShowInChat],
  );

  const chip = agentFilter !== undefined && (
    <p className="trace-filter" data-testid="trace-filter">
      <span className="trace-filter-chip">
        <span>agent: {agentFilter}</span>
        <button type="button" className="trace-filter-remove" aria-label={`Remove the filter agent: ${agentFilter}`} onClick={onClearFilter}>
          <span aria-hidden="true">×</span>
        </button>
      </span>
    </p>
  );
  const shown = agentFilter === undefined ? runs.roots.length : [...runs.byId.values()].filter((run) => run.agent === agentFilter).length;

  if (runs.roots.length === 0 || shown === 0) {
    return (
      <div className="run-timeline" data-testid="run-timeline">
        {chip}
        <p className="muted">
          {runs.roots.length === 0
            ? "No runs yet. Each agent turn appears here as a span on a time axis, with its steps, tokens and cost."
            : `No runs of ${agentFilter ?? ""} in this conversation yet.`}
        </p>
      </div>
    );
  }

  return (
    <div className="run-timeline run-trace" data-testid="run-timeline">
      <p className="run-overview">
        {totals.runs} {totals.runs === 1 ? "run" : "runs"} · {formatTokens(totals.tokens)} · {formatCost(totals.costUsd, runModels(runs))}
        {totals.running > 0 && ` · ${totals.running} running`}
        {totals.failed > 0 && ` · ${totals.failed} failed`}
      </p>
      {chip}
      <TraceTree runs={runs} selectedRunId={selectedRunId} onActivate={activate} returnTo={returnTo} agent={agentFilter} />
      {selected !== undefined && <RunDetails run={selected} conversationId={conversationId} api={api} onShowInChat={onShowInChat} />}
    </div>
  );
});
