/** How the offline model speaks for itself: it says what it is, so nobody mistakes it for an LLM. */

export const OFFLINE_INTRO = "I'm Switchboard's offline model (rule-based, no LLM behind it)";
const MAX_SUMMARY_CHARS = 90;

/** Nothing to act on: answer thanks and greetings in kind. */
export function smallTalkOpener(text: string): string {
  if (/\bthank|\bthx\b|\bcheers\b/i.test(text)) return "You're welcome! ";
  if (/\b(?:hi|hello|hey|good (?:morning|afternoon|evening))\b/i.test(text)) return "Hello! ";
  return "";
}

/** The first sentence of a description or instructions, clipped. */
export function summaryOf(text: string): string {
  const first = text.trim().split(/(?<=[.!?])\s|\n/)[0]?.trim() ?? "";
  return first.length > MAX_SUMMARY_CHARS ? `${first.slice(0, MAX_SUMMARY_CHARS - 1)}…` : first;
}

export function listOf(items: string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items.at(-1) ?? ""}`;
}
