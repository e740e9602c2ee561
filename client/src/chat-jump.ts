/**
 * Jumping from the run trace to the chat: each chat item is marked with the ids of the events it
 * draws, so the place of a run (its `chatEventId`, runs.ts) is found whatever item holds it.
 */
import type { ChatItem } from "./chat-items.js";

/** The ids of the events a chat item draws: its own key, and the others it folds in (parallel handoffs, a tool's result, a decision). */
export function chatItemEventIds(item: ChatItem): string[] {
  const ids = new Set<string>([item.key]);
  switch (item.kind) {
    case "handoffs":
      for (const handoff of item.handoffs) ids.add(handoff.id);
      break;
    case "tool":
      if (item.call) ids.add(item.call.id);
      if (item.result) ids.add(item.result.id);
      break;
    case "approval":
      ids.add(item.requested.id);
      if (item.resolved) ids.add(item.resolved.id);
      break;
    default:
      break;
  }
  return [...ids];
}

/** The attribute value that lists an item's event ids, matched with `[data-chat-events~="<id>"]`. */
export function chatEventsAttribute(item: ChatItem): string {
  return chatItemEventIds(item).join(" ");
}

/** A CSS selector for the item that draws the event `eventId` (ids are stream ids: digits and a dash). */
export function chatEventSelector(eventId: string): string {
  return `[data-chat-events~="${eventId.replace(/[^0-9A-Za-z_-]/g, "")}"]`;
}

/** A CSS selector for a block the chat draws for a whole run (a delegated run's work). */
export function chatRunSelector(runId: string): string {
  return `[data-run-id="${runId.replace(/[^0-9A-Za-z_.-]/g, "")}"]`;
}
