import { useId, useState } from "react";
import type { ToolCallEvent, ToolResultEvent } from "../chat-items.js";
import { formatJson, formatMs } from "../format.js";
import { AgentChip } from "./agent-badge.js";

/** One tool call: collapsed to a line, expandable to its arguments and result (or error). */
export function ToolCard({ call, result }: { call: ToolCallEvent | undefined; result: ToolResultEvent | undefined }) {
  const [open, setOpen] = useState(false);
  const bodyId = useId();
  const tool = call?.data.tool ?? result?.data.tool ?? "tool";
  const agent = call?.agent ?? result?.agent;
  const status = result === undefined ? "running" : result.data.ok ? "ok" : "error";
  const statusText =
    status === "running" ? "running…" : status === "ok" ? `done in ${formatMs(result?.data.latencyMs ?? 0)}` : "failed";

  return (
    <div className={`tool-card is-${status}`} data-testid="tool-card" data-tool={tool} data-status={status} data-event-id={call?.id ?? result?.id}>
      <button type="button" className="tool-toggle" aria-expanded={open} aria-controls={bodyId} onClick={() => setOpen((value) => !value)}>
        <span className="chevron" aria-hidden="true" />
        <span className="tool-title">
          {agent !== undefined && <AgentChip name={agent} />} <span className="tool-verb">used</span> <code>{tool}</code>
        </span>
        <span className={`tool-status is-${status}`}>{statusText}</span>
      </button>
      <div id={bodyId} className="tool-body" hidden={!open}>
        {call !== undefined && (
          <>
            <h4>Arguments</h4>
            <pre>{formatJson(call.data.args)}</pre>
          </>
        )}
        {result === undefined ? (
          <p className="muted">Waiting for the result…</p>
        ) : result.data.ok ? (
          <>
            <h4>Result</h4>
            <pre>{formatJson(result.data.result)}</pre>
          </>
        ) : (
          <>
            <h4>Error</h4>
            <pre className="tool-error">{result.data.error ?? "The tool failed without saying why."}</pre>
          </>
        )}
      </div>
    </div>
  );
}
