import { useCallback, useEffect, useRef, useState } from "react";
import type { RecordedStep } from "../../../shared/run-steps.js";
import type { SwitchboardApi } from "../api.js";

export type RunStepsState =
  | { status: "idle" }
  | { status: "loading" }
  | { status: "loaded"; steps: readonly RecordedStep[] }
  | { status: "error"; message: string };

/**
 * A run's recorded model steps, fetched when `load()` is first called (a step is opened), again
 * after `version` changes (the run took another step or ended), and on `refresh()`. Another run
 * forgets the last one's.
 */
export function useRunSteps(api: SwitchboardApi, conversationId: string | undefined, runId: string | undefined, version: string) {
  const [state, setState] = useState<RunStepsState>({ status: "idle" });
  const wanted = useRef(false);
  const controller = useRef<AbortController | undefined>(undefined);

  const fetchSteps = useCallback(() => {
    if (conversationId === undefined || runId === undefined) return;
    controller.current?.abort();
    const abort = new AbortController();
    controller.current = abort;
    setState((previous) => (previous.status === "loaded" ? previous : { status: "loading" }));
    api.runSteps(conversationId, runId, abort.signal).then(
      (steps) => {
        if (!abort.signal.aborted) setState({ status: "loaded", steps });
      },
      (error: unknown) => {
        if (abort.signal.aborted) return;
        setState({ status: "error", message: error instanceof Error ? error.message : "The steps could not be loaded." });
      },
    );
  }, [api, conversationId, runId]);

  // Another run: start over, and fetch only once asked.
  useEffect(() => {
    wanted.current = false;
    setState({ status: "idle" });
    return () => controller.current?.abort();
  }, [conversationId, runId]);

  // The run moved on: what was shown is refreshed.
  useEffect(() => {
    if (wanted.current) fetchSteps();
  }, [version, fetchSteps]);

  const load = useCallback(() => {
    if (wanted.current) return;
    wanted.current = true;
    fetchSteps();
  }, [fetchSteps]);

  /** Fetches again now: a live run's steps so far. */
  const refresh = useCallback(() => {
    wanted.current = true;
    fetchSteps();
  }, [fetchSteps]);

  return { state, load, refresh };
}
