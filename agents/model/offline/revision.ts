import { sentences } from "../../text/sentences.js";
import { recognizeCriterion } from "./criteria.js";
import { bulletItems, promptLead, promptSections } from "./prompt-sections.js";
import { leadingWord } from "./request-parts.js";
import { separateNote } from "./writing.js";

/**
 * An optimizer step: the draft after `Draft:` with the first criterion of the `Feedback:` section
 * that it still fails fixed, and nothing else changed. One fix a round, so an evaluator-optimizer
 * loop takes as many rounds as the draft has failures. Feedback that names no criterion it can fix
 * (or says "All criteria met.") returns the draft as it was.
 *
 * A request to polish or revise a `Draft:` with no `Feedback:` ("Polish this draft; keep its
 * meaning and length.") returns the draft unchanged: the offline model has no rule that improves
 * a text without changing what it says. Either way the answer is the text alone, with no preamble
 * and no note of its own; a note the draft already ends with stays last, as it was.
 */

/** Verbs asking for a better version of a given text, not for a new one or a summary. */
const REVISION_VERBS: ReadonlySet<string> = new Set(
  "revise polish rewrite reword rephrase edit copyedit proofread improve refine tidy tighten fix correct update".split(" "),
);

export function reviseDraft(prompt: string): string | undefined {
  const sections = promptSections(prompt);
  if (sections.draft === undefined) return undefined;
  if (sections.feedback === undefined) return asksForRevision(promptLead(prompt)) ? sections.draft : undefined;
  const { text, note } = separateNote(sections.draft);
  const failed = bulletItems(sections.feedback)
    .map(recognizeCriterion)
    .find((criterion) => criterion !== undefined && !criterion.met(text));
  const revised = failed ? failed.fix(text) : text;
  return note === undefined ? revised : `${revised}\n\n${note}`;
}

/** Some sentence of the request opens with a revision verb ("Please polish this draft."). */
function asksForRevision(lead: string): boolean {
  return sentences(lead).some((sentence) => REVISION_VERBS.has(leadingWord(sentence) ?? ""));
}
