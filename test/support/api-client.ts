import { onTestFailed } from "vitest";
import type { Event } from "../../shared/events.js";

/**
 * What tests use to talk to a running Switchboard, with nothing of the platform loaded: a test
 * whose server runs in another process imports this alone.
 */

export const TEST_TOKEN = "test-token-0123456789abcdef";

/**
 * Waits in these helpers have no deadline of their own: they last until what they wait for
 * happens, and only the test's timeout bounds them (generous for tests that start processes).
 * So that a test ended by its timeout still says what the wait saw, call this when a wait starts:
 * if the test fails while the wait is still going, its failure gets one more error, "still
 * waiting for <what>" with `seen()`, and `stop` is called to end the wait (abort a request, kill a
 * process). Call the function it returns once the wait is over. Outside a test (in a hook, in the
 * bench) it does nothing: the hook's own timeout applies.
 */
export function reportIfStillWaiting(what: string, seen: () => string, stop?: (reason: Error) => void): () => void {
  let waiting = true;
  // Made now, so its stack points at the wait in the test.
  const report = new Error(`still waiting for ${what}`);
  try {
    onTestFailed(() => {
      if (!waiting) return;
      waiting = false;
      report.message = `the test ended while still waiting for ${what}; ${seen()}`;
      stop?.(report);
      throw report;
    });
  } catch {
    // Not inside a test.
  }
  return () => {
    waiting = false;
  };
}

/** One line per event, for failure messages. */
export function describeEvents(events: readonly Event[]): string {
  if (events.length === 0) return "no events";
  return `${events.length} events:\n${events.map((e) => `  ${e.type}${e.agent ? ` ${e.agent}` : ""}`).join("\n")}`;
}

/** How long one long-poll request may be held when nothing new is logged; a wait sends as many as it needs. */
const LONG_POLL_MS = 10_000;

/** A REST client as a user's program would write it. */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string | undefined,
  ) {}

  async request(method: string, path: string, body?: unknown, init: { raw?: string; headers?: Record<string, string>; signal?: AbortSignal } = {}) {
    const headers: Record<string, string> = { ...(this.token ? { authorization: `Bearer ${this.token}` } : {}), ...init.headers };
    if (body !== undefined || init.raw !== undefined) headers["content-type"] = "application/json";
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      body: init.raw ?? (body === undefined ? undefined : JSON.stringify(body)),
      ...(init.signal ? { signal: init.signal } : {}),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  }

  async createConversation(): Promise<string> {
    const response = await this.request("POST", "/api/conversations", {});
    if (response.status !== 201) throw new Error(`create conversation: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body.id as string;
  }

  async send(conversationId: string, text: string): Promise<string> {
    const response = await this.request("POST", `/api/conversations/${conversationId}/messages`, { text });
    if (response.status !== 202) throw new Error(`send: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body.eventId as string;
  }

  async events(conversationId: string, after = "0", wait = 0, signal?: AbortSignal): Promise<Event[]> {
    const query = new URLSearchParams({ after, ...(wait > 0 ? { wait: String(wait) } : {}) });
    const response = await this.request("GET", `/api/conversations/${conversationId}/events?${query}`, undefined, signal ? { signal } : {});
    if (response.status !== 200) throw new Error(`events: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body.events as Event[];
  }

  /**
   * Follows the log (long polling, as `npm run chat` does) from `after` (the start unless given)
   * until `done` says it holds what the caller waits for; returns the events read. No deadline:
   * the test's timeout bounds it, and a test that ends meanwhile reports the events so far.
   */
  async waitFor(conversationId: string, done: (events: Event[]) => boolean, options: { after?: string; what?: string } = {}): Promise<Event[]> {
    const events: Event[] = [];
    let cursor = options.after ?? "0";
    const abort = new AbortController();
    const over = reportIfStillWaiting(
      options.what ?? `the log of conversation ${conversationId} to hold what the test expects`,
      () => `read from the log after ${options.after ?? "its start"}: ${describeEvents(events)}`,
      () => abort.abort(),
    );
    try {
      while (!done(events)) {
        const next = await this.events(conversationId, cursor, LONG_POLL_MS, abort.signal);
        events.push(...next);
        cursor = next.at(-1)?.id ?? cursor;
      }
      return events;
    } finally {
      over();
    }
  }
}
