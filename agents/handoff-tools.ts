import { z } from "zod";

/** Tool the model calls to give the whole conversation to another agent, who answers the user. */
export const TRANSFER_TOOL = "transfer";
/** Tool the model calls to send tasks to other agents in parallel and continue with their results. */
export const DELEGATE_TOOL = "delegate";
export const MAX_DELEGATED_TASKS = 5;

export interface HandoffCandidate {
  name: string;
  description: string;
}

/**
 * The agent parameter lists each target as a `const` with its description, so the model (and the
 * offline model) route on the descriptions without a roster in the prompt.
 */
function agentParameter(candidates: HandoffCandidate[]) {
  const [first, ...rest] = candidates.map((candidate) => z.literal(candidate.name).describe(candidate.description));
  if (!first) throw new Error("handoff tools need at least one candidate");
  return rest.length === 0 ? first : z.union([first, ...rest]);
}

export function transferParameters(candidates: HandoffCandidate[]) {
  return z.object({
    agent: agentParameter(candidates).describe("The agent to take over."),
    reason: z.string().min(1).max(300).describe("Why this agent, in a few words; shown to the user."),
  });
}

export function delegateParameters(candidates: HandoffCandidate[]) {
  return z.object({
    tasks: z
      .array(
        z.object({
          agent: agentParameter(candidates),
          task: z.string().min(1).max(2000).describe("The self-contained task for that agent."),
          reason: z.string().min(1).max(300).describe("Why this agent, in a few words; shown to the user."),
        }),
      )
      .min(1)
      .max(MAX_DELEGATED_TASKS)
      .describe("Independent tasks; they run in parallel and their results come back to you."),
  });
}

export const TRANSFER_DESCRIPTION =
  "Hand the conversation to one agent whose description fits the whole request; that agent answers the user.";
export const DELEGATE_DESCRIPTION =
  "Send two or more independent parts of the request to the agents that fit them; they run in parallel and you receive every result to write the final answer.";
