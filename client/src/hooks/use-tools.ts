import { useEffect, useState } from "react";
import type { SwitchboardApi, ToolInfo } from "../api.js";

export interface ToolsState {
  tools: readonly ToolInfo[] | undefined;
  error: string | undefined;
}

/** The tool registry (GET /api/tools), read when the agent form opens: agents processes may add tools meanwhile. */
export function useTools(api: SwitchboardApi): ToolsState {
  const [state, setState] = useState<ToolsState>({ tools: undefined, error: undefined });
  useEffect(() => {
    const controller = new AbortController();
    api.listTools(controller.signal).then(
      (tools) => setState({ tools, error: undefined }),
      (caught: unknown) => {
        if (caught instanceof DOMException && caught.name === "AbortError") return;
        setState({ tools: [], error: caught instanceof Error ? caught.message : "Could not load the tools." });
      },
    );
    return () => controller.abort();
  }, [api]);
  return state;
}
