import { MANAGER } from "./agent-name.js";
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
    if ((event.type === "run.completed" || event.type === "run.failed" || event.type === "run.cancelled") && event.runId) ended.add(event.runId);
  }
  if (started.size === 0) return false;
  for (const runId of started) if (!ended.has(runId)) return false;
  return true;
}

/** The user message (stream id) whose turn a run belongs to: a turn's run ids are `<conversation>-<message id>…`. */
export function turnOfRun(conversationId: string, runId: string): string | undefined {
  if (!runId.startsWith(`${conversationId}-`)) return undefined;
  return /^(\d+-\d+)/.exec(runId.slice(conversationId.length + 1))?.[1];
}

/** An agent run of a user's turn that has not ended: queued, running, or waiting. */
export interface PendingRun {
  runId: string;
  /** The agent whose queue holds the run's job (known once a handoff or its start was logged). */
  agent: string;
  /** The user message (stream id) whose turn the run belongs to. */
  turn: string;
}

/**
 * The runs of user turns that have not ended, from a stretch of the log (oldest first): each user
 * message's manager run, every run started or handed to, less those that completed, failed or
 * were cancelled. A turn's runs carry its message's id in their run ids (`<conversation>-<id>…`).
 */
export function pendingRuns(conversationId: string, events: readonly Event[]): PendingRun[] {
  const pending = new Map<string, PendingRun>();
  const add = (runId: string, agent: string) => {
    const turn = turnOfRun(conversationId, runId);
    if (turn !== undefined && !pending.has(runId)) pending.set(runId, { runId, agent, turn });
  };
  const ended = new Set<string>();
  for (const event of events) {
    if (event.type === "message.user") add(`${conversationId}-${event.id}`, MANAGER);
    if (event.type === "handoff") add(event.data.childRunId, event.data.to);
    if (event.type === "run.started" && event.runId && event.agent) add(event.runId, event.agent);
    if ((event.type === "run.completed" || event.type === "run.failed" || event.type === "run.cancelled") && event.runId) ended.add(event.runId);
  }
  return [...pending.values()].filter((run) => !ended.has(run.runId));
}
