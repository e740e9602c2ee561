import { useMemo } from "react";
import type { AgentSummary, WorkflowInfo } from "../api.js";
import { starterPrompts } from "../starter-prompts.js";
import { AgentAvatar } from "./agent-badge.js";

/**
 * What a new conversation shows: what happens to a message, and starters drawn from the team.
 * A prompt sends in one click; a workflow opens its start form.
 */
export function EmptyConversation({
  agents,
  workflows,
  onSend,
}: {
  agents: readonly AgentSummary[];
  workflows: readonly WorkflowInfo[];
  onSend: ((text: string) => void) | undefined;
}) {
  const starters = useMemo(() => starterPrompts(agents, workflows), [agents, workflows]);
  return (
    <div className="chat-empty" data-testid="chat-empty">
      <h2>Ask the team anything</h2>
      <p>
        Your message goes to the <strong>manager</strong>, who answers or hands the work to a specialist. Every handoff, tool call and
        run shows up here and in the panel as it happens.
      </p>
      {starters.length > 0 && (
        <>
          <h3 className="chat-empty-heading">Try one</h3>
          <ul className="chat-empty-team">
            {starters.map((starter) =>
              starter.kind === "prompt" ? (
                <li key={`agent:${starter.agent}`}>
                  <button
                    type="button"
                    className="starter"
                    data-testid="starter-prompt"
                    data-agent={starter.agent}
                    disabled={onSend === undefined}
                    onClick={() => onSend?.(starter.text)}
                  >
                    <AgentAvatar name={starter.agent} size="sm" />
                    <span className="starter-body">
                      <span className="starter-text">{starter.text}</span>
                      <span className="starter-about">
                        <strong>{starter.agent}</strong>
                        {starter.description !== "" && <> — {starter.description}</>}
                      </span>
                    </span>
                  </button>
                </li>
              ) : (
                <li key={`workflow:${starter.workflow}`}>
                  <a className="starter" data-testid="starter-workflow" href={`#/workflows/${starter.workflow}`}>
                    <span className="starter-icon" aria-hidden="true">
                      ⇶
                    </span>
                    <span className="starter-body">
                      <span className="starter-text">Run the {starter.workflow} workflow</span>
                      {starter.description !== "" && <span className="starter-about">{starter.description}</span>}
                    </span>
                  </a>
                </li>
              ),
            )}
          </ul>
        </>
      )}
    </div>
  );
}
