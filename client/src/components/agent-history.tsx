import { useCallback, useEffect, useRef, useState } from "react";
import { agentChanges, type FieldChange } from "../agent-diff.js";
import type { AgentHistoryEntry, SwitchboardApi } from "../api.js";
import { formatDateTime, formatRelative } from "../format.js";

const CHANGE_WORDS: Record<AgentHistoryEntry["change"], string> = {
  created: "Created",
  updated: "Changed",
  deleted: "Deleted",
  restored: "Restored",
};

const reason = (caught: unknown): string => (caught instanceof Error ? caught.message : "The server did not answer.");

/**
 * An agent's saved definitions, newest first: who saved each and when, what it changed from the
 * one before (lines added and removed), and, for the admin, restoring one as the newest.
 */
export function AgentHistory({
  api,
  name,
  now,
  canChange,
  onRestored,
  onClose,
}: {
  api: SwitchboardApi;
  name: string;
  now: number;
  canChange: boolean;
  /** A restore was saved: the team list should show it. */
  onRestored: () => void;
  onClose: () => void;
}) {
  const [entries, setEntries] = useState<AgentHistoryEntry[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState<number | undefined>();
  const [notice, setNotice] = useState("");
  const headingRef = useRef<HTMLHeadingElement>(null);

  const load = useCallback(
    async (signal?: AbortSignal) => {
      try {
        setEntries(await api.agentHistory(name, signal));
        setError(undefined);
      } catch (caught) {
        if (signal?.aborted) return;
        setError(reason(caught));
      }
    },
    [api, name],
  );

  useEffect(() => {
    const controller = new AbortController();
    void load(controller.signal);
    headingRef.current?.focus();
    return () => controller.abort();
  }, [load]);

  const restore = async (entry: AgentHistoryEntry): Promise<void> => {
    setBusy(entry.n);
    setNotice("");
    try {
      await api.restoreAgent(name, entry.n);
      setNotice(`Definition ${entry.n} of ${name} is its newest again.`);
      onRestored();
      await load();
    } catch (caught) {
      setError(`Could not restore definition ${entry.n}: ${reason(caught)}`);
    } finally {
      setBusy(undefined);
    }
  };

  const newest = entries?.[0];
  return (
    <section className="agent-history" data-testid="agent-history-view" aria-labelledby="agent-history-title">
      <div className="agent-history-head">
        <h3 id="agent-history-title" ref={headingRef} tabIndex={-1}>
          History of {name}
        </h3>
        <button type="button" className="button button-small" data-testid="close-history" onClick={onClose}>
          Back to the team
        </button>
      </div>
      <p className="sr-only" role="status">
        {notice}
      </p>
      {notice !== "" && <p className="agent-history-notice">{notice}</p>}
      {error !== undefined && (
        <p className="inline-error" role="alert">
          {error}
        </p>
      )}
      {entries === undefined && error === undefined && <p className="muted">Loading…</p>}
      {entries !== undefined && (
        <ol className="agent-history-list">
          {entries.map((entry, index) => {
            const older = entries[index + 1];
            const changes = older === undefined || entry.change === "deleted" ? [] : agentChanges(older.spec, entry.spec);
            const restorable = canChange && entry.change !== "deleted" && (entry !== newest || newest.change === "deleted");
            return (
              <li key={entry.n} className="agent-history-entry" data-testid="history-entry" data-n={entry.n} data-change={entry.change}>
                <p className="agent-history-line">
                  <strong>
                    {CHANGE_WORDS[entry.change]}
                    {entry.restoredFrom !== undefined && ` from definition ${entry.restoredFrom}`}
                  </strong>{" "}
                  by {entry.by},{" "}
                  <time dateTime={entry.at} title={formatDateTime(entry.at)}>
                    {formatRelative(entry.at, now)}
                  </time>
                  <span className="agent-history-n"> · definition {entry.n}</span>
                  {entry === newest && entry.change !== "deleted" && (
                    <>
                      {" "}
                      <span className="pill pill-enabled">current</span>
                    </>
                  )}
                </p>
                {changes.length > 0 && (
                  <details className="agent-history-changes" open={index === 0}>
                    <summary>
                      What changed from definition {older?.n} ({changes.map((change) => change.label.toLowerCase()).join(", ")})
                    </summary>
                    {changes.map((change) => (
                      <Change key={change.field} change={change} />
                    ))}
                  </details>
                )}
                {restorable && (
                  <button
                    type="button"
                    className="button button-small"
                    data-testid="restore-definition"
                    aria-label={`Restore definition ${entry.n} of ${name}`}
                    disabled={busy !== undefined}
                    onClick={() => void restore(entry)}
                  >
                    {busy === entry.n ? "Restoring…" : "Restore this definition"}
                  </button>
                )}
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}

function Change({ change }: { change: FieldChange }) {
  if (change.kind === "value") {
    return (
      <p className="agent-diff-value">
        <span className="agent-diff-label">{change.label}:</span> <del>{change.before}</del> → <ins>{change.after}</ins>
      </p>
    );
  }
  return (
    <div className="agent-diff-text">
      <p className="agent-diff-label">{change.label}</p>
      {/* Focusable: a keyboard user can scroll a long diff. */}
      <pre className="agent-diff-lines" tabIndex={0} aria-label={`${change.label}: lines removed and added`}>
        {change.lines.map((line, index) =>
          line.kind === "added" ? (
            <ins key={index} className="diff-added">
              + {line.text}
              {"\n"}
            </ins>
          ) : line.kind === "removed" ? (
            <del key={index} className="diff-removed">
              − {line.text}
              {"\n"}
            </del>
          ) : (
            <span key={index} className="diff-same">
              {"  "}
              {line.text}
              {"\n"}
            </span>
          ),
        )}
      </pre>
    </div>
  );
}
