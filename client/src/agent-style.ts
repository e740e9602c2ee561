/**
 * How an agent looks wherever it appears: a hue derived from its name, so the same agent has the
 * same colour in the chat, the graph and the timeline on every machine, and its initials.
 */

/** FNV-1a: tiny, stable across browsers, and spreads similar names ("writer", "writer-2") apart. */
function hash(text: string): number {
  let value = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    value ^= text.charCodeAt(index);
    value = Math.imul(value, 0x01000193);
  }
  return value >>> 0;
}

/**
 * Twelve hues far enough apart to tell agents apart at a glance. A raw `hash % 360` put the
 * calculator, the researcher and the writer within 20° of each other (three olive greens); picking
 * from a palette keeps every pair at least ~25° apart, and this order gives the built-in team and
 * the shipped examples six clearly different colours.
 */
const PALETTE = [345, 95, 48, 170, 316, 28, 140, 235, 0, 185, 265, 205] as const;

/** Hue in degrees (0–359). The CSS turns it into light/dark colours with enough contrast. */
export function agentHue(name: string): number {
  return PALETTE[hash(name) % PALETTE.length] ?? 230;
}

/** "web-search" → "WS", "calculator" → "CA". */
export function agentInitials(name: string): string {
  const parts = name.split(/[-_\s]+/).filter((part) => part !== "");
  const first = parts[0] ?? "?";
  const second = parts[1];
  const initials = second !== undefined ? `${first.charAt(0)}${second.charAt(0)}` : first.slice(0, 2);
  return initials.toUpperCase();
}
