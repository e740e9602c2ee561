import type { AgentDefinition } from "../define-agent.js";
import { KnowledgeBase } from "../tools/knowledge-base.js";
import { calculatorAgent } from "./calculator.js";
import { managerAgent } from "./manager.js";
import { researcherAgent } from "./researcher.js";
import { writerAgent } from "./writer.js";

/** The team Switchboard ships with: the manager and three specialists. */
export async function builtInAgents(): Promise<AgentDefinition[]> {
  const knowledgeBase = await KnowledgeBase.load();
  return [managerAgent(), calculatorAgent, researcherAgent(knowledgeBase), writerAgent];
}
