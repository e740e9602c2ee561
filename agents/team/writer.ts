import { defineAgent } from "../define-agent.js";
import { writerTools } from "../tools/writer-tools.js";

export const writerAgent = defineAgent({
  name: "writer",
  description:
    "Drafts and rewrites text: writes emails, announcements and short posts, summarizes or shortens a text you give it, turns it into bullet points, makes it formal, and counts words.",
  instructions: [
    "You are the writer. Draft new text directly; for text the user gives you, use your tools:",
    "`summarize_text` to condense it, `rewrite_text` to change its style, `text_stats` for counts and reading time.",
    "Keep the user's meaning; do not add facts. Reply with the text itself, ready to use.",
  ].join("\n"),
  tools: writerTools,
});
