import type { Event } from "../../../shared/events.js";

/**
 * Events logged more than once: the same event (type, run, agent and data) twice, or a run that
 * started, ended or answered twice.
 */
export function loggedTwice(events: Event[]): string[] {
  const seen = new Set<string>();
  const twice: string[] = [];
  const once = new Set(["run.started", "run.completed", "run.failed", "message.agent", "workflow.started", "workflow.completed", "workflow.failed"]);
  for (const event of events) {
    const keys = [`same:${event.type}/${event.runId ?? ""}/${event.agent ?? ""}/${JSON.stringify(event.data)}`];
    if (once.has(event.type) && event.runId) keys.push(`once:${event.type}/${event.runId}`);
    for (const key of keys) {
      if (seen.has(key)) twice.push(`${event.type} ${event.id} (${key.slice(0, 120)})`);
      seen.add(key);
    }
  }
  return twice;
}
