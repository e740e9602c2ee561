/**
 * A translation request: the offline model cannot translate, so it says so on one line and gives
 * the text back as it was (title line and formatting kept), which a workflow can still publish.
 * Recognized at the start of the prompt: "Translate (this|the following|it)? into|to <Language>",
 * the text being what follows the request's first colon or line break. A request in the step's
 * instructions ("Translate into French.") applies to the whole prompt.
 */

/** "Translate into French; keep the title line …": the language is the word after into/to, and a second capitalised one ("Brazilian Portuguese"). */
const TRANSLATE =
  /^\s*(?:(?:please|kindly|can you|could you|would you)\s+)*translate\s+(?:(?:this|these|it|the following)(?:\s+(?:text|draft|post|article|announcement|message))?\s+)?(?:in)?to\s+(\p{L}[\p{L}-]*)(?:[ \t]+(\p{L}[\p{L}-]*))?/iu;

export function translationAnswer(instructions: string, task: string): string | undefined {
  const request = TRANSLATE.exec(task);
  if (request) {
    const text = textAfterRequest(task, request[0].length);
    return text === undefined ? undefined : unavailable(languageOf(request), text);
  }
  const instructed = TRANSLATE.exec(instructions);
  if (instructed && task.trim() !== "") return unavailable(languageOf(instructed), task.trimEnd());
  return undefined;
}

/** What follows the request's first colon or line break, as written; undefined when there is nothing. */
function textAfterRequest(task: string, from: number): string | undefined {
  const rest = task.slice(from);
  const end = rest.search(/[:\n]/);
  if (end === -1) return undefined;
  // The colon's own space and line break go; the text's indentation and layout stay.
  const text = rest.slice(end + 1).replace(/^[ \t]*\r?\n|^[ \t]+/, "").trimEnd();
  return text.trim() === "" ? undefined : text;
}

/** "French"; "Brazilian Portuguese" when the second word is capitalised too ("French and …" is French). */
function languageOf(request: RegExpExecArray): string {
  const [first = "", second] = [request[1], request[2]];
  return second !== undefined && /^\p{Lu}/u.test(second) ? `${first} ${second}` : first;
}

function unavailable(language: string, text: string): string {
  const name = language
    .split(/\s+/)
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join(" ");
  return `[${name} translation unavailable with the offline model; English text kept]\n${text}`;
}
