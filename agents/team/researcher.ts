import { defineAgent } from "../define-agent.js";
import type { KnowledgeBase } from "../tools/knowledge-base.js";
import { searchKnowledgeBaseTool } from "../tools/search-knowledge-base.js";

const LEAD = "Explains how Switchboard works by searching the knowledge base of its docs and citing the document.";
/** Descriptions are capped (agent specs take 1,000 characters); the topic list stops before that. */
const MAX_DESCRIPTION = 950;

/** The corpus's own headings make the description say exactly what the researcher can answer. */
function describe(knowledgeBase: KnowledgeBase): string {
  let description = `${LEAD} Topics:`;
  for (const [index, topic] of knowledgeBase.topics.entries()) {
    const next = `${description}${index === 0 ? " " : ", "}${topic}`;
    if (next.length + 1 > MAX_DESCRIPTION) break;
    description = next;
  }
  return `${description}.`;
}

export function researcherAgent(knowledgeBase: KnowledgeBase) {
  return defineAgent({
    name: "researcher",
    description: describe(knowledgeBase),
    instructions: [
      "You are the researcher. Answer only from the knowledge base: call `search_knowledge_base` first.",
      "Quote or paraphrase the passage you used and always name the document (and section) it came from.",
      "If nothing relevant is found, say so and suggest what to search for instead; never invent facts.",
    ].join("\n"),
    tools: [searchKnowledgeBaseTool(knowledgeBase)],
  });
}
