/** Number formatting shared by the chat, the timeline and the graph. */

const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

export { formatCost, OFFLINE_MODEL } from "../../shared/cost.js";

export function formatMs(ms: number): string {
  return `${integer.format(Math.round(ms))} ms`;
}

export function formatTokens(tokens: number): string {
  return `${integer.format(tokens)} ${tokens === 1 ? "token" : "tokens"}`;
}

export function formatCount(value: number): string {
  return integer.format(value);
}

/*
 * Date formatters are built once: `toLocaleString` with options builds a new Intl.DateTimeFormat
 * on every call, which cost a fifth of the page's time while an answer streamed (issue #11).
 */
const clock = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const day = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });

/** Clock time for a message, e.g. "14:05"; the full date goes in the element's title. */
export function formatClock(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return clock.format(date);
}

export function formatDateTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return dateTime.format(date);
}

/** "just now", "5 min ago", "yesterday", or a date: how the conversation list labels its entries. */
export function formatRelative(iso: string, now: number): string {
  const time = new Date(iso).getTime();
  if (Number.isNaN(time)) return "";
  const seconds = Math.round((now - time) / 1000);
  if (seconds < 45) return "just now";
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.round(hours / 24);
  if (days === 1) return "yesterday";
  if (days < 7) return `${days} days ago`;
  return day.format(time);
}

/** JSON for people: pretty-printed; strings are shown as they are, not as quoted JSON. */
export function formatJson(value: unknown): string {
  if (value === undefined) return "(nothing)";
  if (typeof value === "string") return value;
  try {
    return JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    return String(value);
  }
}
