import { useCallback, useEffect, useMemo, useState } from "react";
import { createSocket, watchConnection, type ConnectionStatus, type SwitchboardSocket } from "../socket.js";

/** One socket per token for the page's lifetime, and its connection status. */
export function useSocket(token: string): { socket: SwitchboardSocket; status: ConnectionStatus; reconnect: () => void } {
  // Created without connecting, so React's development double-mount connects it once per mount.
  const socket = useMemo(() => createSocket(token), [token]);
  const [status, setStatus] = useState<ConnectionStatus>({ state: "reconnecting", detail: "Connecting…", refused: false });

  useEffect(() => {
    const stop = watchConnection(socket, setStatus);
    socket.connect();
    return () => {
      stop();
      socket.disconnect();
    };
  }, [socket]);

  const reconnect = useCallback(() => {
    if (socket.connected) return;
    setStatus({ state: "reconnecting", detail: "Reconnecting…", refused: false });
    socket.connect();
  }, [socket]);

  return { socket, status, reconnect };
}
