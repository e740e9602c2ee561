import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import type { Event } from "../../../shared/events.js";
import { createApi, RequestError, type StartedRun } from "../api.js";
import { decideApproval } from "../approvals.js";
import { ConversationRegistry } from "../conversation-registry.js";
import { formatCost, formatCount } from "../format.js";
import { useAgents } from "../hooks/use-agents.js";
import { useConversationFeed } from "../hooks/use-conversation-feed.js";
import { useConversations } from "../hooks/use-conversations.js";
import { useHashRoute } from "../hooks/use-hash-route.js";
import { useIdentity } from "../hooks/use-identity.js";
import { useMediaQuery } from "../hooks/use-media-query.js";
import { useMessageSender } from "../hooks/use-message-sender.js";
import { useSocket } from "../hooks/use-socket.js";
import { useTraceNavigation } from "../hooks/use-trace-navigation.js";
import { useWorkflowRuns } from "../hooks/use-workflow-runs.js";
import { useWorkflows } from "../hooks/use-workflows.js";
import { countRender } from "../render-count.js";
import { routeHref } from "../route.js";
import { deriveRuns, runModels } from "../runs.js";
import { deriveTurnView, replaceMessage, stopTurn } from "../turn-control.js";
import { TurnActionsContext, type TurnActions } from "./turn-actions.js";
import { AgentsPanel } from "./agents-panel.js";
import { ChatView, type WorkflowChat } from "./chat-view.js";
import type { Decide } from "./approval-card.js";
import { CloseIcon } from "./close-icon.js";
import { Composer } from "./composer.js";
import { ConnectionStatus } from "./connection-status.js";
import { ConversationList, conversationTitle } from "./conversation-list.js";
import { PanelSection } from "./panel-section.js";
import { RunTimeline } from "./run-timeline.js";
import { TeamGraph } from "./team-graph.js";
import { TeamList } from "./team-list.js";
import { WorkflowsView } from "./workflows-view.js";

const NO_EVENTS: readonly Event[] = [];
const NO_RECEIPTS: ReadonlyMap<string, number> = new Map();
const TITLE_CHARS = 60;
/** How often the open agents panel asks for the agents' live state. */
const AGENTS_POLL_MS = 2000;

/** A conversation started by its first message is named after it. */
function titleFrom(text: string): string {
  const line = text.trim().split("\n")[0]?.trim() ?? "";
  return line.length > TITLE_CHARS ? `${line.slice(0, TITLE_CHARS - 1)}…` : line;
}

/** Agents the conversation mentions, so the team list can be refreshed when one is new. */
function mentionedAgents(events: readonly Event[]): Set<string> {
  const names = new Set<string>();
  for (const event of events) {
    if (event.type === "handoff") {
      names.add(event.data.from);
      names.add(event.data.to);
    } else if (event.type === "run.started" && event.agent !== undefined) {
      names.add(event.agent);
    }
  }
  return names;
}

/** Workflows the conversation ran, so their graphs can be fetched when the page does not know them yet. */
function mentionedWorkflows(events: readonly Event[]): Set<string> {
  const names = new Set<string>();
  for (const event of events) if (event.type === "workflow.started") names.add(event.data.workflow);
  return names;
}

/** Handoffs and returns seen so far: each one changes some agent's queue, so the panel's counts are re-read. */
function handoffCount(events: readonly Event[]): number {
  let count = 0;
  for (const event of events) if (event.type === "handoff" || event.type === "handoff.return") count += 1;
  return count;
}

/**
 * The signed-in page: conversations on the left, the chat in the middle, the team graph and run
 * timeline on the right. Below 1100px the right panel becomes a drawer; at phone width (≤640px)
 * the conversation list does too. The agents panel takes the right panel's place while it is open
 * (on a wide screen the chat stays usable beside it). The Workflows view (`#/workflows`) takes
 * the chat's place in the middle.
 */
export function Workspace({
  token,
  onUnauthorized,
  onForgetToken,
}: {
  token: string;
  onUnauthorized: (message: string) => void;
  onForgetToken: () => void;
}) {
  countRender("workspace");
  const api = useMemo(() => createApi(token), [token]);
  const [registry] = useState(() => new ConversationRegistry());
  const { socket, status, reconnect } = useSocket(token);
  const conversations = useConversations(api, onUnauthorized);
  const [route, navigate] = useHashRoute();
  const selectedId = route.kind === "conversation" ? route.conversationId : undefined;
  const inWorkflows = route.kind === "workflows";
  const select = useCallback(
    (conversationId: string | undefined, options?: { replace?: boolean }) =>
      navigate(conversationId === undefined ? { kind: "none" } : { kind: "conversation", conversationId }, options),
    [navigate],
  );
  const { view: state, store: conversationStore } = useConversationFeed(selectedId, socket, api, registry);
  const events = state?.events ?? NO_EVENTS;
  const runs = useMemo(() => deriveRuns(events), [events]);
  const mentioned = useMemo(() => mentionedAgents(events), [events]);
  const handoffs = useMemo(() => handoffCount(events), [events]);
  const ranWorkflows = useMemo(() => mentionedWorkflows(events), [events]);
  const workflows = useWorkflows(api, ranWorkflows);
  const workflowRuns = useWorkflowRuns(api, inWorkflows);
  const [agentsOpen, setAgentsOpen] = useState(false);
  const {
    agents,
    error: agentsError,
    refresh: refreshAgents,
  } = useAgents(api, mentioned, { pollMs: agentsOpen ? AGENTS_POLL_MS : undefined, pulse: handoffs });
  const identity = useIdentity(api);
  const sender = useMessageSender(socket, registry);
  // The agent chosen on the team graph: the trace shows its runs, the agents panel its row.
  const [graphAgent, setGraphAgent] = useState<string | undefined>();
  const [agentFocus, setAgentFocus] = useState<{ name: string; nonce: number } | undefined>();
  const [creating, setCreating] = useState(false);
  const [notice, setNotice] = useState<string | undefined>();

  const narrow = useMediaQuery("(max-width: 640px)");
  const medium = useMediaQuery("(max-width: 1100px)");
  const [sidebarOpen, setSidebarOpen] = useState(false);
  const [insightsOpen, setInsightsOpen] = useState(false);
  const [insightsCollapsed, setInsightsCollapsed] = useState(false);
  const sidebarIsDrawer = narrow;
  const insightsIsDrawer = medium;
  // A drawer over the chat steps aside while the chat shows a run, and comes back with "Back to trace".
  const tracePanel = useMemo(
    () => ({
      reveal: () => {
        setAgentsOpen(false);
        if (insightsIsDrawer) setInsightsOpen(true);
        else setInsightsCollapsed(false);
      },
      conceal: () => {
        if (insightsIsDrawer) setInsightsOpen(false);
      },
    }),
    [insightsIsDrawer],
  );
  const trace = useTraceNavigation(selectedId, tracePanel);
  const insightsVisible = agentsOpen || (insightsIsDrawer ? insightsOpen : !insightsCollapsed);
  const sidebarRef = useRef<HTMLElement>(null);
  const insightsRef = useRef<HTMLElement>(null);
  const sidebarToggle = useRef<HTMLButtonElement>(null);
  const insightsToggle = useRef<HTMLButtonElement>(null);
  const agentsToggle = useRef<HTMLButtonElement>(null);
  // Read by the Escape handler, which is registered once.
  const insightsIsDrawerRef = useRef(insightsIsDrawer);
  useEffect(() => {
    insightsIsDrawerRef.current = insightsIsDrawer;
  }, [insightsIsDrawer]);

  const { conversations: list, loading, refresh } = conversations;

  // With nothing in the address, open the newest conversation; not after the open one was
  // deleted, when the page stays empty until the person picks or starts one.
  const nowhere = route.kind === "none";
  const emptied = useRef(false);
  useEffect(() => {
    if (!nowhere || loading || emptied.current) return;
    const newest = list[0];
    if (newest !== undefined) select(newest.id, { replace: true });
  }, [nowhere, loading, list, select]);

  // The server names an untitled conversation after its first message. It renames before it
  // starts the manager's run (but after logging the message), so the first run.started means the
  // new name is there to fetch. Once per conversation: a name that stays the default is left so.
  const current = list.find((conversation) => conversation.id === selectedId);
  const untitled = current !== undefined && conversationTitle(current) === conversationTitle(undefined);
  const answered = useMemo(() => events.some((event) => event.type === "run.started"), [events]);
  useEffect(() => {
    if (untitled && answered) void refresh();
  }, [selectedId, untitled, answered, refresh]);

  // A conversation the list does not hold yet (a workflow run started elsewhere): read the list again, once.
  const looked = useRef(new Set<string>());
  useEffect(() => {
    if (selectedId === undefined || loading || current !== undefined || looked.current.has(selectedId)) return;
    looked.current.add(selectedId);
    void refresh();
  }, [selectedId, loading, current, refresh]);

  // The socket was refused: ask the REST API whether the token is the reason (it reports 401).
  useEffect(() => {
    if (status.refused) void refresh();
  }, [status.refused, refresh]);

  // A drawer left open in one layout does not reappear when the window changes size.
  useEffect(() => setSidebarOpen(false), [sidebarIsDrawer]);
  useEffect(() => {
    setInsightsOpen(false);
    setAgentsOpen(false);
  }, [insightsIsDrawer]);

  // Drawers take focus when they open and give it back when Escape closes them.
  useEffect(() => {
    if (sidebarIsDrawer && sidebarOpen) sidebarRef.current?.focus();
  }, [sidebarIsDrawer, sidebarOpen]);
  useEffect(() => {
    if (insightsIsDrawer && insightsOpen) insightsRef.current?.focus();
  }, [insightsIsDrawer, insightsOpen]);
  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent): void => {
      if (event.key !== "Escape") return;
      setSidebarOpen((open) => {
        if (open) sidebarToggle.current?.focus();
        return false;
      });
      setInsightsOpen((open) => {
        if (open) insightsToggle.current?.focus();
        return false;
      });
      // As a drawer the agents panel closes like the others; as a column it stays, like Team & runs.
      // (Escape inside the panel is the panel's own: there it may mean "no, do not delete".)
      if (insightsIsDrawerRef.current) {
        setAgentsOpen((open) => {
          if (open) agentsToggle.current?.focus();
          return false;
        });
      }
    };
    window.addEventListener("keydown", onKeyDown);
    return () => window.removeEventListener("keydown", onKeyDown);
  }, []);

  const openConversation = useCallback(
    (conversationId: string) => {
      emptied.current = false;
      select(conversationId);
      setSidebarOpen(false);
    },
    [select],
  );

  const { create, remove } = conversations;
  const createConversation = useCallback(
    async (title?: string, options?: { automatic?: boolean; agent?: string }) => {
      setCreating(true);
      try {
        const conversation = await create(title, options);
        emptied.current = false;
        select(conversation.id);
        setSidebarOpen(false);
        setNotice(undefined);
        return conversation;
      } catch (caught) {
        setNotice(`Could not start a conversation: ${caught instanceof Error ? caught.message : "unknown error"}`);
        return undefined;
      } finally {
        setCreating(false);
      }
    },
    [create, select],
  );
  const startConversation = useCallback(() => void createConversation(), [createConversation]);

  // Read through a ref so the list's rows keep one onDelete whichever conversation is open.
  const selectedRef = useRef(selectedId);
  useEffect(() => {
    selectedRef.current = selectedId;
  }, [selectedId]);
  const deleteConversation = useCallback(
    async (conversationId: string) => {
      const failed = await remove(conversationId);
      if (failed === undefined && conversationId === selectedRef.current) {
        emptied.current = true;
        select(undefined, { replace: true });
      }
      return failed;
    },
    [remove, select],
  );

  const retryOutgoing = useCallback(
    (clientMsgId: string) => {
      if (selectedId !== undefined) sender.retry(selectedId, clientMsgId);
    },
    [selectedId, sender],
  );
  const discardOutgoing = useCallback(
    (clientMsgId: string) => {
      if (selectedId !== undefined) sender.discard(selectedId, clientMsgId);
    },
    [selectedId, sender],
  );

  const onSend = useCallback(
    async (text: string) => {
      let conversationId = selectedId;
      if (conversationId === undefined) {
        const conversation = await createConversation(titleFrom(text) || undefined, { automatic: true });
        if (conversation === undefined) return false;
        conversationId = conversation.id;
      }
      sender.send(conversationId, text);
      return true;
    },
    [selectedId, createConversation, sender],
  );

  const toggleInsights = (): void => {
    if (agentsOpen) {
      // From the agents panel to the team: the same place shows Team & runs again.
      setAgentsOpen(false);
      if (insightsIsDrawer) setInsightsOpen(true);
      else setInsightsCollapsed(false);
      return;
    }
    if (insightsIsDrawer) {
      setInsightsOpen((open) => !open);
      setSidebarOpen(false);
    } else {
      setInsightsCollapsed((collapsed) => !collapsed);
    }
  };

  // Stable, as every callback the memoized panels get: a streamed word re-renders this component,
  // and a new function would re-render them too.
  const closeAgents = useCallback((): void => {
    setAgentsOpen(false);
    agentsToggle.current?.focus();
  }, []);

  const chooseAgent = useCallback((name: string): void => {
    setGraphAgent(name);
    setAgentFocus((current) => ({ name, nonce: (current?.nonce ?? 0) + 1 }));
    setAgentsOpen(true);
    setSidebarOpen(false);
  }, []);
  const clearAgentFilter = useCallback(() => setGraphAgent(undefined), []);

  // "Try it": a new conversation whose messages go to that agent, not through the manager.
  const tryAgent = useCallback(
    (name: string): void => {
      void createConversation(undefined, { agent: name }).then((conversation) => {
        if (conversation !== undefined && insightsIsDrawerRef.current) setAgentsOpen(false);
      });
    },
    [createConversation],
  );

  const toggleAgents = (): void => {
    if (agentsOpen) {
      closeAgents();
      return;
    }
    setAgentsOpen(true);
    setSidebarOpen(false);
    setInsightsOpen(false);
  };

  const me = identity?.user;
  const decide = useCallback<Decide>(
    (approvalId, decision, comment) => decideApproval(socket, api, { approvalId, decision, comment }),
    [socket, api],
  );
  const { refresh: refreshRuns } = workflowRuns;
  const cancelRun = useCallback(
    async (runId: string): Promise<string | undefined> => {
      try {
        await api.cancelWorkflowRun(runId);
        void refreshRuns();
        return undefined;
      } catch (caught) {
        if (caught instanceof RequestError && caught.unauthorized) onUnauthorized(caught.message);
        return `Could not cancel the run: ${caught instanceof Error ? caught.message : "unknown error"}`;
      }
    },
    [api, refreshRuns, onUnauthorized],
  );
  const turn = useMemo(() => deriveTurnView(selectedId, events), [selectedId, events]);
  const stop = useCallback(async (): Promise<void> => {
    if (selectedId === undefined) return;
    const problem = await stopTurn(socket, api, selectedId);
    if (problem !== undefined) setNotice(`Could not stop the turn: ${problem}`);
  }, [socket, api, selectedId]);
  const turnActions = useMemo<TurnActions | undefined>(
    () =>
      selectedId === undefined
        ? undefined
        : {
            ...turn,
            retry: (eventId) => replaceMessage(socket, api, { conversationId: selectedId, eventId, mode: "retry" }),
            edit: (eventId, text) => replaceMessage(socket, api, { conversationId: selectedId, eventId, mode: "edit", text }),
          },
    [turn, socket, api, selectedId],
  );
  const workflowChat = useMemo<WorkflowChat>(
    () => ({ definitions: workflows.byName, decide, cancel: cancelRun, me }),
    [workflows.byName, decide, cancelRun, me],
  );
  const onWorkflowStarted = useCallback(
    (run: StartedRun) => {
      void refresh();
      void refreshRuns();
      select(run.conversationId);
    },
    [refresh, refreshRuns, select],
  );

  const title = selectedId === undefined ? "New conversation" : conversationTitle(current);
  const drawerOpen = (sidebarIsDrawer && sidebarOpen) || (insightsIsDrawer && (insightsOpen || agentsOpen));
  const online = status.state === "connected";

  return (
    <div
      className={[
        "app",
        insightsVisible ? "insights-visible" : "insights-hidden",
        sidebarIsDrawer ? "sidebar-is-drawer" : "",
        insightsIsDrawer ? "insights-is-drawer" : "",
        sidebarOpen ? "sidebar-open" : "",
        agentsOpen ? "agents-open" : "",
      ]
        .filter(Boolean)
        .join(" ")}
    >
      <a
        href={inWorkflows ? "#workflows-title" : "#composer"}
        className="skip-link"
        onClick={(event) => {
          // The address's hash is the page's place; a skip link moves focus without changing it.
          event.preventDefault();
          const target = inWorkflows ? document.getElementById("workflows-title") : document.querySelector<HTMLElement>("#composer textarea");
          target?.focus();
        }}
      >
        {inWorkflows ? "Skip to the workflows" : "Skip to the message box"}
      </a>
      <header className="topbar">
        {sidebarIsDrawer && (
          <button
            ref={sidebarToggle}
            type="button"
            className="icon-button"
            aria-label="Conversations"
            aria-expanded={sidebarOpen}
            aria-controls="sidebar"
            onClick={() => {
              setSidebarOpen((open) => !open);
              setInsightsOpen(false);
            }}
          >
            <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">
              <path d="M4 6h16M4 12h16M4 18h16" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />
            </svg>
          </button>
        )}
        <span className="brand">
          <span className="brand-mark" aria-hidden="true" />
          <span className="brand-name">Switchboard</span>
        </span>
        <div className="topbar-actions">
          <ConnectionStatus status={status} onReconnect={reconnect} />
          <a
            href={routeHref({ kind: "workflows", workflow: undefined })}
            className={`button button-quiet workflows-link${inWorkflows ? " is-current" : ""}`}
            data-testid="workflows-link"
            aria-current={inWorkflows ? "page" : undefined}
            onClick={() => {
              setSidebarOpen(false);
              setInsightsOpen(false);
            }}
          >
            <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false">
              <rect x="4" y="3" width="8" height="5" rx="1.5" fill="none" stroke="currentColor" strokeWidth="1.8" />
              <rect x="12" y="16" width="8" height="5" rx="1.5" fill="none" stroke="currentColor" strokeWidth="1.8" />
              <path d="M8 8v4h8v4" fill="none" stroke="currentColor" strokeWidth="1.8" />
            </svg>
            <span className="workflows-link-label">Workflows</span>
          </a>
          <button
            ref={agentsToggle}
            type="button"
            className="button button-quiet agents-toggle"
            data-testid="agents-panel-toggle"
            aria-expanded={agentsOpen}
            aria-controls="insights"
            onClick={toggleAgents}
          >
            <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false">
              <circle cx="9" cy="8" r="3.2" fill="none" stroke="currentColor" strokeWidth="1.8" />
              <path d="M3 19c0-3.3 2.7-5.5 6-5.5s6 2.2 6 5.5" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" />
              <path d="M18 8v6M15 11h6" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" />
            </svg>
            <span className="agents-toggle-label">Agents</span>
          </button>
          <button
            ref={insightsToggle}
            type="button"
            className="button button-quiet insights-toggle"
            aria-expanded={insightsVisible && !agentsOpen}
            aria-controls="insights"
            onClick={toggleInsights}
          >
            <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false">
              <circle cx="12" cy="5" r="2.5" fill="currentColor" />
              <circle cx="5" cy="18" r="2.5" fill="currentColor" />
              <circle cx="19" cy="18" r="2.5" fill="currentColor" />
              <path d="M12 5 5 18M12 5l7 13" stroke="currentColor" strokeWidth="1.6" />
            </svg>
            <span className="insights-toggle-label">Team &amp; runs</span>
          </button>
        </div>
      </header>

      <aside
        id="sidebar"
        ref={sidebarRef}
        className="sidebar"
        tabIndex={-1}
        inert={sidebarIsDrawer && !sidebarOpen}
        aria-label="Conversation list"
      >
        {sidebarIsDrawer && (
          <div className="drawer-head">
            <button type="button" className="icon-button" aria-label="Close the conversation list" onClick={() => setSidebarOpen(false)}>
              <CloseIcon />
            </button>
          </div>
        )}
        <ConversationList
          conversations={list}
          selectedId={selectedId}
          loading={loading}
          error={conversations.error}
          creating={creating}
          onSelect={openConversation}
          onCreate={startConversation}
          onRename={conversations.rename}
          onDelete={deleteConversation}
          onSearch={conversations.search}
        />
        <div className="sidebar-foot">
          <button type="button" className="link-button" onClick={onForgetToken}>
            Forget the access token
          </button>
        </div>
      </aside>

      {inWorkflows ? (
        <WorkflowsView
          name={route.workflow}
          api={api}
          workflows={workflows}
          runs={workflowRuns}
          onStarted={onWorkflowStarted}
          onCancel={cancelRun}
        />
      ) : (
      <main className="chat" aria-labelledby="chat-title">
        <header className="chat-header">
          <h1 id="chat-title" className="chat-title">
            {title}
          </h1>
          {current?.directAgent !== undefined && (
            <span className="chat-direct" data-testid="direct-agent" title="This conversation's messages go to this agent, not through the manager">
              Talking to <strong>{current.directAgent}</strong> directly
            </span>
          )}
          {runs.totals.runs > 0 && (
            <span className="chat-usage" title="Tokens and cost of every run in this conversation">
              {formatCount(runs.totals.tokens)} tokens · {formatCost(runs.totals.costUsd, runModels(runs))}
            </span>
          )}
        </header>
        {notice !== undefined && (
          <div className="inline-error notice" role="alert">
            <span>{notice}</span>
            <button type="button" className="link-button" onClick={() => setNotice(undefined)}>
              Dismiss
            </button>
          </div>
        )}
        <TurnActionsContext.Provider value={turnActions}>
        <ChatView
          conversationId={selectedId}
          store={conversationStore}
          runs={runs}
          agents={agents}
          online={online}
          workflows={workflowChat}
          onRetry={retryOutgoing}
          onDiscard={discardOutgoing}
          jumpTo={trace.jump}
          onBackToTrace={trace.backToTrace}
          onSendStarter={onSend}
        />
        </TurnActionsContext.Provider>
        <div id="composer" className="composer-wrap">
          <Composer
            onSend={onSend}
            running={turn.running}
            onStop={stop}
            focusKey={selectedId}
            recipient={current?.directAgent}
            hint={online ? undefined : "Offline: messages are sent when the connection is back"}
          />
        </div>
      </main>
      )}

      <aside
        id="insights"
        ref={insightsRef}
        className="insights"
        tabIndex={-1}
        inert={!insightsVisible}
        aria-label={agentsOpen ? "Agents" : "Team and runs"}
      >
        {insightsIsDrawer && !agentsOpen && (
          <div className="drawer-head">
            <button
              type="button"
              className="icon-button"
              aria-label="Close team and runs"
              onClick={() => {
                setInsightsOpen(false);
                insightsToggle.current?.focus();
              }}
            >
              <CloseIcon />
            </button>
          </div>
        )}
        {/* Out of the scrolling part: the graph stays in view while the trace or the agents panel scrolls. */}
        <div className="insights-graph" data-testid="team-graph-dock">
          <PanelSection title="Team" summary={runs.workingAgents.size > 0 ? `${runs.workingAgents.size} working` : undefined}>
            {agentsError !== undefined && (
              <p className="inline-error" role="alert">
                {agentsError}
              </p>
            )}
            <TeamGraph
              agents={agents}
              events={events}
              receivedAt={state?.receivedAt ?? NO_RECEIPTS}
              working={runs.workingAgents}
              selected={graphAgent}
              onSelect={chooseAgent}
            />
          </PanelSection>
        </div>
        <div className="insights-scroll">
          {/* Kept mounted while hidden: a half-typed agent form survives a look at the team graph. */}
          <AgentsPanel
            open={agentsOpen}
            api={api}
            agents={agents}
            error={agentsError}
            refresh={refreshAgents}
            identity={identity}
            onClose={closeAgents}
            focus={agentFocus}
            onTry={tryAgent}
          />
          <div className="insights-team" hidden={agentsOpen}>
            <div className="panel-body insights-team-list">
              <TeamList agents={agents} working={runs.workingAgents} />
            </div>
            <PanelSection title="Runs" summary={runs.totals.runs > 0 ? `${runs.totals.runs}` : undefined}>
              <RunTimeline
                runs={runs}
                conversationId={selectedId}
                api={api}
                selectedRunId={trace.selectedRunId}
                onSelect={trace.select}
                onShowInChat={trace.showInChat}
                returnTo={trace.returnTo}
                agentFilter={graphAgent}
                onClearFilter={clearAgentFilter}
              />
            </PanelSection>
          </div>
        </div>
      </aside>

      {drawerOpen && (
        <div
          className="scrim"
          aria-hidden="true"
          onClick={() => {
            setSidebarOpen(false);
            setInsightsOpen(false);
            setAgentsOpen(false);
          }}
        />
      )}
    </div>
  );
}
