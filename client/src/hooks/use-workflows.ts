import { useCallback, useEffect, useMemo, useRef } from "react";
import type { SwitchboardApi, WorkflowInfo } from "../api.js";
import { sameContent, useLatestList } from "./use-latest-list.js";

export interface WorkflowsState {
  workflows: readonly WorkflowInfo[];
  byName: ReadonlyMap<string, WorkflowInfo>;
  /** Still waiting for the first answer. */
  loading: boolean;
  error: string | undefined;
  refresh: () => Promise<void>;
}

/**
 * The workflows the server lists (GET /api/workflows): the Workflows view and the chat's run
 * blocks read this one list. Refreshed on focus, and when the conversation shows a run of a
 * workflow the page has not heard of (once per name).
 */
export function useWorkflows(api: SwitchboardApi, mentioned: ReadonlySet<string>): WorkflowsState {
  const load = useCallback(() => api.listWorkflows(), [api]);
  const { items: workflows, loading, error, refresh } = useLatestList(load, sameContent, "Could not load the workflows.");
  const asked = useRef(new Set<string>());

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
