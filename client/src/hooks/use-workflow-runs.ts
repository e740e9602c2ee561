import { useCallback, useEffect } from "react";
import type { SwitchboardApi, WorkflowRunLine } from "../api.js";
import { sameContent, useLatestList } from "./use-latest-list.js";

export interface WorkflowRunsState {
  runs: readonly WorkflowRunLine[];
  loading: boolean;
  error: string | undefined;
  refresh: () => Promise<void>;
}

/**
 * The user's recent workflow runs (GET /api/workflow-runs), newest first. While `active` they are
 * read at once, on focus, and every `pollMs`; while not, only by `refresh()`.
 */
export function useWorkflowRuns(api: SwitchboardApi, active: boolean, pollMs = 2500): WorkflowRunsState {
  const load = useCallback(async () => {
    const list = await api.listWorkflowRuns();
    return [...list].sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  }, [api]);
  const { items: runs, loading, error, refresh } = useLatestList(load, sameContent, "Could not load the runs.", active);

  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => {
      if (!document.hidden) void refresh();
    }, pollMs);
    return () => clearInterval(timer);
  }, [active, pollMs, refresh]);

  return { runs, loading, error, refresh };
}
