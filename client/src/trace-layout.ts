/**
 * The run trace's geometry: every run a span on one time axis shared by the conversation's runs,
 * from its start to its end (a live run to "now"), in tree order with each run's depth under the
 * run that handed it work. Delegations that ran at the same time get spans that overlap. Pure:
 * the view turns the percentages into positions.
 */
import type { DerivedRuns, RunSummary } from "./runs.js";

/** The narrowest span drawn, in percent of the axis, so an instant run can still be seen and clicked. */
export const MIN_SPAN_PERCENT = 1.5;

export interface TraceRow {
  run: RunSummary;
  /** 0 for a run the user started; 1 under the run that handed it work; … */
  depth: number;
  /** Start and end on the clock (ms); a live run ends now. */
  startMs: number;
  endMs: number;
  /** Still running: its span grows with the clock. */
  live: boolean;
  /** Where the span starts and how wide it is, in percent of the axis. */
  leftPercent: number;
  widthPercent: number;
}

export interface TraceLayout {
  rows: TraceRow[];
  /** The axis: the earliest start to the latest end (or now, while a run is live). */
  startMs: number;
  endMs: number;
  /** The last live run in tree order (the newest at work): the one to keep in view. */
  liveRunId: string | undefined;
}

const time = (iso: string | undefined): number | undefined => {
  if (iso === undefined) return undefined;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms;
};

/** A run's interval; a run whose start the log no longer holds began `latencyMs` before its end. */
function interval(run: RunSummary, now: number): { start: number | undefined; end: number | undefined; live: boolean } {
  const live = run.status === "running";
  const end = live ? Math.max(now, time(run.startedAt) ?? now) : time(run.endedAt);
  const start = time(run.startedAt) ?? (end !== undefined && run.latencyMs !== undefined ? end - run.latencyMs : undefined);
  return { start, end: end ?? start, live };
}

export function layoutTrace(runs: DerivedRuns, now: number): TraceLayout {
  const flat: { run: RunSummary; depth: number; start: number | undefined; end: number | undefined; live: boolean }[] = [];
  const visit = (run: RunSummary, depth: number): void => {
    flat.push({ run, depth, ...interval(run, now) });
    // Children in the order they started, so parallel ones sit together.
    const children = [...run.children].sort((a, b) => (time(a.startedAt) ?? Infinity) - (time(b.startedAt) ?? Infinity));
    for (const child of children) visit(child, depth + 1);
  };
  for (const root of runs.roots) visit(root, 0);

  const known = flat.flatMap((row) => (row.start === undefined ? [] : [row.start, row.end ?? row.start]));
  const axisStart = known.length > 0 ? Math.min(...known) : now;
  const axisEnd = Math.max(known.length > 0 ? Math.max(...known) : now, axisStart);
  const span = axisEnd - axisStart;
  const percent = (ms: number): number => (span === 0 ? 0 : ((ms - axisStart) / span) * 100);

  const rows = flat.map(({ run, depth, start, end, live }): TraceRow => {
    // A run with no time at all (a trimmed log) is drawn over the whole axis rather than hidden.
    const startMs = start ?? axisStart;
    const endMs = Math.max(end ?? axisEnd, startMs);
    const left = start === undefined ? 0 : percent(startMs);
    const width = start === undefined ? 100 : percent(endMs) - left;
    const widthPercent = Math.max(width, MIN_SPAN_PERCENT);
    return { run, depth, startMs, endMs, live, leftPercent: Math.min(left, 100 - widthPercent), widthPercent };
  });
  return { rows, startMs: axisStart, endMs: axisEnd, liveRunId: rows.findLast((row) => row.live)?.run.runId };
}

/** Two spans overlap: the runs were at work at the same time. */
export function overlaps(a: TraceRow, b: TraceRow): boolean {
  return a.startMs < b.endMs && b.startMs < a.endMs;
}

/** A duration as the trace labels it: "850 ms", "12.3 s", "2 min 5 s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(Math.round(ms / 100) / 10).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

/** Labels along the axis: its start, middle and end, as time since the first run began. */
export function axisTicks(layout: TraceLayout): { percent: number; label: string }[] {
  const span = layout.endMs - layout.startMs;
  return [0, 50, 100].map((percent) => ({ percent, label: formatDuration((span * percent) / 100) }));
}
