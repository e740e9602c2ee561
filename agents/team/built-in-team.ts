import { StaticTeam } from "../agent-directory.js";
import { KnowledgeBase } from "../tools/knowledge-base.js";
import { calculatorAgent } from "./calculator.js";
import { managerAgent } from "./manager.js";
import { researcherAgent } from "./researcher.js";
import { writerAgent } from "./writer.js";

/** The team Switchboard ships with: the manager and three specialists. */
export async function builtInTeam(): Promise<StaticTeam> {
  const knowledgeBase = await KnowledgeBase.load();
  const specialists = [calculatorAgent, researcherAgent(knowledgeBase), writerAgent];
  return new StaticTeam([managerAgent(specialists.map((agent) => agent.name)), ...specialists]);
}
