import { useCallback, useMemo, useRef, useState } from "react";
import { clearToken, saveToken, takeInitialToken } from "./auth-token.js";
import { TokenScreen } from "./components/token-screen.js";
import { Workspace } from "./components/workspace.js";

/** Asks for the access token when there is none (or it was refused); otherwise the workspace. */
export function App() {
  const [token, setToken] = useState<string | null>(takeInitialToken);
  const [error, setError] = useState<string | undefined>();

  const current = useRef(token);
  current.current = token;

  // Bound to the token it was made for: a late refusal of a token already replaced (a request the
  // previous workspace still had in flight) must not sign out the one that works.
  const onUnauthorized = useMemo(
    () => (message: string) => {
      if (current.current !== token) return;
      clearToken();
      setError(`The server did not accept the access token (${message}). Open the link npm start printed, or paste the token again.`);
      setToken(null);
    },
    [token],
  );

  const onForgetToken = useCallback(() => {
    clearToken();
    setError(undefined);
    setToken(null);
  }, []);

  if (token === null) {
    return (
      <TokenScreen
        error={error}
        onSubmit={(value) => {
          saveToken(value);
          setError(undefined);
          setToken(value);
        }}
      />
    );
  }
  // Keyed by the token: a new token means a new socket, new stores, nothing carried over.
  return <Workspace key={token} token={token} onUnauthorized={onUnauthorized} onForgetToken={onForgetToken} />;
}
