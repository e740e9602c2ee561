/**
 * How far the reader has read each conversation: the id of the newest event that was on screen,
 * kept in localStorage (this browser's; another device keeps its own). Opening a conversation
 * lands at the first message after it.
 */
import { compareStreamIds } from "../../shared/stream-id.js";

const STORAGE_KEY = "switchboard.lastSeen";
/** Marks of the conversations read longest ago are dropped past this many. */
const MAX_CONVERSATIONS = 200;

function read(): Record<string, string> {
  try {
    const parsed: unknown = JSON.parse(window.localStorage.getItem(STORAGE_KEY) ?? "{}");
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, string>) : {};
  } catch {
    // Unreadable or disabled storage: nothing counts as read.
    return {};
  }
}

export function lastSeen(conversationId: string): string | undefined {
  const seen = read()[conversationId];
  return typeof seen === "string" ? seen : undefined;
}

/** Records that `eventId` was seen; the mark only moves forward. */
export function markSeen(conversationId: string, eventId: string): void {
  const marks = read();
  const previous = marks[conversationId];
  if (typeof previous === "string" && compareStreamIds(previous, eventId) >= 0) return;
  // Re-inserted last, so the oldest reads are first to go.
  delete marks[conversationId];
  marks[conversationId] = eventId;
  const kept = Object.entries(marks).slice(-MAX_CONVERSATIONS);
  try {
    window.localStorage.setItem(STORAGE_KEY, JSON.stringify(Object.fromEntries(kept)));
  } catch {
    // Storage full or disabled: the conversation opens at its newest message next time.
  }
}
