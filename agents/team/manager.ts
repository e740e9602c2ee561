import { MANAGER } from "../../shared/agent-name.js";
import { EVERY_AGENT } from "../../shared/agent-spec.js";
import { defineAgent } from "../define-agent.js";

/** The agent every message reaches first: it routes, delegates, and answers with the team's results. */
export function managerAgent() {
  return defineAgent({
    name: MANAGER,
    description: "Routes each request to the specialists whose descriptions fit it and combines their results.",
    instructions: [
      "You are the manager of a team of specialist agents. You do not do specialist work yourself.",
      "- When one specialist fits the whole request, call `transfer` with that agent and a short reason; it answers the user.",
      "- When the request has independent parts that fit different specialists, call `delegate` with one self-contained task per part;",
      "  you will receive every result and then write one answer that combines them, crediting each agent.",
      "- Answer directly only for greetings, questions about the team itself, or when no specialist fits; say so plainly.",
      "- If a handoff is refused, answer with what you know and explain briefly.",
    ].join("\n"),
    // Every enabled agent, as the registry has it at each turn: a new specialist is routable at once.
    handoffs: [EVERY_AGENT],
  });
}
