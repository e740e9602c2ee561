import { useCallback, useEffect, useRef } from "react";
import type { AgentSummary, SwitchboardApi } from "../api.js";
import { sameContent, useLatestList } from "./use-latest-list.js";

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

/**
 * The team from GET /api/agents: the one list the team graph, the team list, the chat and the
 * agents panel all read. Agents can be added while the page is open, so it is refreshed on focus,
 * whenever the conversation mentions an agent the page has not heard of, on `pulse`, every
 * `pollMs` while asked to, and by `refresh()` after the page changes the team itself. A poll that
 * changed nothing keeps the same array, so it does not re-draw the graph.
 */
export function useAgents(api: SwitchboardApi, mentioned: ReadonlySet<string>, options: AgentsOptions = {}): AgentsState {
  const load = useCallback(() => api.listAgents(), [api]);
  const { items: agents, error, refresh } = useLatestList(load, sameContent, "Could not load the team.");
  const asked = useRef(new Set<string>());

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
