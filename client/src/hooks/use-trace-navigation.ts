import { useCallback, useEffect, useState } from "react";
import type { TraceFocus } from "../components/run-timeline.js";
import type { RunSummary } from "../runs.js";
import type { ChatJump } from "./use-chat-jump.js";

/**
 * The way between the run trace and the chat: the selected run, the chat's jump to a run's place,
 * and the way back to the run's span. `reveal` and `conceal` show and hide the trace's panel where
 * it covers the chat (a drawer). Another conversation starts with nothing selected.
 */
export function useTraceNavigation(conversationId: string | undefined, panel: { reveal: () => void; conceal: () => void }) {
  const [selectedRunId, setSelectedRunId] = useState<string | undefined>(undefined);
  const [jump, setJump] = useState<ChatJump | undefined>(undefined);
  const [returnTo, setReturnTo] = useState<TraceFocus | undefined>(undefined);
  const [count, setCount] = useState(0);
  const { reveal, conceal } = panel;

  useEffect(() => {
    setSelectedRunId(undefined);
    setJump(undefined);
  }, [conversationId]);

  const showInChat = useCallback(
    (run: RunSummary) => {
      const eventId = run.chatEventId;
      if (eventId === undefined) return;
      setSelectedRunId(run.runId);
      setCount((value) => value + 1);
      setJump({ eventId, runId: run.runId, nonce: count + 1 });
      conceal();
    },
    [count, conceal],
  );

  const backToTrace = useCallback(() => {
    setJump(undefined);
    reveal();
    if (selectedRunId !== undefined) setReturnTo({ runId: selectedRunId, nonce: count });
  }, [reveal, selectedRunId, count]);

  return { selectedRunId, select: setSelectedRunId, jump, showInChat, backToTrace, returnTo };
}
