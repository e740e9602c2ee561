import { useCallback, useEffect, useRef, useState } from "react";
import { RequestError, type SwitchboardApi, type WorkflowRunLine } from "../api.js";

export interface WorkflowRunsState {
  runs: readonly WorkflowRunLine[];
  loading: boolean;
  error: string | undefined;
  refresh: () => Promise<void>;
}

/** The user's recent workflow runs (GET /api/workflow-runs), newest first, re-read every `pollMs` while `active`. */
export function useWorkflowRuns(api: SwitchboardApi, active: boolean, pollMs = 2500): WorkflowRunsState {
  const [runs, setRuns] = useState<readonly WorkflowRunLine[]>([]);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | undefined>();
  const latest = useRef(0);

  const refresh = useCallback(async () => {
    const ticket = ++latest.current;
    try {
      const list = await api.listWorkflowRuns();
      if (ticket !== latest.current) return;
      const sorted = [...list].sort((a, b) => b.startedAt.localeCompare(a.startedAt));
      setRuns((previous) => (JSON.stringify(previous) === JSON.stringify(sorted) ? previous : sorted));
      setError(undefined);
    } catch (caught) {
      if (ticket !== latest.current) return;
      if (caught instanceof RequestError && caught.unauthorized) return;
      setError(caught instanceof Error ? caught.message : "Could not load the runs.");
    } finally {
      if (ticket === latest.current) setLoading(false);
    }
  }, [api]);

  useEffect(() => {
    if (!active) return;
    void refresh();
    const timer = setInterval(() => {
      if (!document.hidden) void refresh();
    }, pollMs);
    const onFocus = (): void => void refresh();
    window.addEventListener("focus", onFocus);
    return () => {
      clearInterval(timer);
      window.removeEventListener("focus", onFocus);
    };
  }, [active, pollMs, refresh]);

  return { runs, loading, error, refresh };
}
