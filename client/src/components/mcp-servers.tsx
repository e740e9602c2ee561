import { useCallback, useEffect, useId, useState, type FormEvent } from "react";
import type { McpServerInfo, SwitchboardApi } from "../api.js";

/** How often the list is read again while shown: a server's state changes in the agents processes. */
const REFRESH_MS = 5000;

const reason = (caught: unknown): string => (caught instanceof Error ? caught.message : "The server did not answer.");

/** "Authorization: Bearer x" lines → headers; the first line without a colon when there is one. */
function parseHeaders(text: string): { headers: Record<string, string> } | { bad: string } {
  const headers: Record<string, string> = {};
  for (const line of text.split("\n").map((l) => l.trim()).filter(Boolean)) {
    const colon = line.indexOf(":");
    if (colon <= 0) return { bad: line };
    headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return { headers };
}

/**
 * The MCP servers whose tools agents may be given: each one's state and tools, and (for the admin)
 * a form to add a streamable-HTTP server. Stdio servers come only from catalog files.
 */
export function McpServers({ api, open, canChange }: { api: SwitchboardApi; open: boolean; canChange: boolean }) {
  const [servers, setServers] = useState<McpServerInfo[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [form, setForm] = useState({ name: "", url: "", headers: "" });
  const [problem, setProblem] = useState<string | undefined>();
  const [saving, setSaving] = useState(false);
  const [notice, setNotice] = useState("");
  const headingId = useId();
  const fieldId = useId();

  const load = useCallback(
    async (signal?: AbortSignal) => {
      try {
        setServers(await api.listMcpServers(signal));
        setError(undefined);
      } catch (caught) {
        if (!signal?.aborted) setError(reason(caught));
      }
    },
    [api],
  );

  useEffect(() => {
    if (!open) return;
    const abort = new AbortController();
    void load(abort.signal);
    const timer = setInterval(() => void load(abort.signal), REFRESH_MS);
    return () => {
      abort.abort();
      clearInterval(timer);
    };
  }, [open, load]);

  const add = async (event: FormEvent) => {
    event.preventDefault();
    const parsed = parseHeaders(form.headers);
    if ("bad" in parsed) {
      setProblem(`Write each header as "Name: value" on its own line ("${parsed.bad}" has no colon).`);
      return;
    }
    setSaving(true);
    setProblem(undefined);
    try {
      await api.addMcpServer({ name: form.name.trim(), url: form.url.trim(), headers: parsed.headers });
      setNotice(`Added ${form.name.trim()}; the agents processes connect to it now.`);
      setForm({ name: "", url: "", headers: "" });
      await load();
    } catch (caught) {
      setProblem(reason(caught));
    } finally {
      setSaving(false);
    }
  };

  return (
    <section className="mcp-servers" data-testid="mcp-servers" aria-labelledby={headingId}>
      <h3 id={headingId} className="agent-form-title">
        MCP servers
      </h3>
      <p className="field-hint">
        Their tools can be given to any agent as <code>server_tool</code>, or all of them as <code>server_*</code>.
      </p>
      <p className="agents-notice" role="status">
        {notice}
      </p>
      {error !== undefined && (
        <p className="inline-error" role="alert">
          Could not load the MCP servers: {error}
        </p>
      )}
      {servers !== undefined && servers.length === 0 && <p className="muted small">No MCP servers yet.</p>}
      <ul className="agent-rows">
        {servers?.map((server) => (
          <li key={server.name} className="mcp-server" data-testid="mcp-server" data-server={server.name} data-state={server.state}>
            <p>
              <strong>{server.name}</strong> <span className="muted small">({server.transport}, {server.source === "catalog" ? "catalog file" : "added"})</span>{" "}
              <span className="mcp-server-state">{server.state}</span>
            </p>
            <p className="muted small">{server.target}</p>
            {server.reason !== undefined && <p className="field-problem">{server.reason}</p>}
            {server.tools.length > 0 && (
              <p className="small" data-testid="mcp-server-tools">
                Tools: {server.tools.map((tool) => tool.name).join(", ")}
              </p>
            )}
          </li>
        ))}
      </ul>
      {canChange && (
        <form className="agent-form" onSubmit={(event) => void add(event)} data-testid="add-mcp-server">
          <p className="field-hint">Add a streamable-HTTP server. Its headers are kept in Redis and never shown again; stdio servers are declared in catalog files.</p>
          <div className="field">
            <label htmlFor={`${fieldId}-name`} className="field-label">
              Name
            </label>
            <input id={`${fieldId}-name`} className="text-input" value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} required autoComplete="off" placeholder="docs" />
          </div>
          <div className="field">
            <label htmlFor={`${fieldId}-url`} className="field-label">
              URL
            </label>
            <input id={`${fieldId}-url`} className="text-input" type="url" value={form.url} onChange={(e) => setForm({ ...form, url: e.target.value })} required autoComplete="off" placeholder="https://example.com/mcp" />
          </div>
          <div className="field">
            <label htmlFor={`${fieldId}-headers`} className="field-label">
              Headers (one "Name: value" a line, optional)
            </label>
            <textarea id={`${fieldId}-headers`} className="text-input" rows={2} value={form.headers} onChange={(e) => setForm({ ...form, headers: e.target.value })} autoComplete="off" />
          </div>
          {problem !== undefined && (
            <p className="field-problem" role="alert">
              {problem}
            </p>
          )}
          <button type="submit" className="button button-primary button-small" disabled={saving}>
            Add MCP server
          </button>
        </form>
      )}
    </section>
  );
}
