import type { AgentDefinition } from "./define-agent.js";

/** Where the runtime looks agents up: the enabled team as it is now. */
export interface AgentDirectory {
  get(name: string): AgentDefinition | undefined;
  list(): AgentDefinition[];
  /** Brings the view up to date with the registry; cheap when nothing changed. */
  refresh(): Promise<void>;
}
