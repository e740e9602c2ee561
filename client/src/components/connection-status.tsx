import type { ConnectionStatus as Status } from "../socket.js";

const LABELS = { connected: "Connected", reconnecting: "Reconnecting…", offline: "Offline" } as const;

/** The live connection at a glance; offline offers a manual reconnect. */
export function ConnectionStatus({ status, onReconnect }: { status: Status; onReconnect: () => void }) {
  const label = status.state === "reconnecting" && status.detail === "Connecting…" ? "Connecting…" : LABELS[status.state];
  return (
    <div className={`connection is-${status.state}`} data-testid="connection-status" data-state={status.state} title={status.detail}>
      <span className="connection-dot" aria-hidden="true" />
      <span role="status" className="connection-label">
        {label}
        <span className="sr-only">. {status.detail}</span>
      </span>
      {status.state === "offline" && (
        <button type="button" className="link-button" onClick={onReconnect}>
          Reconnect
        </button>
      )}
    </div>
  );
}
