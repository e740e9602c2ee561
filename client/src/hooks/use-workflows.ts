import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { RequestError, type SwitchboardApi, type WorkflowInfo } from "../api.js";
import { useRefreshOnFocus } from "./use-refresh-on-focus.js";

export interface WorkflowsState {
  workflows: readonly WorkflowInfo[];
  byName: ReadonlyMap<string, WorkflowInfo>;
  /** Still waiting for the first answer. */
  loading: boolean;
  error: string | undefined;
  refresh: () => Promise<void>;
}

const same = (a: readonly WorkflowInfo[], b: readonly WorkflowInfo[]): boolean => a.length === b.length && JSON.stringify(a) === JSON.stringify(b);

/**
 * The workflows the server lists (GET /api/workflows): the Workflows view and the chat's run
 * blocks read this one list. Refreshed on focus, and when the conversation shows a run of a
 * workflow the page has not heard of (once per name).
 */
export function useWorkflows(api: SwitchboardApi, mentioned: ReadonlySet<string>): WorkflowsState {
  const [workflows, setWorkflows] = useState<readonly WorkflowInfo[]>([]);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | undefined>();
  const asked = useRef(new Set<string>());
  const latest = useRef(0);

  const refresh = useCallback(async () => {
    const ticket = ++latest.current;
    try {
      const list = await api.listWorkflows();
      if (ticket !== latest.current) return;
      setWorkflows((previous) => (same(previous, list) ? previous : list));
      setError(undefined);
    } catch (caught) {
      if (ticket !== latest.current) return;
      if (caught instanceof RequestError && caught.unauthorized) return; // the conversation list reports it
      setError(caught instanceof Error ? caught.message : "Could not load the workflows.");
    } finally {
      if (ticket === latest.current) setLoading(false);
    }
  }, [api]);

  useRefreshOnFocus(refresh);

  useEffect(() => {
    const known = new Set(workflows.map((workflow) => workflow.name));
    const unknown = [...mentioned].filter((name) => !known.has(name) && !asked.current.has(name));
    if (unknown.length === 0) return;
    for (const name of unknown) asked.current.add(name);
    void refresh();
  }, [workflows, mentioned, refresh]);

  const byName = useMemo(() => new Map(workflows.map((workflow) => [workflow.name, workflow])), [workflows]);
  return { workflows, byName, loading, error, refresh };
}
