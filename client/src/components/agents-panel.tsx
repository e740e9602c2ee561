import { memo, useEffect, useId, useMemo, useRef, useState, type KeyboardEvent } from "react";
import { defaultModelOf, specFromAgent } from "../agent-form-model.js";
import { RequestError, type AgentSummary, type Identity, type SwitchboardApi } from "../api.js";
import { useNow } from "../hooks/use-now.js";
import { countRender } from "../render-count.js";
import { AgentForm } from "./agent-form.js";
import { AgentHistory } from "./agent-history.js";
import { AgentRow } from "./agent-row.js";
import { CloseIcon } from "./close-icon.js";
import { McpServers } from "./mcp-servers.js";

type View = { kind: "list" } | { kind: "form"; editing: AgentSummary | undefined; key: number } | { kind: "history"; name: string };

const reason = (caught: unknown): string => (caught instanceof Error ? caught.message : "The server did not answer.");

/**
 * The team with each agent's live state, and (for the admin) adding, editing, disabling and
 * deleting agents. It reads and refreshes the page's one agents list, so the team graph and the
 * team list show a change as soon as the server has it.
 */
export const AgentsPanel = memo(function AgentsPanel({
  open,
  api,
  agents,
  error,
  refresh,
  identity,
  onClose,
  focus,
  onTry,
}: {
  open: boolean;
  api: SwitchboardApi;
  agents: readonly AgentSummary[];
  error: string | undefined;
  refresh: () => Promise<void>;
  /** Undefined until GET /api/me answers: no change controls until the page knows. */
  identity: Identity | undefined;
  onClose: () => void;
  /** An agent chosen on the team graph: its row is scrolled to and highlighted (the nonce moves it again for the same agent). */
  focus: { name: string; nonce: number } | undefined;
  /** "Try it": start a conversation that talks to this agent directly. */
  onTry: (name: string) => void;
}) {
  countRender("agents-panel");
  const [view, setView] = useState<View>({ kind: "list" });
  const [confirming, setConfirming] = useState<string | undefined>();
  const [busy, setBusy] = useState<string | undefined>();
  const [problem, setProblem] = useState<{ agent: string; message: string } | undefined>();
  const [notice, setNotice] = useState("");
  const headingId = useId();
  const headingRef = useRef<HTMLHeadingElement>(null);
  const panelRef = useRef<HTMLElement>(null);
  // Where focus goes once the list is back (the form replaced it, so its buttons are new elements).
  const [focusAfter, setFocusAfter] = useState<{ selector: string } | undefined>();
  const now = useNow(15_000);
  const defaultModel = useMemo(() => defaultModelOf(agents), [agents]);
  const canChange = identity?.admin === true;
  const formCount = useRef(0);

  // Opening the panel moves focus to it, so keyboard and screen reader users land where it is.
  useEffect(() => {
    if (open) headingRef.current?.focus();
  }, [open]);

  // A node chosen on the graph: back to the list (a form in progress stays), and its row in view.
  const [highlighted, setHighlighted] = useState<string | undefined>();
  useEffect(() => {
    if (focus === undefined) return;
    setHighlighted(focus.name);
    setView((current) => (current.kind === "history" ? { kind: "list" } : current));
  }, [focus]);
  useEffect(() => {
    if (!open || focus === undefined) return;
    // After this render's layout: the panel was hidden until now, and a hidden row has no place to scroll to.
    const frame = requestAnimationFrame(() => {
      const row = panelRef.current?.querySelector<HTMLElement>(`[data-testid="agent-row"][data-agent="${CSS.escape(focus.name)}"]`);
      row?.scrollIntoView({ block: "nearest" });
    });
    return () => cancelAnimationFrame(frame);
  }, [open, focus, view.kind]);

  useEffect(() => {
    if (focusAfter === undefined) return;
    const target = panelRef.current?.querySelector<HTMLElement>(focusAfter.selector) ?? headingRef.current;
    target?.focus();
  }, [focusAfter]);

  const focusLater = (selector: string): void => setFocusAfter({ selector });
  const rowButton = (agent: string, testId: string): string => `[data-agent="${CSS.escape(agent)}"] [data-testid="${testId}"]`;
  /** Back to the button that opened the form: the agent's Edit, or Add agent. */
  const focusOpener = (editing: AgentSummary | undefined): void =>
    focusLater(editing === undefined ? '[data-testid="add-agent"]' : rowButton(editing.name, "edit-agent"));

  const openForm = (editing: AgentSummary | undefined): void => {
    formCount.current += 1;
    setNotice("");
    setProblem(undefined);
    setConfirming(undefined);
    setView({ kind: "form", editing, key: formCount.current });
  };

  const closeForm = (editing: AgentSummary | undefined): void => {
    setView({ kind: "list" });
    focusOpener(editing);
  };

  const openHistory = (name: string): void => {
    setNotice("");
    setProblem(undefined);
    setConfirming(undefined);
    setView({ kind: "history", name });
  };

  const closeHistory = (name: string): void => {
    setView({ kind: "list" });
    focusLater(rowButton(name, "agent-history"));
  };

  const saved = async (name: string, editing: AgentSummary | undefined): Promise<void> => {
    await refresh();
    setView({ kind: "list" });
    setNotice(editing === undefined ? `Added ${name}. The manager can route to it as soon as a worker is online.` : `Saved ${name}.`);
    // A new agent's row is where the user will look next.
    focusLater(rowButton(name, "edit-agent"));
  };

  const toggle = async (agent: AgentSummary): Promise<void> => {
    const enable = agent.enabled === false;
    setBusy(agent.name);
    setProblem(undefined);
    setNotice("");
    try {
      await api.updateAgent(agent.name, { ...specFromAgent(agent, defaultModel), enabled: enable });
      await refresh();
      setNotice(enable ? `Enabled ${agent.name}.` : `Disabled ${agent.name}: the manager no longer routes to it; runs under way finish.`);
    } catch (caught) {
      setProblem({ agent: agent.name, message: `Could not ${enable ? "enable" : "disable"} ${agent.name}: ${reason(caught)}` });
    } finally {
      setBusy(undefined);
    }
  };

  const remove = async (name: string): Promise<void> => {
    setBusy(name);
    setProblem(undefined);
    try {
      await api.deleteAgent(name);
    } catch (caught) {
      // Already gone (deleted elsewhere) is what was asked for.
      if (!(caught instanceof RequestError && caught.status === 404)) {
        setProblem({ agent: name, message: `Could not delete ${name}: ${reason(caught)}` });
        setBusy(undefined);
        return;
      }
    }
    await refresh();
    setBusy(undefined);
    setConfirming(undefined);
    setNotice(`Deleted ${name}.`);
    focusLater('[data-testid="add-agent"]');
  };

  const onKeyDown = (event: KeyboardEvent<HTMLElement>): void => {
    if (event.key !== "Escape") return;
    // Handled here, not by the page's own Escape, which would close every drawer at once.
    event.stopPropagation();
    if (confirming !== undefined) {
      focusLater(rowButton(confirming, "delete-agent"));
      setConfirming(undefined);
    } else if (view.kind === "list") {
      onClose();
    } else if (view.kind === "history") {
      closeHistory(view.name);
    }
  };

  const enabledCount = agents.filter((agent) => agent.enabled !== false).length;

  return (
    <section
      ref={panelRef}
      id="agents-panel"
      className="agents-panel"
      data-testid="agents-panel"
      aria-labelledby={headingId}
      hidden={!open}
      onKeyDown={onKeyDown}
    >
      <div className="agents-panel-head">
        <h2 id={headingId} ref={headingRef} className="agents-panel-title" tabIndex={-1}>
          Agents
          {agents.length > 0 && (
            <span className="agents-panel-count">
              {agents.length} {agents.length === 1 ? "agent" : "agents"} · {enabledCount} enabled
            </span>
          )}
        </h2>
        {canChange && view.kind === "list" && (
          <button type="button" className="button button-primary button-small" data-testid="add-agent" onClick={() => openForm(undefined)}>
            <span aria-hidden="true">+</span> Add agent
          </button>
        )}
        <button type="button" className="icon-button" aria-label="Close the agents panel" onClick={onClose}>
          <CloseIcon />
        </button>
      </div>
      <p className="agents-panel-intro">
        The manager routes each request by the agents' descriptions. Changes reach every agents process within about a second; the
        state below refreshes every 2 seconds.
      </p>
      {identity !== undefined && !identity.admin && (
        <p className="agents-readonly" data-testid="agents-read-only">
          Read only: only the admin token may change the team.
        </p>
      )}
      <p className="agents-notice" role="status">
        {notice}
      </p>
      {error !== undefined && (
        <p className="inline-error" role="alert">
          Could not load the team: {error}
        </p>
      )}

      {view.kind === "history" ? (
        <AgentHistory
          key={view.name}
          api={api}
          name={view.name}
          now={now}
          canChange={canChange}
          onRestored={() => void refresh()}
          onClose={() => closeHistory(view.name)}
        />
      ) : view.kind === "form" ? (
        <AgentForm
          key={view.key}
          api={api}
          team={agents}
          editing={view.editing}
          defaultModel={defaultModel}
          onSaved={(name) => saved(name, view.editing)}
          onCancel={() => closeForm(view.editing)}
        />
      ) : (
        <ul className="agent-rows" aria-labelledby={headingId}>
          {agents.map((agent) => (
            <AgentRow
              key={agent.name}
              agent={agent}
              now={now}
              canChange={canChange}
              busy={busy === agent.name}
              confirming={confirming === agent.name}
              problem={problem?.agent === agent.name ? problem.message : undefined}
              highlighted={highlighted === agent.name}
              actions={{
                onTry: () => onTry(agent.name),
                onEdit: () => openForm(agent),
                onHistory: () => openHistory(agent.name),
                onToggle: () => void toggle(agent),
                onAskDelete: () => {
                  setProblem(undefined);
                  setConfirming(agent.name);
                },
                onConfirmDelete: () => void remove(agent.name),
                onCancelDelete: () => {
                  focusLater(rowButton(agent.name, "delete-agent"));
                  setConfirming(undefined);
                },
              }}
            />
          ))}
        </ul>
      )}
      {view.kind === "list" && <McpServers api={api} open={open} canChange={canChange} />}
    </section>
  );
});
