import { useCallback, useEffect, useRef, useState } from "react";
import { RequestError, type AgentSummary, type SwitchboardApi } from "../api.js";

/**
 * The team from GET /api/agents. Agents can be added while the page is open, so the list is
 * refreshed on focus and whenever the conversation mentions an agent the page has not heard of.
 */
export function useAgents(
  api: SwitchboardApi,
  mentioned: ReadonlySet<string>,
): { agents: readonly AgentSummary[]; error: string | undefined } {
  const [agents, setAgents] = useState<readonly AgentSummary[]>([]);
  const [error, setError] = useState<string | undefined>();
  const asked = useRef(new Set<string>());

  const refresh = useCallback(async () => {
    try {
      setAgents(await api.listAgents());
      setError(undefined);
    } catch (caught) {
      if (caught instanceof RequestError && caught.unauthorized) return; // the conversation list reports it
      setError(caught instanceof Error ? caught.message : "Could not load the team.");
    }
  }, [api]);

  useEffect(() => {
    void refresh();
    const onFocus = (): void => void refresh();
    window.addEventListener("focus", onFocus);
    return () => window.removeEventListener("focus", onFocus);
  }, [refresh]);

  useEffect(() => {
    const known = new Set(agents.map((agent) => agent.name));
    const unknown = [...mentioned].filter((name) => !known.has(name) && !asked.current.has(name));
    if (unknown.length === 0) return;
    // Ask once per unknown name, so an agent that was deleted does not cause a refresh loop.
    for (const name of unknown) asked.current.add(name);
    void refresh();
  }, [agents, mentioned, refresh]);

  return { agents, error };
}
