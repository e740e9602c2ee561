/**
 * The words a prompt reports from someone: what follows "The customer wrote:" or "Customer says:",
 * else the text in quotation marks. A workflow's prompt wraps a person's message in a template of
 * its own ("Refund request for order {{orderId}}, amount ${{amount}}. The customer wrote:
 * {{reason}}"); the template's words are the same for every request, so only the person's own
 * words tell one request from another.
 */

/** A reporting verb and its colon: everything after it is the person's. */
const REPORTED =
  /\b(?:wrote|writes|said|says|asked|asks|reported|reports|explained|explains|complained|complains|messaged|replied|replies|commented|comments|added|adds)\s*:\s*(\S[\s\S]*)$/i;
const QUOTED = /"([^"\n]+)"|“([^”]+)”/g;

export function reportedWords(text: string): string | undefined {
  const reported = REPORTED.exec(text)?.[1]?.trim();
  if (reported) return reported;
  const quoted = [...text.matchAll(QUOTED)].map((match) => (match[1] ?? match[2] ?? "").trim()).filter((span) => span !== "");
  return quoted.length > 0 ? quoted.join(" ") : undefined;
}
