import type { DelegatedResult } from "./tool-results.js";
import { listOf } from "./voice.js";

/** Every agent's result under its name, failures marked, and what nobody took. */
export function synthesize(results: DelegatedResult[], leftOver: string[]): string {
  const repeated = (agent: string) => results.filter((result) => result.agent === agent).length > 1;
  // An agent that got two tasks is labelled with each task, so the answers can be told apart.
  const label = (result: DelegatedResult) => (result.task && repeated(result.agent) ? ` (${result.task})` : "");
  const sections = results.map((result) => `**${result.agent}**${label(result)}${result.failed ? " (failed)" : ""}: ${result.text}`);
  const lead = results.every((result) => result.failed) ? "The team could not finish this:" : "Here is what the team found:";
  const quoted = leftOver.map((text) => `"${text}"`);
  const untaken = quoted.length > 0 ? [`Nobody on the team took ${listOf(quoted)}, and as Switchboard's offline model I can't answer that myself.`] : [];
  return [lead, ...sections, ...untaken].join("\n\n");
}
