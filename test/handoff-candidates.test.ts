import { describe, expect, it } from "vitest";
import type { AgentDirectory } from "../agents/agent-directory.js";
import { defineAgent, type AgentDefinition } from "../agents/define-agent.js";
import { MAX_HANDOFF_CANDIDATES, handoffCandidates, handoffToolSchemas } from "../agents/handoff.js";

function directoryOf(agents: AgentDefinition[]): AgentDirectory {
  const byName = new Map(agents.map((agent) => [agent.name, agent]));
  return { get: (name) => byName.get(name), list: () => agents, refresh: async () => {} };
}

const TOPICS = ["weather forecasts", "train timetables", "cooking recipes", "tax returns", "chess openings", "garden plants",
  "car repairs", "music theory", "tide tables", "knitting patterns", "star charts", "wine pairing"];

describe("handoff candidates", () => {
  const manager = defineAgent({ name: "manager", description: "Routes requests to the team.", instructions: "Route.", handoffs: ["*"] });
  const specialists = TOPICS.map((topic, index) =>
    defineAgent({ name: `expert-${index}`, description: `Answers questions about ${topic}.`, instructions: "Answer." }),
  );
  const directory = directoryOf([manager, ...specialists]);

  it("offers every other enabled agent for '*', never the agent itself", () => {
    const small = directoryOf([manager, ...specialists.slice(0, 3)]);
    expect(handoffCandidates(manager, small, "anything").map((c) => c.name)).toEqual(["expert-0", "expert-1", "expert-2"]);
  });

  it("narrows a large team to the agents that fit the request, so the model call stays small", () => {
    const offered = handoffCandidates(manager, directory, "which knitting patterns suit a beginner?");
    expect(offered).toHaveLength(MAX_HANDOFF_CANDIDATES);
    expect(offered.map((c) => c.name)).toContain("expert-9");
    // What the model is shown names only the offered agents.
    const shown = JSON.stringify(handoffToolSchemas(handoffCandidates(manager, directory, "tide tables for Brest")));
    expect(shown).toContain("tide tables");
    expect(TOPICS.filter((topic) => shown.includes(topic))).toHaveLength(MAX_HANDOFF_CANDIDATES);
  });

  it("drops targets that are not in the team any more", () => {
    const writer = defineAgent({ name: "writer", description: "Writes short texts for people.", instructions: "Write.", handoffs: ["editor", "ghost"] });
    const editor = defineAgent({ name: "editor", description: "Edits texts that people wrote.", instructions: "Edit." });
    expect(handoffCandidates(writer, directoryOf([writer, editor]), "x").map((c) => c.name)).toEqual(["editor"]);
  });
});
