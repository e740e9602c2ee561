import { useEffect, useRef, type ReactNode } from "react";
import { MANAGER } from "../../../shared/agent-name.js";
import type { AgentSummary } from "../api.js";
import { formatCount, formatDateTime, formatRelative } from "../format.js";
import { AgentAvatar } from "./agent-badge.js";

/** Where the definition lives now: an edit made at run time takes over from the code or the file. */
function Source({ agent }: { agent: AgentSummary }): ReactNode {
  switch (agent.source) {
    case "code":
      return "Defined in code";
    case "catalog":
      return (
        <>
          Catalog file {agent.origin === undefined ? "" : <code className="agent-origin">{agent.origin}</code>}
        </>
      );
    case "api":
      return <span title="Added or last changed in this panel or through the REST API">Added or changed at run time</span>;
    default:
      return null;
  }
}

/** The model an agent runs on and its settings (a remote agent has none of its own). */
function ModelSettings({ agent }: { agent: AgentSummary }): ReactNode {
  return (
    <>
      {agent.model !== "" && (
        <>
          {" · "}model <span className="agent-model">{agent.model}</span>
        </>
      )}
      {agent.temperature !== undefined && <> · temperature {agent.temperature}</>}
      {agent.maxTokens !== undefined && <> · at most {formatCount(agent.maxTokens)} tokens per answer</>}
    </>
  );
}

export interface AgentRowActions {
  /** Start a conversation that talks to this agent directly. */
  onTry: () => void;
  onEdit: () => void;
  onHistory: () => void;
  onToggle: () => void;
  onAskDelete: () => void;
  onConfirmDelete: () => void;
  onCancelDelete: () => void;
}

/**
 * One agent in the agents panel: what it is, where it comes from, its live state, and (for the
 * admin) edit, enable/disable and delete, the last confirmed inline. The manager is only edited:
 * every message reaches it first.
 */
export function AgentRow({
  agent,
  now,
  canChange,
  busy,
  confirming,
  problem,
  highlighted,
  actions,
}: {
  agent: AgentSummary;
  now: number;
  /** The token may change the team. */
  canChange: boolean;
  /** A change of this agent is on its way to the server. */
  busy: boolean;
  /** Asking "Delete <name>?". */
  confirming: boolean;
  /** Why the last change of this agent was refused. */
  problem: string | undefined;
  /** Chosen on the team graph. */
  highlighted: boolean;
  actions: AgentRowActions;
}) {
  const enabled = agent.enabled !== false;
  const status = agent.status;
  const isManager = agent.name === MANAGER;
  const cancelRef = useRef<HTMLButtonElement>(null);

  // The question takes focus on its safe answer, so a second Enter does not delete by accident.
  useEffect(() => {
    if (confirming) cancelRef.current?.focus();
  }, [confirming]);

  const noWorker = enabled && status !== undefined && status.workers === 0;
  const historyButton = (
    <button type="button" className="button button-small" data-testid="agent-history" aria-label={`History of ${agent.name}`} onClick={actions.onHistory}>
      History
    </button>
  );
  // The manager gets every message already; a disabled agent would refuse the conversation.
  const tryButton = !isManager && enabled && (
    <button
      type="button"
      className="button button-small"
      data-testid="try-agent"
      aria-label={`Try ${agent.name}: talk to it directly`}
      title={`A new conversation whose messages go to ${agent.name} directly, not through the manager`}
      onClick={actions.onTry}
    >
      Try it
    </button>
  );

  return (
    <li
      className={`agent-row${enabled ? "" : " is-disabled"}${highlighted ? " is-highlighted" : ""}`}
      data-testid="agent-row"
      data-agent={agent.name}
      data-highlighted={highlighted ? "true" : undefined}
      data-enabled={enabled ? "true" : "false"}
      data-workers={status === undefined ? undefined : String(status.workers)}
    >
      <div className="agent-row-head">
        <AgentAvatar name={agent.name} size="sm" />
        <div className="agent-row-title">
          <h3 className="agent-row-name">{agent.name}</h3>
          <span className={`pill ${enabled ? "pill-enabled" : "pill-disabled"}`}>{enabled ? "enabled" : "disabled"}</span>
          {agent.remote !== undefined && (
            <span className="pill" data-testid="agent-remote" title="Its runs are sent to an agent that runs elsewhere, over A2A">
              remote
            </span>
          )}
        </div>
      </div>
      {agent.description !== "" && <p className="agent-row-description">{agent.description}</p>}
      {status !== undefined && (
        <dl className="agent-stats" aria-label={`${agent.name}: live state`}>
          <div className={noWorker ? "is-warn" : undefined} title={noWorker ? "No agents process runs this agent yet; its work waits." : undefined}>
            <dt>Workers</dt>
            <dd>{formatCount(status.workers)}</dd>
          </div>
          <div>
            <dt>Waiting</dt>
            <dd>{formatCount(status.waiting)}</dd>
          </div>
          <div>
            <dt>Running</dt>
            <dd>{formatCount(status.running)}</dd>
          </div>
          <div>
            <dt>Last active</dt>
            <dd>
              {status.lastActivity === null ? (
                "never"
              ) : (
                <time dateTime={status.lastActivity} title={formatDateTime(status.lastActivity)}>
                  {formatRelative(status.lastActivity, now)}
                </time>
              )}
            </dd>
          </div>
        </dl>
      )}
      <p className="agent-row-meta">
        <Source agent={agent} />
        {agent.remote !== undefined ? (
          <>
            {" · "}runs elsewhere: the A2A agent of <code className="agent-origin">{agent.remote.card}</code>
          </>
        ) : (
          <ModelSettings agent={agent} />
        )}
        {agent.tools.length > 0 && <> · tools: {agent.tools.join(", ")}</>}
      </p>

      {problem !== undefined && (
        <p className="inline-error" role="alert">
          {problem}
        </p>
      )}

      {canChange && confirming && (
        <div className="agent-confirm" role="group" aria-label={`Delete ${agent.name}?`}>
          <span className="agent-confirm-question">
            Delete <strong>{agent.name}</strong>? Runs under way finish; nothing new reaches it.
          </span>
          <span className="agent-actions">
            <button type="button" className="button button-danger button-small" data-testid="confirm-delete" disabled={busy} onClick={actions.onConfirmDelete}>
              Delete
            </button>
            <button ref={cancelRef} type="button" className="button button-small" onClick={actions.onCancelDelete}>
              Cancel
            </button>
          </span>
        </div>
      )}

      {canChange && !confirming && (
        <div className="agent-actions">
          <button
            type="button"
            className="button button-small"
            data-testid="edit-agent"
            aria-label={`Edit ${agent.name}`}
            onClick={actions.onEdit}
          >
            Edit
          </button>
          {tryButton}
          {historyButton}
          {isManager ? (
            <span className="agent-actions-note">Always on: every message reaches the manager first, so it cannot be disabled or deleted.</span>
          ) : (
            <>
              <button
                type="button"
                className="button button-small"
                data-testid="toggle-agent"
                aria-label={`${enabled ? "Disable" : "Enable"} ${agent.name}`}
                disabled={busy}
                onClick={actions.onToggle}
              >
                {enabled ? "Disable" : "Enable"}
              </button>
              <button
                type="button"
                className="button button-small button-danger-quiet"
                data-testid="delete-agent"
                aria-label={`Delete ${agent.name}`}
                disabled={busy}
                onClick={actions.onAskDelete}
              >
                Delete
              </button>
            </>
          )}
        </div>
      )}
      {!canChange && (
        <div className="agent-actions">
          {tryButton}
          {historyButton}
        </div>
      )}
    </li>
  );
}
