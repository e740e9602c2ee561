import { useEffect, useState } from "react";
import type { SwitchboardApi, ToolInfo } from "../api.js";

export interface ToolsState {
  tools: readonly ToolInfo[] | undefined;
  /** The MCP servers' names: an agent may be given all of a server's tools (`<server>_*`). */
  mcpServers: readonly string[];
  error: string | undefined;
}

/**
 * The tool registry (GET /api/tools) and the MCP servers (GET /api/mcp-servers), read when the
 * agent form opens: agents processes may add tools meanwhile.
 */
export function useTools(api: SwitchboardApi): ToolsState {
  const [state, setState] = useState<ToolsState>({ tools: undefined, mcpServers: [], error: undefined });
  useEffect(() => {
    const controller = new AbortController();
    Promise.all([api.listTools(controller.signal), api.listMcpServers(controller.signal)]).then(
      ([tools, servers]) => setState({ tools, mcpServers: servers.map((server) => server.name), error: undefined }),
      (caught: unknown) => {
        if (caught instanceof DOMException && caught.name === "AbortError") return;
        setState({ tools: [], mcpServers: [], error: caught instanceof Error ? caught.message : "Could not load the tools." });
      },
    );
    return () => controller.abort();
  }, [api]);
  return state;
}
