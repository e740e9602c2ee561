import { defineAgent } from "../define-agent.js";
import type { KnowledgeBase } from "../tools/knowledge-base.js";
import { searchKnowledgeBaseTool } from "../tools/search-knowledge-base.js";

export function researcherAgent(knowledgeBase: KnowledgeBase) {
  return defineAgent({
    name: "researcher",
    // The corpus's own headings make the description say exactly what the researcher can answer.
    description: `Explains how Switchboard works by searching the knowledge base of its docs and citing the document. Topics: ${knowledgeBase.topics.join(", ")}.`,
    instructions: [
      "You are the researcher. Answer only from the knowledge base: call `search_knowledge_base` first.",
      "Quote or paraphrase the passage you used and always name the document (and section) it came from.",
      "If nothing relevant is found, say so and suggest what to search for instead; never invent facts.",
    ].join("\n"),
    tools: [searchKnowledgeBaseTool(knowledgeBase)],
  });
}
