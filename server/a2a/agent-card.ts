import type { AgentCard, AgentSkill } from "@a2a-js/sdk";
import { duplicateInterfacesForLegacy } from "@a2a-js/sdk/compat/v0_3";
import { MANAGER } from "../../shared/agent-name.js";
import { EVERY_AGENT, type AgentSpec } from "../../shared/agent-spec.js";
import type { WorkflowSummary } from "../../shared/workflow.js";

/** Where the JSON-RPC endpoint is mounted, beside the REST API. */
export const A2A_PATH = "/a2a";
/** Where A2A clients look for the card (the protocol's well-known path). */
export const AGENT_CARD_PATH = "/.well-known/agent-card.json";
/** The name of the bearer scheme in the card. */
const BEARER = "bearer";

const skill = (id: string, name: string, description: string, tags: string[]): AgentSkill => ({
  id,
  name,
  description,
  tags,
  examples: [],
  inputModes: ["text/plain"],
  outputModes: ["text/plain"],
  securityRequirements: [],
});

/**
 * The team's skills: each enabled specialist the manager may hand work to, and each workflow
 * (the manager runs them as tools). A2A clients send every message to the team; the manager picks.
 */
export function teamSkills(agents: AgentSpec[], workflows: WorkflowSummary[]): AgentSkill[] {
  const manager = agents.find((agent) => agent.name === MANAGER);
  const reachable = (name: string) => manager?.handoffs.includes(EVERY_AGENT) === true || manager?.handoffs.includes(name) === true;
  const specialists = agents
    .filter((agent) => agent.name !== MANAGER && agent.enabled && reachable(agent.name))
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((agent) => skill(`agent:${agent.name}`, agent.name, agent.description, ["agent"]));
  const flows = [...workflows]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((workflow) => skill(`workflow:${workflow.name}`, workflow.name, workflow.description, ["workflow"]));
  return [...specialists, ...flows];
}

/**
 * The card of the team as one A2A agent: JSON-RPC at `baseUrl` + /a2a (A2A 1.0 and 0.3), streaming, the
 * same bearer token as the REST API. `version` is the agent registry's: it changes with the team.
 */
export function teamCard(baseUrl: string, skills: AgentSkill[], version: string): AgentCard {
  return {
    name: "Switchboard",
    description:
      "A team of AI agents: a manager hands each request to the specialist or workflow that fits, and answers with what they found. " +
      "Send a message to start a conversation; send its contextId again to continue it.",
    // The same endpoint speaks 0.3 to clients that ask for it (the SDK's compat layer).
    supportedInterfaces: duplicateInterfacesForLegacy([{ url: `${baseUrl}${A2A_PATH}`, protocolBinding: "JSONRPC", tenant: "", protocolVersion: "1.0" }], ["JSONRPC"]),
    provider: undefined,
    version,
    capabilities: { streaming: true, pushNotifications: false, extensions: [], extendedAgentCard: false },
    securitySchemes: {
      [BEARER]: {
        scheme: {
          $case: "httpAuthSecurityScheme",
          value: { description: "The access token of Switchboard's REST API (npm start prints it).", scheme: "bearer", bearerFormat: "" },
        },
      },
    },
    securityRequirements: [{ schemes: { [BEARER]: { list: [] } } }],
    defaultInputModes: ["text/plain"],
    defaultOutputModes: ["text/plain"],
    skills,
    signatures: [],
  };
}
