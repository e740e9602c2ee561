import { MANAGER } from "../shared/agent-name.js";
import type { AgentDefinition } from "./define-agent.js";
import { ConfigurationError } from "./errors.js";

/** Where the runtime looks agents up; the team as it is now. */
export interface AgentDirectory {
  get(name: string): AgentDefinition | undefined;
  list(): AgentDefinition[];
}

/** A fixed team, checked as a whole: one manager, unique names, handoff targets that exist. */
export class StaticTeam implements AgentDirectory {
  private readonly agents: Map<string, AgentDefinition>;

  constructor(definitions: AgentDefinition[]) {
    this.agents = new Map();
    for (const agent of definitions) {
      if (this.agents.has(agent.name)) throw new ConfigurationError(`agent "${agent.name}" is defined twice`);
      this.agents.set(agent.name, agent);
    }
    if (!this.agents.has(MANAGER)) throw new ConfigurationError(`the team needs an agent named "${MANAGER}"`);
    for (const agent of definitions) {
      for (const target of agent.handoffs) {
        if (!this.agents.has(target)) {
          throw new ConfigurationError(`agent "${agent.name}": handoffs: no agent named "${target}" in the team`);
        }
      }
    }
  }

  get(name: string): AgentDefinition | undefined {
    return this.agents.get(name);
  }

  list(): AgentDefinition[] {
    return [...this.agents.values()];
  }
}
