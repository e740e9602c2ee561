import type { Event } from "./events.js";

/**
 * True once every run seen in `events` (and every run a handoff started) has ended: the team has
 * finished answering. Pass the events that follow one user message.
 */
export function turnFinished(events: Event[]): boolean {
  const started = new Set<string>();
  const ended = new Set<string>();
  for (const event of events) {
    if (event.type === "run.started" && event.runId) started.add(event.runId);
    if (event.type === "handoff") started.add(event.data.childRunId);
    if ((event.type === "run.completed" || event.type === "run.failed") && event.runId) ended.add(event.runId);
  }
  if (started.size === 0) return false;
  for (const runId of started) if (!ended.has(runId)) return false;
  return true;
}
