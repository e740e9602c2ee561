import { useCallback, useEffect, useRef, useState } from "react";
import { RequestError, type AgentSummary, type SwitchboardApi } from "../api.js";
import { useRefreshOnFocus } from "./use-refresh-on-focus.js";

export interface AgentsState {
  agents: readonly AgentSummary[];
  error: string | undefined;
  /** Reads the team again; the agents panel awaits it after a change so every view shows the change. */
  refresh: () => Promise<void>;
}

export interface AgentsOptions {
  /** Poll this often (the agents panel shows live worker and job counts); undefined: no polling. */
  pollMs?: number;
  /** Any change of this value asks for a fresh list (the page passes how many handoffs it has seen). */
  pulse?: number;
}

/** Same content, same array: a poll that changed nothing does not re-draw the graph. */
function sameTeam(a: readonly AgentSummary[], b: readonly AgentSummary[]): boolean {
  return a.length === b.length && JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The team from GET /api/agents: the one list the team graph, the team list, the chat and the
 * agents panel all read. Agents can be added while the page is open, so it is refreshed on focus,
 * whenever the conversation mentions an agent the page has not heard of, on `pulse`, every
 * `pollMs` while asked to, and by `refresh()` after the page changes the team itself.
 */
export function useAgents(api: SwitchboardApi, mentioned: ReadonlySet<string>, options: AgentsOptions = {}): AgentsState {
  const [agents, setAgents] = useState<readonly AgentSummary[]>([]);
  const [error, setError] = useState<string | undefined>();
  const asked = useRef(new Set<string>());
  // Only the newest request may set the list: a poll sent before a save must not answer after it.
  const latest = useRef(0);

  const refresh = useCallback(async () => {
    const ticket = ++latest.current;
    try {
      const list = await api.listAgents();
      if (ticket !== latest.current) return;
      setAgents((previous) => (sameTeam(previous, list) ? previous : list));
      setError(undefined);
    } catch (caught) {
      if (ticket !== latest.current) return;
      if (caught instanceof RequestError && caught.unauthorized) return; // the conversation list reports it
      setError(caught instanceof Error ? caught.message : "Could not load the team.");
    }
  }, [api]);

  useRefreshOnFocus(refresh);

  useEffect(() => {
    const known = new Set(agents.map((agent) => agent.name));
    const unknown = [...mentioned].filter((name) => !known.has(name) && !asked.current.has(name));
    if (unknown.length === 0) return;
    // Ask once per unknown name, so an agent that was deleted does not cause a refresh loop.
    for (const name of unknown) asked.current.add(name);
    void refresh();
  }, [agents, mentioned, refresh]);

  const { pollMs, pulse } = options;
  useEffect(() => {
    if (pollMs === undefined) return;
    void refresh();
    const timer = setInterval(() => {
      // A tab in the background shows nothing; it catches up on focus.
      if (!document.hidden) void refresh();
    }, pollMs);
    return () => clearInterval(timer);
  }, [pollMs, refresh]);

  const firstPulse = useRef(true);
  useEffect(() => {
    if (firstPulse.current) {
      firstPulse.current = false;
      return;
    }
    void refresh();
  }, [pulse, refresh]);

  return { agents, error, refresh };
}
