import { recognizeCriterion } from "./criteria.js";
import { bulletItems, promptSections } from "./prompt-sections.js";
import { separateNote } from "./writing.js";

/**
 * An evaluator step: the draft after `Draft:` checked against the criteria after `Criteria:`.
 * Only recognized criteria count; one the offline model cannot check is taken as met and listed
 * nowhere.
 */

export interface Review {
  /** Every recognized criterion is met. */
  pass: boolean;
  /** `max` × the share of recognized criteria met, rounded; `max` when none was recognized. */
  score(max: number): number;
  /** One `- <criterion as written>` line per failed criterion, or "All criteria met.". */
  feedback: string;
}

/** The review of the prompt's draft; undefined when the prompt has no `Draft:` section. */
export function reviewDraft(prompt: string): Review | undefined {
  const sections = promptSections(prompt);
  if (sections.draft === undefined) return undefined;
  const { text } = separateNote(sections.draft);
  const criteria = bulletItems(sections.criteria ?? "").flatMap((item) => recognizeCriterion(item) ?? []);
  const failed = criteria.filter((criterion) => !criterion.met(text));
  const met = criteria.length - failed.length;
  return {
    pass: failed.length === 0,
    score: (max) => (criteria.length === 0 ? max : Math.round((max * met) / criteria.length)),
    feedback: failed.length === 0 ? "All criteria met." : failed.map((criterion) => `- ${criterion.text}`).join("\n"),
  };
}
