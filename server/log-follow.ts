import type { LogTail } from "../platform/log-tail.js";
import type { Event } from "../shared/events.js";

/**
 * Hands the conversation's events after `after` to `onEvent`, in order, until it returns a value
 * (which the promise resolves to) or `signal` aborts (undefined then). Protocol adapters (the MCP
 * tools, the A2A executor) follow a turn or a workflow run with it.
 */
export function followLog<T>(
  tail: LogTail,
  conversationId: string,
  after: string,
  signal: AbortSignal,
  onEvent: (event: Event) => T | undefined,
): Promise<T | undefined> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(undefined);
    let done = false;
    let unsubscribe: (() => void) | undefined;
    const finish = (value: T | undefined) => {
      if (done) return;
      done = true;
      signal.removeEventListener("abort", aborted);
      unsubscribe?.();
      resolve(value);
    };
    const aborted = () => finish(undefined);
    signal.addEventListener("abort", aborted, { once: true });
    unsubscribe = tail.subscribe(conversationId, after, (event) => {
      if (done) return;
      const value = onEvent(event);
      if (value !== undefined) finish(value);
    });
    // The tail may have handed over the ending event before subscribe returned.
    if (done) unsubscribe();
  });
}
