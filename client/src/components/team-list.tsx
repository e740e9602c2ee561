import { memo } from "react";
import { EVERY_AGENT } from "../../../shared/agent-spec.js";
import type { AgentSummary } from "../api.js";
import { countRender } from "../render-count.js";
import { AgentAvatar } from "./agent-badge.js";

/** The team in words: what each agent is for, its model and tools. Also the graph's text alternative. */
export const TeamList = memo(function TeamList({ agents, working }: { agents: readonly AgentSummary[]; working: ReadonlySet<string> }) {
  countRender("team-list");
  if (agents.length === 0) return null;
  return (
    <details className="team-details">
      <summary>Team members ({agents.length})</summary>
      <ul className="team-list" data-testid="team-list">
        {agents.map((agent) => (
          <li key={agent.name} className="team-member">
            <AgentAvatar name={agent.name} size="sm" />
            <div>
              <p className="team-member-name">
                <strong>{agent.name}</strong>
                {working.has(agent.name) && <span className="pill pill-working">working</span>}
                {agent.enabled === false && <span className="pill">disabled</span>}
                {agent.model !== "" && <span className="muted"> · {agent.model}</span>}
              </p>
              {agent.description !== "" && <p className="team-member-description">{agent.description}</p>}
              {agent.tools.length > 0 && <p className="muted small">Tools: {agent.tools.join(", ")}</p>}
              {agent.handoffs.length > 0 && (
                <p className="muted small">
                  Hands off to: {agent.handoffs.map((target) => (target === EVERY_AGENT ? "every other agent" : target)).join(", ")}
                </p>
              )}
            </div>
          </li>
        ))}
      </ul>
    </details>
  );
});
