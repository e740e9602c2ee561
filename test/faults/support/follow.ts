import type { Event } from "../../../shared/events.js";

/** What following a log needs: the harness's `ApiClient` or the fault tests' `LightClient`. */
export interface LogReader {
  events(conversationId: string, after?: string, wait?: number): Promise<Event[]>;
}

/**
 * Follows a conversation's log over REST (long polls, as `npm run chat` does) until `done` holds;
 * no deadline of its own: the test's timeout is the bound.
 */
export async function followUntil(api: LogReader, conversationId: string, done: (events: Event[]) => boolean, after = "0"): Promise<Event[]> {
  const events: Event[] = [];
  let cursor = after;
  while (!done(events)) {
    const next = await api.events(conversationId, cursor, 5_000);
    events.push(...next);
    cursor = next.at(-1)?.id ?? cursor;
  }
  return events;
}

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
